"""`uvx --from <wheel> retail-datagen-mcp` (and `retail-datagen mcp`), the way clients start the server:
uv makes a throw-away environment from the wheel and its dependencies and runs the entry point, and a
real MCP client lists the same tools as the server built in this process."""

from __future__ import annotations

import shutil
from pathlib import Path

import mcp
import pytest
from mcp import StdioServerParameters

from server.app import build_server
from tests.packaging.conftest import clean_env, uv_command
from tests.server.mcp_helpers import make_settings, ok


@pytest.mark.parametrize(
    "command",
    [
        ["retail-datagen-mcp"],  # the README's client configurations
        ["retail-datagen", "mcp"],  # what MCP Registry clients run from server.json (the wheel stands in for PyPI)
    ],
)
async def test_uvx_starts_the_server_from_the_wheel(built_wheel: Path, tmp_path: Path, command: list[str]) -> None:
    uvx = shutil.which("uvx", path=str(Path(uv_command()[0]).parent))
    assert uvx, "uvx comes with uv"
    root = tmp_path / "uvx root"
    params = StdioServerParameters(
        command=uvx,
        args=["--from", str(built_wheel), *command],
        env=clean_env(RETAIL_DATAGEN_ROOT=str(root)),
        cwd=tmp_path,
    )
    async with mcp.Client(params) as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
        schema = ok(await client.call_tool("describe_schema", {"table": "stores"}))
    async with mcp.Client(build_server(make_settings(root))) as client:
        expected = [tool.name for tool in (await client.list_tools()).tools]
    assert listed == expected and "generate_data" in listed
    assert schema["tables"][0]["name"] == "stores"
