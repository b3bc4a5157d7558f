"""Builds the MCP server: its lifespan state (settings, generation jobs), the tools of the chosen
toolsets (only the read-only ones in read-only mode), the schema resources, the files that results
link to, and the journeys' prompts."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from types import ModuleType

import anyio
import anyio.to_thread
from mcp.server.mcpserver import MCPServer

from generator import __version__
from server.prompts import register_prompts
from server.settings import Settings
from server.tooling.calls import mcp_tool
from server.tooling.definition import AppState, ToolDefinition
from server.tooling.links import register_linked_files

logger = logging.getLogger(__name__)

SERVER_NAME = "retail-datagen"

INSTRUCTIONS = """\
Synthetic retail data (stores, products, customers, promotions, orders, order_items,
inventory_snapshots) with referential integrity, reproducible from a seed.
Typical flow: generate_data (defaults: small scale, 14 days, Parquet, about 1 s) ->
describe_schema -> query_dataset (read-only DuckDB SQL) -> validate_dataset.
Paths are relative to the server's data root unless absolute inside an allowed root.
Big runs return a job_id: poll get_generation_status. For an editable script use
init_project then execute_script. Databases: generate_data(format="duckdb") writes one DuckDB
file with keys; load_to_postgres (and load_to_lakebase) load a dataset into a PostgreSQL schema.
Databricks credentials: a named profile of ~/.databrickscfg is used alone; profile=null uses
DATABRICKS_HOST and DATABRICKS_TOKEN from the server's environment, else the profile that
DATABRICKS_CONFIG_PROFILE names, else DEFAULT. Databricks tables with nothing deployed:
submit_generation_run (a one-time serverless run) and poll get_job_run; or upload_to_volume after
generate_data, then create_tables_from_volume (a SQL warehouse). On an all-purpose cluster:
deploy_generation_script once, then generate_and_upload_on_cluster. A deployed bundle:
trigger_bundle_job."""


def toolset_modules(toolset: str) -> Iterator[ModuleType]:
    """The tool modules of a toolset (`server/tools/<toolset>/`), in the order its MODULES lists them."""
    package = importlib.import_module(f"server.tools.{toolset}")
    for name in package.MODULES:
        yield importlib.import_module(f"{package.__name__}.{name}")


def definitions(module: ModuleType) -> list[ToolDefinition]:
    """The tools a module defines, in definition order."""
    return [value for value in vars(module).values() if isinstance(value, ToolDefinition)]


def build_server(settings: Settings) -> MCPServer[AppState]:
    """An MCPServer with the toolsets of `settings` (read-only tools only when asked)."""
    modules = [module for toolset in settings.toolsets for module in toolset_modules(toolset)]
    tools = [
        mcp_tool(definition)
        for module in modules
        for definition in definitions(module)
        if definition.hints.read_only or not settings.read_only
    ]

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
        tools=tools,
    )
    for module in modules:
        register_resources = getattr(module, "register_resources", None)
        if register_resources is not None:
            register_resources(server)
    register_linked_files(server)
    register_prompts(server, [tool.name for tool in tools])
    return server
