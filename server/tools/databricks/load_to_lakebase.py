"""load_to_lakebase: a dataset into a Databricks Lakebase database instance, as the caller, over TLS."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import Field, StrictBool

from generator.fields import LakebaseInstance, PostgresDatabase, PostgresSchema
from server.tooling.definition import ToolContext, schema_field_allowed, tool
from server.tooling.work import Progress
from server.tools.databricks.calls import run_databricks, workspace_client
from server.tools.databricks.parameters import Profile
from server.tools.local.load_to_postgres import (
    LOAD_HINTS,
    DatasetToLoad,
    LoadOutput,
    dataset_to_load,
    expected_failures,
)

with schema_field_allowed():

    class LoadToLakebaseInput(DatasetToLoad):
        """Parameters of load_to_lakebase."""

        instance_name: LakebaseInstance
        database: PostgresDatabase = Field(
            "databricks_postgres",
            description="Database on the instance; the caller's role needs CREATE on it (databricks_postgres is "
            "the one every instance has).",
        )
        schema: PostgresSchema = "retail"
        overwrite: StrictBool = Field(
            False, description="Replace the schema when it already holds the dataset's tables; false refuses."
        )
        profile: Profile = None

    class LoadToLakebaseOutput(LoadOutput):
        """The load (LoadOutput) and the instance it went to (never the credential)."""

        instance_name: str = Field(description="The Lakebase instance that received the tables.")


@tool(title="Load a dataset into Databricks Lakebase", hints=LOAD_HINTS, uses_roots=True)
async def load_to_lakebase(args: LoadToLakebaseInput, tc: ToolContext) -> LoadToLakebaseOutput:
    """Load a dataset into a schema of a Databricks Lakebase (managed PostgreSQL) database instance,
    all seven tables or none, with the same types, primary keys, foreign keys and indexes as
    load_to_postgres. The instance's address comes from the Databricks SDK, the login is the
    caller's own identity with a short-lived database credential (renewed before it expires during
    a long load; never shown), over TLS.

    Use it to put the data next to a Lakebase-backed application (the pipeline compares a SQL
    warehouse with a Lakebase backend). The instance must be AVAILABLE and your identity needs a
    PostgreSQL role on it with CREATE on the database (the error says so when it has none). Give
    path (a dataset from generate_data) or leave it null to generate one for this call. A failure
    leaves the previous schema untouched; overwrite=true replaces an existing one. Cost: two
    Databricks requests, then the load at the network's pace (about 300K rows/s nearby; small/14
    days ~46K rows takes seconds). Progress is reported per table. Needs Databricks credentials
    (see profile).
    """
    given = args.given_dataset(tc)
    clients: list[Any] = []

    def work(cancel: threading.Event, progress: Progress) -> LoadToLakebaseOutput:
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
        return LoadToLakebaseOutput.of(result, given)

    return await run_databricks(tc, "load_to_lakebase", work)
