"""create_tables_from_volume: a dataset on a Unity Catalog Volume into typed Delta tables, through a SQL
warehouse and the Statement Execution API, every table or none."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import Field

from generator.fields import CatalogName, SchemaName, StatementsTimeout, VolumeName, WarehouseId
from server.adapters.secrets import redact
from server.tooling.definition import Hints, ToolContext, ToolInput, schema_field_allowed, tool
from server.tooling.work import Progress
from server.tools.databricks.calls import adapter_arguments, run_on_workspace
from server.tools.databricks.parameters import Profile, RemoteSubfolder, WorkspaceResult

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

with schema_field_allowed():

    class CreateTablesFromVolumeInput(ToolInput):
        """Parameters of create_tables_from_volume."""

        catalog: CatalogName
        schema: SchemaName
        volume: VolumeName
        remote_subfolder: RemoteSubfolder = "incoming_data"
        warehouse_id: WarehouseId = None
        timeout_sec: StatementsTimeout = 300
        target_catalog: CatalogName | None = Field(None, description="Catalog for the tables; null: the volume's.")
        target_schema: SchemaName | None = Field(
            None, description="Schema for the tables, created when missing; null: the volume's."
        )
        profile: Profile = None


class CreateTablesFromVolumeOutput(WorkspaceResult):
    """The tables made from the volume, or why none was (the previous tables are then as they were)."""

    success: bool = Field(description="True when every table was created or replaced.")
    message: str = Field(description="What happened, which warehouse was used, and what to do next.")
    error: str | None = Field(description="What failed and the state the previous tables are in; null on success.")
    source: str = Field(description="The dataset's folder on the volume.")
    target: str = Field(description="<catalog>.<schema> that holds the tables.")
    tables: list[str] = Field(description="Full names of the tables written (empty when success is false).")
    rows: dict[str, int] = Field(description="Rows loaded per table (each equal to the dataset manifest's count).")
    schema_created: bool = Field(description="True when this call created the target schema.")
    left_as_is: list[str] = Field(
        description="Optional tables (customers_history) of an earlier dataset that this one lacks: kept, not matched."
    )
    warehouse_id: str = Field(description="The SQL warehouse the statements ran on (pass it next time).")
    warehouse_name: str = Field(description="Its name.")
    warehouse_started: bool = Field(description="True when this call had to start it.")
    statements: int = Field(description="SQL statements sent.")
    duration_sec: float = Field(description="Wall time of the call in seconds.")


def tables_output(raw: dict[str, Any], host: str) -> CreateTablesFromVolumeOutput:
    """The tool output of a create_tables_from_volume result (also part of generate_and_upload's)."""
    if raw["success"]:
        message = (
            f"{raw['warehouse_note']} Created {len(raw['tables'])} Delta tables in {raw['target']} with keys and "
            f"comments; query them, e.g. SELECT * FROM {raw['target']}.orders LIMIT 10."
        )
        if raw["left_as_is"]:
            message += (
                f" {', '.join(raw['left_as_is'])} was left as it was: it comes from an earlier dataset (this one has "
                "no such table), so it does not match these tables; drop it if it no longer belongs."
            )
    else:
        message = f"{raw['warehouse_note']} No table was created or replaced. {raw['error']}"
    return CreateTablesFromVolumeOutput.model_validate(
        {
            **raw,
            "message": redact(message),
            "error": redact(raw["error"]) if raw["error"] is not None else None,
            "tables": [entry["full_name"] for entry in raw["tables"].values()],
            "rows": {name: entry["rows"] for name, entry in raw["tables"].items()},
            "workspace_host": host,
        }
    )


@tool(
    title="Create Delta tables from a Volume dataset",
    # Replaces the tables of the target schema (in place, history kept); the same dataset gives the same tables.
    hints=Hints(read_only=False, destructive=True, idempotent=True, open_world=True),
)
async def create_tables_from_volume(args: CreateTablesFromVolumeInput, tc: ToolContext) -> CreateTablesFromVolumeOutput:
    """Turn a dataset on a Volume (/Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>) into typed
    Delta tables with comments and primary and foreign keys, through a SQL warehouse; all tables or none.

    Use it after upload_to_volume or generate_and_upload_on_cluster to get queryable tables without a
    cluster. Cost: a few seconds per table on a running serverless warehouse; a stopped serverless
    one starts in seconds, a classic one in minutes.
    """

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.adapters.databricks.volume_tables import create_tables_from_volume as create

        return create.raw_function(**adapter_arguments(args), client=client, progress=progress, cancel=cancel)

    return tables_output(*await run_on_workspace(tc, "create_tables_from_volume", args.profile, work))
