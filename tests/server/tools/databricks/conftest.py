"""Fixtures of the Databricks tool tests: the server's environment pointed at the stand-in, or at nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.server.mcp_helpers import clear_databricks_env

#: The workspace path the tests deploy the generation script to.
SCRIPT_PATH = "/Users/standin.user@example.com/retail_datagen/generate_data.py"


@pytest.fixture(autouse=True)
def _fast(fast_databricks: None) -> None:
    """Every test retries quickly and builds its own client."""


@pytest.fixture
def credentials(standin: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The server's environment points at the stand-in, as a user's would at their workspace."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    clear_databricks_env(monkeypatch, home / "no.databrickscfg")
    env = {
        "DATABRICKS_HOST": standin.url,
        "DATABRICKS_TOKEN": standin.token,
        "DATABRICKS_AUTH_TYPE": "pat",
        "RETAIL_DATAGEN_DATABRICKS_RETRY_SEC": "5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No Databricks credentials anywhere: an empty home and no variables."""
    home = tmp_path / "empty-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    clear_databricks_env(monkeypatch, home / "no.databrickscfg")
    return home
