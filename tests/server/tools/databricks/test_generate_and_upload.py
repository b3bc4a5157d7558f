"""generate_and_upload through a real MCP client against the stand-in workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mcp

from generator.manifest import STATE_FOLDER
from generator.schema import TABLE_NAMES
from server.app import build_server
from tests.server.mcp_helpers import ProgressLog, error_text, files_under, make_settings, ok


async def test_generate_and_upload_runs_the_project_script_then_uploads(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    progress = ProgressLog()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        ok(await client.call_tool("init_project", {"project_path": "proj"}))
        args = {
            "project_path": "proj",
            "catalog": volume.catalog,
            "schema": volume.schema,
            "volume": volume.volume,
            "scale_factor": 0.1,
            "remote_subfolder": "local_run",
        }
        result = ok(await client.call_tool("generate_and_upload", args, progress_callback=progress))
        assert result["success"] is True, result
        assert result["generation"]["exit_code"] == 0 and "wrote" in result["generation"]["stdout"]
        assert result["upload"]["success"] is True
        local = files_under(data_root / "proj" / "data")
        assert files_under(volume.local / "local_run") == local
        assert {name.split("/")[0] for name in local if "/" in name} == {*TABLE_NAMES, STATE_FOLDER}
        progress.assert_increasing()

        (data_root / "proj" / "generate_data.py").write_text(
            "import sys\nprint('broken', file=sys.stderr)\nsys.exit(3)\n"
        )
        failed = ok(await client.call_tool("generate_and_upload", {**args, "remote_subfolder": "other"}))
        assert failed["success"] is False and failed["upload"] is None
        assert failed["generation"]["exit_code"] == 3 and "broken" in failed["generation"]["stderr"]
        assert "nothing was uploaded" in failed["message"]
        assert not (volume.local / "other").exists()

        missing = error_text(await client.call_tool("generate_and_upload", {**args, "project_path": "nothing_here"}))
        assert "init_project" in missing
