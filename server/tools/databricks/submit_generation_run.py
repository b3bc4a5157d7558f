"""submit_generation_run: the seven tables (and customers_history on request) as typed Delta tables in Unity
Catalog from a one-time Databricks run (serverless by default), with nothing deployed first and no CLI."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import Field

from generator.config import DatasetConfig
from generator.fields import (
    CatalogName,
    ClusterId,
    EnvironmentVersion,
    IdempotencyToken,
    Mode,
    SchemaName,
    WorkspacePath,
    seconds,
)
from server.tooling.definition import Hints, ToolContext, schema_field_allowed, tool
from server.tooling.work import Progress
from server.tools.databricks.calls import adapter_arguments, run_on_workspace
from server.tools.databricks.job_runs import MAX_TRIGGER_WAIT_SEC, JobRunHandle, handle_fields
from server.tools.databricks.parameters import Profile

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

with schema_field_allowed():

    class SubmitGenerationRunInput(DatasetConfig):
        """Parameters of submit_generation_run: where the tables go, what to generate, on which compute."""

        catalog: CatalogName = Field(description="Existing catalog that receives the tables.")
        schema: SchemaName = Field(description="Schema in the catalog, created when missing.")
        overwrite: bool = Field(True, description="Replace existing tables (in place, history kept).")
        cluster_id: ClusterId | None = Field(None, description="All-purpose cluster to run on; null: serverless.")
        upload_folder: WorkspacePath | None = Field(
            None,
            description="Workspace or /Volumes folder for the core wheel and the job script; null: "
            "/Workspace/Users/<you>/retail_datagen.",
        )
        environment_version: EnvironmentVersion | None = Field(None, description="Serverless environment (null: 4).")
        idempotency_token: IdempotencyToken | None = Field(
            None, description="An earlier result's token: returns that run instead of starting one."
        )
        wait_sec: seconds(0, MAX_TRIGGER_WAIT_SEC, "Seconds to wait.") = Field(  # type: ignore[valid-type]
            0, description="Seconds to wait for the run to end before returning its handle."
        )
        mode: Mode = Field(
            "overwrite",
            description="incremental: append the days after the tables' last day (a re-run with the same end_date "
            "changes nothing); merge: bring them to these parameters with MERGE INTO. Unset parameters come from "
            "the tables; each run's changes are in Delta's change data feed (table_changes).",
        )
        profile: Profile = None


class SubmitGenerationRunOutput(JobRunHandle):
    """The submitted run, where its files went and which tables it writes."""

    compute: str = Field(description="serverless (environment version N), or cluster <id>.")
    uploaded: dict[str, str] = Field(
        description="What this call uploaded for the run: wheel (the core wheel the run installs: the generator "
        "package, numpy and pyarrow unpinned) and job_script (the bundle's generate_data_job.py, which it executes)."
    )
    upload_folder: str = Field(description="The folder (workspace or Volume) that received them.")
    schema_created: bool = Field(description="True when this call created the schema.")
    tables: list[str] = Field(description="Full names of the tables the run writes, all or none.")
    idempotency_token: str = Field(description="Send it again to get this run back instead of starting another.")


@tool(
    title="Generate the tables in Databricks (one-time run)",
    # Starts a run that may replace the tables; a retried call with the same token returns the same run.
    hints=Hints(read_only=False, destructive=True, idempotent=False, open_world=True),
)
async def submit_generation_run(args: SubmitGenerationRunInput, tc: ToolContext) -> SubmitGenerationRunOutput:
    """Generate the tables as typed Delta tables in <catalog>.<schema> with a one-time Databricks run
    (serverless, or on cluster_id): the bundle's Spark job, the same rows as generate_data, all or none;
    mode incremental or merge grows the tables with MERGE INTO.

    Use it to go from a workspace token to tables with nothing deployed: it uploads the core wheel and
    the job script, creates a missing schema and returns run_id at once; poll get_job_run every
    30-60 s. Cost: serverless starts in about a minute, then a few minutes for small data; a stopped
    cluster adds 3-7 minutes.
    """

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.adapters.databricks.generation_run import submit_generation_run as submit

        given = sorted(args.model_fields_set & set(DatasetConfig.model_fields))  # the others: the tables'
        arguments = adapter_arguments(args)
        return submit.raw_function(**arguments, given=given, client=client, progress=progress, cancel=cancel)

    raw, host = await run_on_workspace(tc, "submit_generation_run", args.profile, work)
    handle = handle_fields(raw, host)
    if not raw["done"]:
        handle["message"] = (
            f"Run {raw['run_id']} writes {args.catalog}.{args.schema} on {raw['compute']}. " + handle["message"]
        )
    uploaded = {"wheel": raw["wheel_path"], "job_script": raw["job_script"]}
    return SubmitGenerationRunOutput.model_validate({**raw, **handle, "uploaded": uploaded})  # handle: redacted
