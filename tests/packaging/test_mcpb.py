"""The Claude Desktop extension (an MCP Bundle): manifest.json passes the official validator
(@anthropic-ai/mcpb from npm), its user_config reaches the server's settings, .ci/pack_extension.py
packs only what the server needs, and the unpacked bundle, started the way the host starts a bundle of
type "uv" (variables substituted, `uv run` in the bundle's folder), serves what its settings ask for."""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import mcp
import pytest
from mcp import StdioServerParameters

from generator import __version__
from server.app import build_server
from server.settings import ENV_READ_ONLY, ENV_ROOT, ENV_TOOLSETS, KNOWN_TOOLSETS
from tests.packaging.conftest import REPO, clean_env, run, uv_command
from tests.server.mcp_helpers import SMALL, make_settings, ok

MANIFEST = REPO / "manifest.json"
PACK = REPO / ".ci" / "pack_extension.py"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def npx() -> str:
    found = shutil.which("npx")
    assert found, "npx (Node.js 18+) runs the official MCP Bundle tool"
    return found


def test_the_official_validator_accepts_the_manifest(tmp_path: Path) -> None:
    result = run([npx(), "-y", "@anthropic-ai/mcpb@2", "validate", MANIFEST], cwd=tmp_path, timeout=300)
    assert "validation passes" in result.stdout


def test_user_config_reaches_the_servers_settings(manifest: dict[str, Any]) -> None:
    assert manifest["manifest_version"] == "0.4"  # the latest the CLI knows; the first with server type "uv"
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert manifest["version"] == __version__ == re.search(r'^version = "(.+)"$', pyproject, re.MULTILINE)[1]
    server = manifest["server"]
    assert server["type"] == "uv" and (REPO / server["entry_point"]).is_file()
    assert server["mcp_config"]["args"][-1] == "retail-datagen-mcp" and "retail-datagen-mcp =" in pyproject
    assert server["mcp_config"]["env"] == {
        ENV_ROOT: "${user_config.data_root}",
        ENV_READ_ONLY: "${user_config.read_only}",
        ENV_TOOLSETS: "${user_config.toolsets}",
        "DATABRICKS_HOST": "${user_config.databricks_host}",
        "DATABRICKS_TOKEN": "${user_config.databricks_token}",
    }
    options = manifest["user_config"]
    assert [name for name, option in options.items() if option.get("sensitive")] == ["databricks_token"]
    # The host substitutes only values it has: an optional one without a default would reach the
    # server as the literal text "${user_config.databricks_host}".
    assert all("default" in option for option in options.values())
    assert options["toolsets"]["default"] == ",".join(KNOWN_TOOLSETS)
    assert options["read_only"] == {**options["read_only"], "type": "boolean", "default": False}
    assert options["data_root"]["type"] == "directory" and options["data_root"]["default"] == "~/retail-datagen"


async def test_the_manifest_lists_the_servers_tools(manifest: dict[str, Any], tmp_path: Path) -> None:
    async with mcp.Client(build_server(make_settings(tmp_path))) as client:
        tools = (await client.list_tools()).tools
    assert manifest["tools"] == [{"name": tool.name, "description": tool.title} for tool in tools]


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("mcpb") / "retail-datagen.mcpb"
    run([sys.executable, PACK, output], cwd=REPO, timeout=300)
    return output


def test_the_bundle_holds_what_the_server_needs_and_nothing_else(packed: Path) -> None:
    with zipfile.ZipFile(packed) as archive:
        names = set(archive.namelist())
    needed = {"manifest.json", "pyproject.toml", "setup.py", "README.md", "server/__main__.py", "generator/__init__.py"}
    needed |= {f"templates/{p.relative_to(REPO / 'templates').as_posix()}" for p in (REPO / "templates").rglob("*.*")}
    assert needed <= names, sorted(needed - names)
    leaked = {n for n in names if n.startswith(("tests/", "bench/", ".ci/", ".venv", ".git/", "dist/")) or ".pyc" in n}
    assert not leaked, sorted(leaked)[:10]
    assert not names & {"mcp.json", "server.json", ".mcpbignore", ".gitignore"}


def host_command(manifest: dict[str, Any], folder: Path, settings: dict[str, Any]) -> tuple[str, list[str], dict]:
    """The command, arguments and environment that the host derives from the manifest: ${__dirname} and
    every ${user_config.<key>} replaced (booleans as true/false), defaults first, then the user's values."""
    values = {key: option["default"] for key, option in manifest["user_config"].items()} | settings
    variables = {"__dirname": str(folder)} | {
        f"user_config.{key}": ("true" if value else "false") if isinstance(value, bool) else str(value)
        for key, value in values.items()
    }

    def fill(text: str) -> str:
        return re.sub(r"\$\{([^}]+)\}", lambda m: variables.get(m[1], m[0]), text)

    config = manifest["server"]["mcp_config"]
    return config["command"], [fill(arg) for arg in config["args"]], {k: fill(v) for k, v in config["env"].items()}


async def test_the_unpacked_bundle_starts_as_the_host_runs_it(
    manifest: dict[str, Any], packed: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "Claude Extensions" / "retail-datagen ü"
    with zipfile.ZipFile(packed) as archive:
        archive.extractall(folder)
    data = tmp_path / "Meine Daten"
    command, args, env = host_command(manifest, folder, {"data_root": str(data), "read_only": True})
    assert command == "uv" and "${" not in " ".join([*args, *env.values()])
    params = StdioServerParameters(command=uv_command()[0], args=args, env=clean_env(**env), cwd=tmp_path)
    async with mcp.Client(params) as client:
        tools = (await client.list_tools()).tools
        listed = ok(await client.call_tool("list_datasets", {}))
    assert tools and all(tool.annotations.read_only_hint for tool in tools)
    assert {"describe_schema", "query_dataset", "get_job_run"} <= {tool.name for tool in tools}
    assert listed["searched"] == [] and listed["datasets"] == []  # the data folder does not exist yet
    assert not data.exists()  # read-only: nothing written

    _, args, env = host_command(manifest, folder, {"data_root": str(data), "toolsets": "local"})
    params = StdioServerParameters(command=uv_command()[0], args=args, env=clean_env(**env), cwd=tmp_path)
    async with mcp.Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        generated = ok(await client.call_tool("generate_data", SMALL))
    assert "generate_data" in names and "upload_to_volume" not in names
    assert generated["output_dir"] == str(data / "sample_data") and (data / "sample_data" / "_manifest.json").is_file()

    # A host that manages a uv bundle itself may run the entry point instead of mcp_config's command.
    entry = ["run", "--directory", str(folder), manifest["server"]["entry_point"]]
    params = StdioServerParameters(command=uv_command()[0], args=entry, env=clean_env(**env), cwd=tmp_path)
    async with mcp.Client(params) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == names
