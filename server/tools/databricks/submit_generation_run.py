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

        catalog: CatalogName = Field(description="Existing Unity Catalog catalog that receives the tables.")
        schema: SchemaName = Field(description="Schema inside the catalog; created when missing.")
        overwrite: bool = Field(
            True, description="Replace existing tables (in place, history kept); false refuses when any exists."
        )
        cluster_id: ClusterId | None = Field(
            None,
            description="Run on this all-purpose cluster (the wheel is installed on it as a library) instead of "
            "serverless compute. Default (null): serverless.",
        )
        upload_folder: WorkspacePath | None = Field(
            None,
            description="Workspace folder (/Workspace/...) or Volume folder (/Volumes/<c>/<s>/<v>/<folder>) that "
            "receives the core wheel and the job script. Default: /Workspace/Users/<you>/retail_datagen.",
        )
        environment_version: EnvironmentVersion | None = Field(
            None, description="Serverless environment version of the run. Default (null): 4."
        )
        idempotency_token: IdempotencyToken | None = Field(
            None,
            description="Pass the token of an earlier call to get that call's run back instead of a new one "
            "(default: a new token; every result shows its own).",
        )
        wait_sec: seconds(0, MAX_TRIGGER_WAIT_SEC, "Seconds to wait.") = Field(  # type: ignore[valid-type]
            0,
            description=f"Wait up to this many seconds (max {MAX_TRIGGER_WAIT_SEC}) for the run before returning; "
            "0 (default) returns at once with run_id. Follow the run with get_job_run.",
        )
        mode: Mode = Field(
            "overwrite",
            description="overwrite (default): a fresh dataset replaces the tables. incremental: append the days "
            "after the tables' last day up to end_date (or `days` more), continuing their stock; a re-run with "
            "the same end_date changes nothing. merge: bring the tables to these parameters (e.g. scale small to "
            "medium) with MERGE INTO, changed rows updated, new ones inserted. Both take the parameters not set "
            "in this call from what the tables hold (their retail_datagen_state table), and the run fails with "
            "what they hold when the parameters do not fit (a gap, another seed). Each run's changes are in "
            "Delta's change data feed: table_changes('<catalog>.<schema>.<table>', <version>).",
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
    """Generate the seven retail tables (and customers_history with customer_history=true) as typed Delta
    tables in <catalog>.<schema> with a one-time Databricks job run (Jobs API runs/submit): the bundle's Spark
    job, the same rows as the local generator for the same parameters, all tables or none. Serverless by
    default; cluster_id runs it on an all-purpose cluster. mode=incremental later appends days to the tables
    (only the new days are simulated) and mode=merge brings them to other parameters, both with MERGE INTO.

    Use it to go from a workspace token to queryable tables with nothing deployed and no Databricks CLI: the
    tool uploads the slim core wheel (numpy and pyarrow only; the runtime's libraries are kept) and the job
    script, checks the catalog (named if missing), creates a missing schema, and submits. It returns at once
    with run_id and run_page_url (or waits up to wait_sec); poll get_job_run(run_id) every 30-60 s until
    done, cancel_job_run stops it. Cost: serverless starts in about a minute, then a small dataset takes a
    few minutes; a stopped cluster adds 3-7 minutes. Each call starts a new run unless idempotency_token
    repeats an earlier one.
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
