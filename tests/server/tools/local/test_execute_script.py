"""init_project then execute_script through a real MCP client: the project's script runs, fails, times out, floods."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import mcp
from mcp.server.mcpserver import MCPServer

from tests.server.mcp_helpers import error_text, ok


def _project(root: Path, body: str) -> Path:
    project = root / "proj"
    project.mkdir(parents=True)
    (project / "generate_data.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return project


async def test_init_project_then_execute_script(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        created = ok(await client.call_tool("init_project", {"project_path": "proj"}))
        project = data_root / "proj"
        assert created["project_path"] == str(project)
        assert "generate_data.py" in created["files"] and created["overwritten"] == []
        assert (project / "generate_data.py").is_file()

        refused = error_text(await client.call_tool("init_project", {"project_path": "proj"}))
        assert "overwrite=true" in refused and "generate_data.py" in refused
        again = ok(await client.call_tool("init_project", {"project_path": "proj", "overwrite": True}))
        assert "generate_data.py" in again["overwritten"]

        run = ok(
            await client.call_tool(
                "execute_script", {"project_path": "proj", "scale_factor": 0.1, "env": {"DAYS": "3", "WORKERS": "1"}}
            )
        )
        assert run["exit_code"] == 0 and run["data_path"] == str(project / "data")
        assert run["log_path"] == str(project / "generation.log")
        assert (project / "data" / "_manifest.json").is_file()
        manifest = json.loads((project / "data" / "_manifest.json").read_text())
        assert manifest["parameters"]["scale_factor"] == 0.1 and manifest["parameters"]["days"] == 3


async def test_execute_script_crash_is_an_error_quoting_stderr(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        _project(data_root, "import sys\nprint('working')\nsys.exit('the script broke: bad config')\n")
        text = error_text(await client.call_tool("execute_script", {"project_path": "proj"}))
        assert "exit code 1" in text and "the script broke: bad config" in text
        assert str(data_root / "proj" / "generation.log") in text


async def test_execute_script_timeout_is_an_error(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        _project(data_root, "import time\nprint('going to sleep', flush=True)\ntime.sleep(60)\n")
        started = time.monotonic()
        text = error_text(await client.call_tool("execute_script", {"project_path": "proj", "timeout_sec": 1}))
        assert time.monotonic() - started < 15
        assert "timeout_sec=1" in text and "killed" in text and "going to sleep" in text


async def test_execute_script_caps_a_flood_of_output(server: MCPServer, data_root: Path) -> None:
    flood = "import sys\nfor i in range(2000):\n    sys.stdout.write(f'noise {i} ' * 1000 + '\\n')\nprint('done')\n"
    _project(data_root, flood)  # about 22 MB of output in 2,000 writes
    async with mcp.Client(server) as client:
        run = ok(await client.call_tool("execute_script", {"project_path": "proj"}))
        assert run["truncated"] is True and len(run["stdout"]) < 10_000
        assert run["stdout"].rstrip().endswith("done") and run["log_path"] in run["stdout"]
