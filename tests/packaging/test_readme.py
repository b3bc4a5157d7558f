"""The README's client configurations and install claims agree with the files that implement them:
every JSON block parses, every client starts the server with uvx the same way, mcp.json is the
Claude Desktop entry, the Cursor link carries that entry, and the supported Python versions are the
ones pyproject.toml declares and CI runs."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.packaging.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
UVX_ARGS = ["--from", "retail-datagen", "retail-datagen-mcp"]


def json_blocks() -> list[Any]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", README, flags=re.DOTALL)]


def server_entries() -> list[dict[str, Any]]:
    """The retail-datagen entry of every configuration block (Claude Desktop and Cursor: mcpServers;
    VS Code: servers)."""
    return [(block.get("mcpServers") or block["servers"])["retail-datagen"] for block in json_blocks()]


def test_every_client_configuration_starts_the_server_with_uvx() -> None:
    entries = server_entries()
    assert len(entries) == 3  # Claude Desktop, its full-path variant, VS Code
    for entry in entries:
        assert entry["command"].rsplit("/", 1)[-1] == "uvx" and entry["args"] == UVX_ARGS
        assert entry["env"] == {"RETAIL_DATAGEN_ROOT": "~/retail-datagen"}
    assert entries[1]["command"].startswith("/")  # the full-path variant for Claude Desktop
    assert entries[2]["type"] == "stdio"  # VS Code's shape
    claude_code = "claude mcp add retail-datagen --scope user --env RETAIL_DATAGEN_ROOT=~/retail-datagen -- uvx "
    assert claude_code + " ".join(UVX_ARGS) in README


def test_mcp_json_is_the_claude_desktop_entry() -> None:
    assert json.loads((REPO / "mcp.json").read_text(encoding="utf-8")) == json_blocks()[0]


def test_the_cursor_link_installs_the_same_entry() -> None:
    (link,) = set(re.findall(r"cursor://anysphere\.cursor-deeplink/mcp/install\?[^)\]\s]+", README))
    query = parse_qs(urlparse(link).query)
    assert query["name"] == ["retail-datagen"]
    assert json.loads(base64.b64decode(query["config"][0])) == server_entries()[0]


def test_supported_python_versions_match_pyproject_and_ci() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.10"' in pyproject
    classifiers = re.findall(r"Programming Language :: Python :: (3\.\d+)", pyproject)
    assert classifiers == ["3.10", "3.11", "3.12", "3.13"]
    assert "Supported Python versions: 3.10, 3.11, 3.12 and\n3.13 " in README
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "for version in 3.10 3.13; do" in ci  # the lowest and the highest, besides the default python3
    assert '"mcp>=2.3,<3"' in pyproject  # pinned below the next major
