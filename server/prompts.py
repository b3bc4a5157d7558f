"""MCP prompts for the two journeys users start with: a local dataset to look at, and retail demo tables
in a Databricks workspace. Each walks the agent through the tools in order, with the arguments to pass.

Why prompts: a user picks "Set up a local retail dataset" from the client's prompt menu instead of
knowing which of 22 tools to start with. A prompt's arguments are checked with the same rules as the
tools', so a typo ("scale=huge") is refused here rather than three calls later. A prompt is offered only
when every tool it names is exposed (not in read-only mode, not without its toolsets).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import Field

from generator import name_rules, rules
from generator.spec import DEFAULT_DAYS, DEFAULT_SCALE

LOCAL_TOOLS = frozenset(
    {"list_datasets", "estimate_dataset", "generate_data", "get_generation_status", "describe_schema"}
    | {"query_dataset", "validate_dataset"}
)
DATABRICKS_TOOLS = frozenset(
    {"submit_generation_run", "get_job_run", "generate_data", "get_generation_status", "upload_to_volume"}
    | {"create_tables_from_volume", "deploy_generation_script", "generate_and_upload_on_cluster"}
    | {"trigger_bundle_job", "init_project"}
)

Scale = Annotated[str, Field(description="small, medium or large (default small: about 46K rows in a second).")]
Days = Annotated[str, Field(description="Days of order history, 1 to 365 (default 14).")]


def _checked(**values: tuple[rules.Rule, str]) -> dict[str, object]:
    """The arguments normalised by their rules; an invalid-params error naming every bad one (an MCPError,
    because the SDK replaces any other exception's message with "Error rendering prompt")."""
    try:
        return rules.check_all(**values)
    except rules.RuleErrors as exc:
        raise MCPError(INVALID_PARAMS, f"Invalid prompt arguments: {exc}") from None


def local_dataset(
    scale: Scale = DEFAULT_SCALE,
    days: Days = str(DEFAULT_DAYS),
    folder: Annotated[str, Field(description="Dataset folder under the data root (default sample_data).")] = (
        "sample_data"
    ),
) -> str:
    """Generate a synthetic retail dataset on this computer, then explain and query what is in it."""
    checked = _checked(scale=(rules.SCALE, scale), days=(rules.DAYS, days))
    scale, days = checked["scale"], checked["days"]
    size_check = (
        f"First call estimate_dataset(scale='{scale}', days={days}) and tell me the rows, size and time.\n   "
        if scale != "small"
        else ""
    )
    return f"""\
Set up a local synthetic retail dataset ({scale}, {days} days) and show me what is in it, with the
retail-datagen tools, in this order:

1. list_datasets() - if a dataset with these parameters is already there, use its path and skip step 2.
2. {size_check}generate_data(scale='{scale}', days={days}, output_dir='{folder}'). If the result has
   status "running", poll get_generation_status(job_id=...) every 10-30 s until it has succeeded.
3. describe_schema() - explain the seven tables in a few lines and how they join (keys).
4. query_dataset(path='{folder}', sql=...) - show me the data with small aggregate queries (DuckDB SQL,
   tables named as in describe_schema; aggregate or LIMIT 20, never whole tables), for example: rows
   per table; revenue per store region (orders joined to stores); the ten products that sell most units
   (order_items joined to products); orders and average basket per customer segment; sales per weekday.
5. validate_dataset(path='{folder}') - confirm that every integrity check passes.

Finish with a short summary: where the dataset is, rows per table, three things the data shows, and
how I can query it myself (query_dataset, or DuckDB or pandas on the Parquet files)."""


def databricks_tables(
    catalog: Annotated[str, Field(description="Unity Catalog catalog for the tables (it must exist).")],
    schema: Annotated[str, Field(description="Schema in the catalog (default retail_demo).")] = "retail_demo",
    volume: Annotated[str, Field(description="A volume in that schema, for the file routes (optional).")] = "",
    cluster_id: Annotated[str, Field(description="A running all-purpose cluster to generate on (optional).")] = "",
    scale: Scale = DEFAULT_SCALE,
    days: Days = str(DEFAULT_DAYS),
) -> str:
    """Put the seven retail demo tables in a Databricks workspace (a one-time run, or files in a volume)."""
    values: dict[str, tuple[rules.Rule, str]] = {
        "catalog": (name_rules.UC_NAME, catalog),
        "schema": (name_rules.UC_NAME, schema),
        "scale": (rules.SCALE, scale),
        "days": (rules.DAYS, days),
    }
    if volume:
        values["volume"] = (name_rules.UC_NAME, volume)
    if cluster_id:
        values["cluster_id"] = (name_rules.CLUSTER_ID, cluster_id)
    checked = _checked(**values)
    catalog, schema, scale, days = checked["catalog"], checked["schema"], checked["scale"], checked["days"]
    volume_name = checked.get("volume", "<volume>")
    cluster = checked.get("cluster_id", "<cluster_id>")
    route = "C" if cluster_id else "B" if volume else "A"
    return f"""\
Put the seven retail demo tables (stores, products, customers, promotions, orders, order_items,
inventory_snapshots; {scale}, {days} days) in my Databricks workspace as {catalog}.{schema}.<table>.

The Databricks tools use DATABRICKS_HOST and DATABRICKS_TOKEN from the server's environment, or a
~/.databrickscfg profile (pass profile=... to any of them). If a tool answers that Databricks is not
configured, tell me what to set and stop.

Route A - a one-time Databricks run writes the Delta tables (nothing to deploy, serverless compute):
  1. submit_generation_run(catalog='{catalog}', schema='{schema}', scale='{scale}', days={days}).
  2. get_job_run(run_id=...) every 30-60 s until done is true; success=true means the tables are there,
     otherwise show me the task's error.
Route B - files in the volume {volume_name}, from this computer, then typed tables from them:
  1. generate_data(scale='{scale}', days={days}, output_dir='databricks_upload'); if it is running, poll
     get_generation_status(job_id=...).
  2. upload_to_volume(catalog='{catalog}', schema='{schema}', volume='{volume_name}',
     local_data_dir='databricks_upload'). The volume must exist: the error gives the CREATE VOLUME statement.
  3. create_tables_from_volume(catalog='{catalog}', schema='{schema}', volume='{volume_name}') (a SQL
     warehouse; it picks one and names it).
Route C - generate on the running cluster {cluster} straight into the volume {volume_name}:
  1. deploy_generation_script(workspace_path='/Workspace/Users/<me>/retail_datagen/generate_data.py')
     (ask me for my user name, or use the path it suggests).
  2. generate_and_upload_on_cluster(cluster_id='{cluster}', workspace_path=..., catalog='{catalog}',
     schema='{schema}', volume='{volume_name}', scale='{scale}', days={days}).
  3. Then step 3 of route B.
If I already deployed the bundle (init_project, then ./deploy.sh in its databricks folder), its job does
route A's work: trigger_bundle_job(catalog='{catalog}', schema='{schema}', scale='{scale}', days={days}),
then step 2 of route A.

Start with route {route} (C when I gave a cluster, B when I gave a volume, otherwise A; fall back to B
when serverless jobs are not enabled in the workspace). Finish with the tables and their row counts, and
one query for me to try on {catalog}.{schema}.orders."""


#: name -> (title, function, the tools its text names)
PROMPTS: dict[str, tuple[str, Callable[..., str], frozenset[str]]] = {
    "local_dataset": ("Set up a local retail dataset and show me what is in it", local_dataset, LOCAL_TOOLS),
    "databricks_tables": ("Put retail demo tables in my Databricks workspace", databricks_tables, DATABRICKS_TOOLS),
}


def register_prompts(server: MCPServer, exposed_tools: Collection[str]) -> None:
    """Add the prompts whose tools are all among `exposed_tools` (the server's tool list)."""
    for name, (title, function, tools) in PROMPTS.items():
        if tools <= set(exposed_tools):
            server.prompt(name=name, title=title)(function)
