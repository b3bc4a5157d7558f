"""deploy_generation_script, execute_script_on_cluster and generate_and_upload_on_cluster against the stand-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mcp
import pyarrow.parquet as pq

from generator.manifest import STATE_FOLDER
from generator.schema import TABLE_NAMES
from server.app import build_server
from tests.server.mcp_helpers import (
    SMALL,
    ProgressLog,
    assert_no_secret,
    error_text,
    files_under,
    make_settings,
    ok,
)
from tests.server.tools.databricks.conftest import SCRIPT_PATH


async def test_deploy_then_execute_on_cluster_writes_the_seven_tables(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    """The portable script runs in the stand-in's cluster process, which cannot import this project."""
    progress = ProgressLog()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        deployed = ok(await client.call_tool("deploy_generation_script", {"workspace_path": SCRIPT_PATH}))
        assert deployed["workspace_path"] == SCRIPT_PATH and deployed["bytes"] > 50_000
        assert standin.workspace_object(SCRIPT_PATH)["object_type"] == "FILE"
        kept = error_text(
            await client.call_tool("deploy_generation_script", {"workspace_path": SCRIPT_PATH, "overwrite": False})
        )
        assert "overwrite" in kept and SCRIPT_PATH in kept
        out = f"{volume.path}/cluster_run"
        args = {
            "cluster_id": standin.cluster_id,
            "workspace_path": SCRIPT_PATH,
            "volume_output_path": out,
            "scale_factor": 0.1,
            "days": 7,
            "seed": 5,
        }
        result = ok(await client.call_tool("execute_script_on_cluster", args, progress_callback=progress))
        assert result["success"] is True, result
        assert result["error"] is None and result["cluster_started"] is False
        assert f"to {out}" in result["output"]
        local_copy = data_root / "local_same"
        ok(await client.call_tool("generate_data", {**SMALL, "seed": 5, "output_dir": "local_same"}))
    written = standin.local_path(out)
    assert {p.name for p in written.iterdir() if p.is_dir()} == {*TABLE_NAMES, STATE_FOLDER}
    for table in set(TABLE_NAMES):
        parts = sorted((written / table).glob("*.parquet"))
        assert parts, table
        assert sum(pq.read_metadata(p).num_rows for p in parts) > 0
    manifest = json.loads((written / "_manifest.json").read_text())
    assert manifest["parameters"]["days"] == 7 and manifest["parameters"]["seed"] == 5  # DAYS and SEED arrived
    # the cluster wrote what the local generator writes for the same parameters
    for table in set(TABLE_NAMES):
        assert files_under(written / table) == files_under(local_copy / table), table
    progress.assert_increasing()
    assert standin.open_contexts == []


async def test_execute_reports_script_errors_and_bad_arguments(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    broken = "/Users/standin.user@example.com/broken.py"
    standin.put_workspace_file(broken, f"print('about to fail')\nraise ValueError('no good: {standin.token}')\n")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        base = {"cluster_id": standin.cluster_id, "workspace_path": broken, "volume_output_path": f"{volume.path}/x"}
        result = await client.call_tool("execute_script_on_cluster", base)
        failed = ok(result)
        assert failed["success"] is False
        assert "ValueError" in failed["error"] and "no good" in failed["error"] and "[REDACTED]" in failed["error"]
        assert_no_secret(standin.token, result)

        standin.requests.clear()
        for field, value, expected in [
            ("volume_output_path", f"{volume.path}", "needs a catalog, a schema, a volume and a folder inside"),
            ("volume_output_path", "/tmp/out", "does not start with /Volumes/"),
            ("volume_output_path", "/Volumes/a.b/s/v/x", "contains a dot"),
            ("workspace_path", "relative/path.py", "not an absolute path"),
            ("cluster_id", "bad id!", "cluster id"),
        ]:
            text = error_text(await client.call_tool("execute_script_on_cluster", {**base, field: value}))
            assert field in text and expected in text, text
        bad_days = error_text(await client.call_tool("execute_script_on_cluster", {**base, "days": 400}))
        assert "days=400" in bad_days
        bad_scale = error_text(await client.call_tool("execute_script_on_cluster", {**base, "scale": "huge"}))
        assert "scale='huge'" in bad_scale
        assert len(standin.requests) == 0

        missing = error_text(
            await client.call_tool("execute_script_on_cluster", {**base, "workspace_path": "/Users/x/none.py"})
        )
        assert "does not exist" in missing and "none.py" in missing


async def test_generate_and_upload_on_cluster(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    stale = volume.local / "cluster_data" / "old_table" / "stale.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        ok(await client.call_tool("deploy_generation_script", {"workspace_path": SCRIPT_PATH}))
        args = {
            "cluster_id": standin.cluster_id,
            "workspace_path": SCRIPT_PATH,
            "catalog": volume.catalog,
            "schema": volume.schema,
            "volume": volume.volume,
            "scale_factor": 0.1,
            "remote_subfolder": "cluster_data",
            "days": 3,
        }
        result = ok(await client.call_tool("generate_and_upload_on_cluster", args))
        assert result["success"] is True, result
        assert result["volume_path"] == f"{volume.path}/cluster_data"
        assert "files are now in" in result["output"]
        written = volume.local / "cluster_data"
        assert {p.name for p in written.iterdir() if p.is_dir()} == {*TABLE_NAMES, STATE_FOLDER}  # old_table cleaned
        assert json.loads((written / "_manifest.json").read_text())["parameters"]["days"] == 3

        standin.put_workspace_file("/Users/standin.user@example.com/lazy.py", "print('I write nothing')\n")
        lazy = ok(
            await client.call_tool(
                "generate_and_upload_on_cluster",
                {**args, "workspace_path": "/Users/standin.user@example.com/lazy.py", "remote_subfolder": "lazy"},
            )
        )
        assert lazy["success"] is False and "OUTPUT_PATH" in lazy["error"]
