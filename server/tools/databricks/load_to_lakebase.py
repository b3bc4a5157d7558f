"""load_to_lakebase: a dataset into a Databricks Lakebase database instance, as the caller, over TLS."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import Field

from generator.fields import LakebaseInstance, PostgresDatabase, PostgresSchema
from server.tooling.definition import ToolContext, schema_field_allowed, tool
from server.tooling.work import Progress
from server.tools.databricks.calls import run_databricks, workspace_client
from server.tools.databricks.parameters import Profile, WorkspaceResult
from server.tools.local.load_to_postgres import (
    LOAD_HINTS,
    DatasetToLoad,
    LoadOutput,
    ReplaceSchema,
    dataset_to_load,
    expected_failures,
)

with schema_field_allowed():

    class LoadToLakebaseInput(DatasetToLoad):
        """Parameters of load_to_lakebase."""

        instance_name: LakebaseInstance
        database: PostgresDatabase = Field(
            "databricks_postgres", description="Database on the instance; your role needs CREATE on it."
        )
        schema: PostgresSchema = "retail"
        overwrite: ReplaceSchema = False
        profile: Profile = None

    class LoadToLakebaseOutput(LoadOutput, WorkspaceResult):
        """The load (LoadOutput), the instance it went to and the workspace that named it (never the credential)."""

        instance_name: str = Field(description="The Lakebase instance that received the tables.")


@tool(title="Load a dataset into Databricks Lakebase", hints=LOAD_HINTS, uses_roots=True)
async def load_to_lakebase(args: LoadToLakebaseInput, tc: ToolContext) -> LoadToLakebaseOutput:
    """Load a dataset into a schema of a Databricks Lakebase (managed PostgreSQL) instance as
    load_to_postgres does, logged in as you with a short-lived credential over TLS.

    Use it to put the data next to a Lakebase-backed application; the instance must be AVAILABLE
    and your PostgreSQL role needs CREATE on the database. Cost: two Databricks requests, then the
    load at the network's pace (~300K rows/s nearby; small/14 days takes seconds).
    """
    given = args.given_dataset(tc)
    clients: list[Any] = []

    def work(cancel: threading.Event, progress: Progress) -> LoadToLakebaseOutput:
        from server.adapters.databricks.auth import workspace_host
        from server.adapters.databricks.lakebase import load_to_lakebase as load

        def connect() -> None:
            clients.append(workspace_client(args.profile))

        with expected_failures(), dataset_to_load(args, given, tc, cancel, progress, preflight=connect) as folder:
            result = load.raw_function(
                args.instance_name,
                folder,
                args.database,
                args.schema,
                args.overwrite,
                client=clients[0],
                progress=progress,
                cancel=cancel,
            )
        return LoadToLakebaseOutput.of(result, given, workspace_host=workspace_host(clients[0]))

    return await run_databricks(tc, "load_to_lakebase", work)
