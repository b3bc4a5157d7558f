"""Results that point at files instead of inlining them: a generated dataset's manifest and a script's
full log come back as file:// resource links, which the server serves through resources/read, and
it serves nothing else. The data root's name has a space and non-ASCII letters."""

from __future__ import annotations

import json
from pathlib import Path

import mcp
import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ResourceLink

from server.app import build_server
from server.tooling import links
from tests.server.mcp_helpers import SMALL, make_settings, ok


def resource_links(result: CallToolResult) -> list[ResourceLink]:
    return [block for block in result.content if isinstance(block, ResourceLink)]


async def test_generate_data_links_the_manifest_and_the_server_serves_it(tmp_path: Path) -> None:
    root = tmp_path / "Daten root ü"
    async with mcp.Client(build_server(make_settings(root))) as client:
        result = await client.call_tool("generate_data", SMALL)
        (link,) = resource_links(result)
        manifest = root / "sample_data" / "_manifest.json"
        assert str(link.uri) == manifest.resolve().as_uri() and "%C3%BC" in str(link.uri)
        assert link.name == "_manifest.json" and link.mime_type == "application/json"
        assert link.size == manifest.stat().st_size
        (content,) = (await client.read_resource(str(link.uri))).contents
        listed = json.loads(content.text)
        files = {entry["path"] for table in listed["tables"].values() for entry in table["files"]}
        assert files == {p.relative_to(manifest.parent).as_posix() for p in manifest.parent.rglob("part-*")}
        counts = {name: table["file_count"] for name, table in ok(result)["result"]["tables"].items()}
        assert counts == {name: len(table["files"]) for name, table in listed["tables"].items()}


async def test_only_linked_files_are_served(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    secret = root / "notes.txt"
    secret.write_text("not for the agent", encoding="utf-8")
    async with mcp.Client(build_server(make_settings(root))) as client:
        for path in (secret, Path("/etc/hostname"), root / "sample_data" / "_manifest.json"):
            with pytest.raises(MCPError, match="not a file that a tool result of this session linked"):
                await client.read_resource(path.resolve().as_uri())


async def test_a_cut_script_output_links_the_whole_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(links, "MAX_READ_CHARS", 50_000)
    root = tmp_path / "root"
    project = root / "proj"
    project.mkdir(parents=True)
    (project / "generate_data.py").write_text("for i in range(20000):\n    print('line', i)\n", encoding="utf-8")
    async with mcp.Client(build_server(make_settings(root))) as client:
        quiet_project = root / "quiet"
        quiet_project.mkdir()
        (quiet_project / "generate_data.py").write_text("print('done')\n", encoding="utf-8")
        quiet = await client.call_tool("execute_script", {"project_path": "quiet"})
        assert ok(quiet)["truncated"] is False and resource_links(quiet) == []  # everything is inline
        loud = await client.call_tool("execute_script", {"project_path": "proj"})
        assert ok(loud)["truncated"] is True
        (link,) = resource_links(loud)
        assert link.name == "generation.log" and link.mime_type == "text/plain"
        (content,) = (await client.read_resource(str(link.uri))).contents
    assert content.text.startswith("[first ") and "characters left out" in content.text.splitlines()[0]
    assert "line 19999" in content.text and len(content.text) < 50_200
