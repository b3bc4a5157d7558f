"""Helpers shared by the server tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import StdioServerParameters
from mcp.types import CallToolResult

from server.settings import KNOWN_TOOLSETS, Settings

REPO = Path(__file__).resolve().parents[2]

#: A dataset small enough to generate in about a second (workers=1 avoids a process pool).
SMALL = {"scale": "small", "scale_factor": 0.1, "days": 7, "workers": 1}


def make_settings(root: Path, *, read_only: bool = False, toolsets: tuple[str, ...] = KNOWN_TOOLSETS) -> Settings:
    """Settings for a server whose data root is `root`."""
    return Settings(data_root=root.resolve(), read_only=read_only, toolsets=toolsets)


def tree(path: Path) -> dict[str, tuple[int, int]] | None:
    """Every entry under `path` with its size and modification time (None when `path` is missing)."""
    if not path.exists():
        return None
    entries = {}
    for item in sorted(path.rglob("*")):
        stat = item.lstat()
        entries[str(item.relative_to(path))] = (stat.st_size if item.is_file() else -1, stat.st_mtime_ns)
    return entries


def error_text(result: CallToolResult) -> str:
    """The text of an error result (asserting that it is one)."""
    assert result.is_error, f"expected an error, got {result.structured_content}"
    return " ".join(block.text for block in result.content if hasattr(block, "text"))


def ok(result: CallToolResult) -> dict[str, Any]:
    """The structured content of a successful result (asserting success)."""
    if result.is_error:
        pytest.fail(f"tool failed: {error_text(result)}")
    assert result.structured_content is not None
    return result.structured_content


def stdio_params(root: Path, *args: str, **env: str) -> StdioServerParameters:
    """How Claude Desktop starts the server: a subprocess with the data root in the environment."""
    environment = {**os.environ, "RETAIL_DATAGEN_ROOT": str(root), **env}
    environment.pop("RETAIL_DATAGEN_READ_ONLY", None)
    environment.pop("RETAIL_DATAGEN_TOOLSETS", None)
    environment.update(env)
    return StdioServerParameters(command=sys.executable, args=["-m", "server", *args], env=environment, cwd=REPO)
