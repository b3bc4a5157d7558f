"""The Databricks toolset as a client lists it, and its names checked before any request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mcp
import pytest

from server.app import build_server
from tests.server.mcp_helpers import error_text, make_settings
from tests.server.tools.databricks.conftest import SCRIPT_PATH

#: Annotations each tool must carry: (read_only, destructive, idempotent, open_world).
EXPECTED_HINTS = {
    "upload_to_volume": (False, True, True, True),
    "create_tables_from_volume": (False, True, True, True),
    "generate_and_upload": (False, True, False, True),
    "submit_generation_run": (False, True, False, True),
    "deploy_generation_script": (False, True, True, True),
    "execute_script_on_cluster": (False, True, False, True),
    "generate_and_upload_on_cluster": (False, True, False, True),
    "trigger_bundle_job": (False, True, False, True),
    "get_job_run": (True, False, True, True),
    "cancel_job_run": (False, False, True, True),
    "load_to_lakebase": (False, True, True, True),
}


DATABRICKS_TOOLS = set(EXPECTED_HINTS)


async def _tools(root: Path, **kwargs: Any) -> dict[str, Any]:
    async with mcp.Client(build_server(make_settings(root, **kwargs))) as client:
        return {tool.name: tool for tool in (await client.list_tools()).tools}


BAD_NAMES = [("a.b", "contains a dot"), ("a b", "contains a space"), ("a`b", "contains a backtick"), ("", "empty")]


async def test_databricks_tools_are_listed_with_truthful_annotations(tmp_path: Path) -> None:
    tools = await _tools(tmp_path, toolsets=("databricks",))
    assert set(tools) == DATABRICKS_TOOLS
    for name, tool in tools.items():
        hints = tool.annotations
        got = (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint)
        assert got == EXPECTED_HINTS[name], name
        assert tool.title and len(tool.description) > 150, name
        assert "Use it" in tool.description and "Cost" in tool.description, name
        for prop_name, prop in tool.input_schema["properties"].items():
            assert prop.get("description"), f"{name}.{prop_name}"
        for prop_name, prop in tool.output_schema["properties"].items():
            if "$ref" in prop:  # a nested model: its class docstring is the description
                prop = tool.output_schema["$defs"][prop["$ref"].rsplit("/", 1)[-1]]
            assert prop.get("description"), f"{name} output {prop_name}"
        assert "ctx" not in tool.input_schema["properties"] and "client_roots" not in tool.input_schema["properties"]
        assert "workspace_host" in tool.output_schema["required"], f"{name} must name the workspace it used"
    upload = tools["upload_to_volume"].input_schema
    assert list(upload["properties"]) == [
        "catalog",
        "schema",
        "volume",
        "local_data_dir",
        "remote_subfolder",
        "clean",
        "max_files",
        "profile",
    ]
    assert upload["required"] == ["catalog", "schema", "volume"]
    assert tools["trigger_bundle_job"].input_schema["properties"]["wait_sec"]["maximum"] == 45


async def test_read_only_keeps_only_get_job_run_and_local_toolset_hides_all(tmp_path: Path) -> None:
    read_only = await _tools(tmp_path, read_only=True)
    assert set(read_only) & DATABRICKS_TOOLS == {"get_job_run"}
    local_only = await _tools(tmp_path, toolsets=("local",))
    assert not set(local_only) & DATABRICKS_TOOLS
    everything = await _tools(tmp_path)
    assert set(everything) >= DATABRICKS_TOOLS


@pytest.mark.parametrize(("value", "why"), BAD_NAMES)
async def test_bad_unity_catalog_names_are_refused_before_any_request(
    credentials: dict[str, str], standin: Any, volume: Any, dataset_copy: Path, data_root: Path, value: str, why: str
) -> None:
    good = {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
    calls: list[tuple[str, dict[str, Any], str]] = []
    for field in ("catalog", "schema", "volume"):
        bad = {**good, field: value}
        calls.append(("upload_to_volume", bad, field))
        calls.append(("generate_and_upload", {**bad, "project_path": "sample_data"}, field))
        calls.append(
            (
                "generate_and_upload_on_cluster",
                {**bad, "cluster_id": standin.cluster_id, "workspace_path": SCRIPT_PATH},
                field,
            )
        )
    (data_root / "sample_data" / "generate_data.py").write_text("print('never run')\n")
    for field in ("catalog", "schema"):
        calls.append(("trigger_bundle_job", {"catalog": "c", "schema": "s", field: value}, field))
    calls.append(("upload_to_volume", {**good, "remote_subfolder": "a/../b"}, "remote_subfolder"))
    standin.requests.clear()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        for tool, args, field in calls:
            text = error_text(await client.call_tool(tool, args))
            assert f"{field}=" in text and "must be" in text, (tool, text)
            if field != "remote_subfolder":
                assert repr(value) in text and why in text, (tool, text)
    assert len(standin.requests) == 0, [r.path for r in standin.requests]
    assert not (data_root / "sample_data" / "generation.log").exists()  # the script never ran
