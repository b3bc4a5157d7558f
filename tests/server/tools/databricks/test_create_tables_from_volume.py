"""create_tables_from_volume through a real MCP client: upload a generated dataset, then make the tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mcp

from generator.schema import TABLE_NAMES
from server.app import build_server
from tests.server.mcp_helpers import SMALL, ProgressLog, error_text, make_settings, ok


async def test_upload_then_create_the_tables_and_a_failure_leaves_them(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    """A dataset with customers_history gives eight tables; a failed call keeps them; a later dataset without
    the history replaces the seven and says that the history was left as it was."""
    names = {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
    written = [*TABLE_NAMES, "customers_history"]
    progress = ProgressLog()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        ok(await client.call_tool("generate_data", {**SMALL, "customer_history": True}))
        ok(await client.call_tool("upload_to_volume", names))
        created = ok(await client.call_tool("create_tables_from_volume", names, progress_callback=progress))
        assert created["success"] is True and created["error"] is None and created["left_as_is"] == []
        assert created["tables"] == [f"{volume.catalog}.{volume.schema}.{t}" for t in written]
        assert set(created["rows"]) == set(written) and all(n > 0 for n in created["rows"].values())
        warehouse = (created["warehouse_id"], created["warehouse_name"], created["warehouse_started"])
        assert warehouse == (standin.warehouse_id, "standin-warehouse", False)
        assert "found because none was named" in created["message"] and created["workspace_host"] == standin.url
        assert f"SELECT * FROM {volume.catalog}.{volume.schema}.orders" in created["message"]
        progress.assert_increasing()
        versions = {t: len(standin.uc.describe(f"{volume.catalog}.{volume.schema}.{t}").versions) for t in written}

        standin.faults.fail_statements(r"^INSERT INTO .*products__staging_", "[INJECTED] the warehouse refused")
        failed = ok(await client.call_tool("create_tables_from_volume", names))
        assert failed["success"] is False and failed["tables"] == []
        assert (
            "[INJECTED] the warehouse refused" in failed["error"]
            and "No table was created or replaced" in failed["message"]
        )
        after = {t: len(standin.uc.describe(f"{volume.catalog}.{volume.schema}.{t}").versions) for t in written}
        assert after == versions

        ok(await client.call_tool("generate_data", SMALL))
        ok(await client.call_tool("upload_to_volume", names))
        replaced = ok(await client.call_tool("create_tables_from_volume", names))
        history = f"{volume.catalog}.{volume.schema}.customers_history"
        assert replaced["success"] is True and replaced["left_as_is"] == [history]
        assert f"{history} was left as it was: it comes from an earlier dataset" in replaced["message"]

        bad = error_text(await client.call_tool("create_tables_from_volume", {**names, "warehouse_id": "nope"}))
        assert "warehouse_id='nope'" in bad and "16 hexadecimal digits" in bad


async def test_generate_and_upload_can_go_on_to_create_the_tables(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        ok(await client.call_tool("init_project", {"project_path": "proj"}))
        names = {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
        arguments = {"project_path": "proj", **names, "scale_factor": 0.05, "create_tables": True}
        result = ok(await client.call_tool("generate_and_upload", arguments))
    assert result["success"] is True, result["message"]
    assert result["upload"]["success"] is True and result["tables"]["success"] is True
    assert standin.uc.tables(volume.catalog, volume.schema) == sorted(TABLE_NAMES)
    assert "Created 7 Delta tables" in result["message"]
