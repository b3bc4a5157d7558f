"""Builds the MCP server: its lifespan state (settings, generation jobs) and the chosen toolsets."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from mcp.server.mcpserver import MCPServer

from generator import __version__
from server.jobs import JobRegistry
from server.settings import Settings

logger = logging.getLogger(__name__)

SERVER_NAME = "retail-datagen"

#: Module that registers each toolset (`register(server, *, read_only)`).
TOOLSET_MODULES: dict[str, str] = {
    "local": "server.tools.local",
    "databricks": "server.tools.databricks",
}

INSTRUCTIONS = """\
Synthetic retail data (stores, products, customers, promotions, orders, order_items,
inventory_snapshots) with referential integrity, reproducible from a seed.
Typical flow: generate_data (defaults: small scale, 14 days, Parquet, about 1 s) ->
describe_schema -> query_dataset (read-only DuckDB SQL) -> validate_dataset.
Paths are relative to the server's data root unless absolute inside an allowed root.
Big runs return a job_id: poll get_generation_status. For an editable script use
init_project then execute_script.
Databricks (credentials from the environment or ~/.databrickscfg): upload_to_volume after
generate_data; or deploy_generation_script once, then execute_script_on_cluster /
generate_and_upload_on_cluster; or trigger_bundle_job (the bundle's Spark job writing Delta
tables) and poll get_job_run."""


@dataclass
class AppState:
    """State shared by all tool calls of one server run (the lifespan context)."""

    settings: Settings
    jobs: JobRegistry = field(default_factory=JobRegistry)


def build_server(settings: Settings) -> MCPServer[AppState]:
    """An MCPServer with the toolsets of `settings` registered (read-only ones only when asked)."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        state = AppState(settings=settings)
        try:
            yield state
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(state.jobs.shutdown)

    server: MCPServer[AppState] = MCPServer(
        SERVER_NAME,
        title="Retail synthetic data",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level=settings.log_level,  # type: ignore[arg-type]  # validated by Settings
    )
    for toolset in settings.toolsets:
        module_name = TOOLSET_MODULES[toolset]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            logger.warning("Toolset %r is not available in this installation; skipping it", toolset)
            continue
        module.register(server, read_only=settings.read_only)
    return server
