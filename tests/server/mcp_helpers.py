"""Helpers shared by the server tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import json
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


#: Environment variables through which the Databricks SDK could find credentials.
DATABRICKS_ENV_PREFIXES = ("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_CREDENTIALS")


def clear_databricks_env(monkeypatch: pytest.MonkeyPatch, config_file: Path) -> None:
    """No Databricks variable in the environment and `config_file` as the (possibly missing) ~/.databrickscfg."""
    for name in list(os.environ):
        if name.startswith(DATABRICKS_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config_file))


def texts(result: CallToolResult) -> str:
    """Every text block of a result, joined."""
    return " ".join(getattr(block, "text", "") for block in result.content)


def assert_no_secret(secret: str, *results: CallToolResult) -> None:
    """`secret` is in no text and no structured content of `results`."""
    for result in results:
        assert secret not in texts(result)
        assert secret not in json.dumps(result.structured_content)


class ProgressLog:
    """A progress callback for `call_tool` that keeps every notification."""

    def __init__(self) -> None:
        self.events: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, done: float, total: float | None, message: str | None) -> None:
        self.events.append((done, total, message))

    def assert_increasing(self) -> None:
        assert self.events, "no progress notifications arrived"
        values = [done for done, _, _ in self.events]
        assert values == sorted(values) and len(set(values)) == len(values), values
        assert all(message for _, _, message in self.events)


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (relative POSIX path -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
