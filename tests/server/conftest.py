"""Shared fixtures: servers on temporary data roots, an in-process client, a small dataset."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp.server.mcpserver import MCPServer

from server.app import build_server
from tests.server.mcp_helpers import SMALL, make_settings


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A data root that does not exist yet (the server creates it when it first writes)."""
    return tmp_path / "root"


@pytest.fixture
def server_factory() -> Callable[..., Any]:
    """Build a server on a given root with optional read-only mode and toolsets."""

    def factory(root: Path, **kwargs: Any) -> Any:
        return build_server(make_settings(root, **kwargs))

    return factory


@pytest.fixture
def server(data_root: Path) -> MCPServer:
    """A server with every toolset on `data_root`; connect with `async with mcp.Client(server)`.

    (A fixture cannot hold the client open: pytest-asyncio tears fixtures down in another task,
    and the client's anyio task groups must exit in the task that entered them.)
    """
    return build_server(make_settings(data_root))


@pytest.fixture(scope="session")
def dataset_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root holding a small dataset in `sample_data` (generated once per test session)."""
    from generator.config import GenerateOptions
    from generator.runner import generate

    root = tmp_path_factory.mktemp("dataset-root")
    generate(GenerateOptions(output_dir=root / "sample_data", **SMALL))
    return root


@pytest.fixture
def dataset_copy(dataset_root: Path, data_root: Path) -> Path:
    """A private copy of the small dataset at `<data_root>/sample_data`."""
    data_root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(dataset_root / "sample_data", data_root / "sample_data")
    return data_root / "sample_data"
