"""trigger_bundle_job, get_job_run and cancel_job_run: the bundle's Spark job started, followed and stopped."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field

from generator.fields import CatalogName, Days, Id, JobName, Scale, SchemaName, Seed, seconds
from generator.rules import RuleErrors
from generator.spec import DEFAULT_DAYS, DEFAULT_SCALE, DEFAULT_SEED
from server.adapters.secrets import redact
from server.tooling.definition import Hints, ToolContext, ToolInput, schema_field_allowed, tool
from server.tooling.work import Progress
from server.tools.databricks.calls import run_on_workspace, tool_error
from server.tools.databricks.parameters import Profile, WorkspaceResult

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

#: Longest time trigger_bundle_job waits: clients cut a call at about 60 s.
MAX_TRIGGER_WAIT_SEC = 45
#: How long cancel_job_run waits for the run to stop.
CANCEL_RUN_WAIT_SEC = 20.0
MAX_TASKS_LISTED = 20
JOB_LOG_TAIL_CHARS = 4_000
RunId = Annotated[Id, Field(description="run_id from trigger_bundle_job (or the Jobs UI).")]


with schema_field_allowed():

    class TriggerBundleJobInput(ToolInput):
        """Parameters of trigger_bundle_job."""

        catalog: CatalogName
        schema: SchemaName
        scale: Scale = DEFAULT_SCALE
        days: Days = Field(DEFAULT_DAYS, description="Days of history.")
        overwrite: bool = Field(True, description="Let the job replace existing tables.")
        seed: Seed = DEFAULT_SEED
        job_name: JobName = Field(
            "retail_data_generation",
            description="The bundle's job; its '[dev <user>] ' copy is found too (classic target: "
            "retail_data_generation_classic).",
        )
        job_id: Id | None = Field(None, description="Run this job id instead of looking job_name up.")
        wait_sec: seconds(0, MAX_TRIGGER_WAIT_SEC, "Seconds to wait.") = Field(  # type: ignore[valid-type]
            30, description="Seconds to wait for the run to end before returning its handle."
        )
        profile: Profile = None


class JobRunHandle(WorkspaceResult):
    """A job run and where it is."""

    run_id: int = Field(description="Handle of the run: pass it to get_job_run or cancel_job_run.")
    job_id: int | None = Field(description="The job the run belongs to.")
    run_page_url: str | None = Field(description="The run's page in the Databricks UI.")
    life_cycle_state: str = Field(
        description="QUEUED, PENDING, RUNNING, TERMINATING, TERMINATED, SKIPPED or INTERNAL_ERROR."
    )
    result_state: str | None = Field(description="SUCCESS, FAILED, TIMEDOUT, CANCELED, ... once the run ended.")
    state_message: str = Field(description="The workspace's message about the state (may be empty).")
    done: bool = Field(description="True once the run ended (TERMINATED, SKIPPED or INTERNAL_ERROR).")
    success: bool = Field(description="True only when result_state is SUCCESS (a failed run also ends TERMINATED).")
    message: str = Field(description="What the state means and what to do next.")


class JobRunInput(ToolInput):
    """Names one job run."""

    run_id: RunId
    profile: Profile = None


class GetJobRunInput(JobRunInput):
    """Parameters of get_job_run."""


class CancelJobRunInput(JobRunInput):
    """Parameters of cancel_job_run."""


class TaskRunOutput(BaseModel):
    """One task of a job run."""

    task_key: str = Field(description="The task's key in the job.")
    run_id: int | None = Field(description="The task run's id.")
    life_cycle_state: str | None = Field(description="The task's life-cycle state.")
    result_state: str | None = Field(description="The task's result state once it ended.")
    state_message: str = Field(description="The workspace's message about the task's state.")
    error: str | None = Field(description="The task's error (exception line), when it failed.")
    error_trace: str | None = Field(description="The task's traceback (head and tail when long), when it failed.")
    logs: str | None = Field(description="The last characters of the task's output (stdout/stderr).")


class JobRunDetails(JobRunHandle):
    """A job run with its tasks' errors and output tails."""

    tasks: list[TaskRunOutput] = Field(description="The run's tasks (at most 20).")
    error: str | None = Field(description="The first task error, or why the run failed; null when it did not fail.")


def handle_fields(raw: dict[str, Any], host: str) -> dict[str, Any]:
    run_id = raw["run_id"]
    if raw["done"] and raw["success"]:
        message = f"Run {run_id} succeeded."
    elif raw["done"]:
        ended = raw["result_state"] or raw["life_cycle_state"]
        message = (
            f"Run {run_id} ended {ended}"
            + (f": {raw['state_message']}" if raw["state_message"] else "")
            + f". get_job_run(run_id={run_id}) shows each task's error and the end of its output."
        )
    else:
        message = (
            f"Run {run_id} is {raw['life_cycle_state']}. Poll get_job_run(run_id={run_id}) every 30-60 s (a job "
            f"cluster takes minutes to start, serverless about a minute); cancel_job_run(run_id={run_id}) stops it."
        )
    if raw.get("run_page_url"):
        message += f" Run page: {raw['run_page_url']}"
    return {
        "run_id": run_id,
        "job_id": raw["job_id"],
        "run_page_url": raw["run_page_url"],
        "life_cycle_state": raw["life_cycle_state"],
        "result_state": raw["result_state"],
        "state_message": redact(raw["state_message"]),
        "done": bool(raw["done"]),
        "success": bool(raw["success"]),
        "message": redact(message),
        "workspace_host": host,
    }


@tool(
    title="Run the bundle's data generation job",
    # Every call starts a new run; overwrite=true lets the job replace tables.
    hints=Hints(read_only=False, destructive=True, idempotent=False, open_world=True),
)
async def trigger_bundle_job(args: TriggerBundleJobInput, tc: ToolContext) -> JobRunHandle:
    """Start a run of the Asset Bundle's generation job (deployed with `databricks bundle deploy`)
    and wait up to wait_sec; done=false means it goes on: poll get_job_run every 30-60 s.

    Use it to generate the dataset as Unity Catalog tables with the deployed bundle (serverless, or
    a job cluster for the classic target); with nothing deployed use submit_generation_run. Cost:
    serverless starts in about a minute, a job cluster in a few, then a few minutes for small data;
    every call starts a new run.
    """

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.adapters.databricks.jobs import trigger_bundle_job as trigger

        return trigger.raw_function(
            args.catalog,
            args.schema,
            args.scale,
            args.days,
            args.overwrite,
            args.seed,
            args.wait_sec,
            job_name=args.job_name,
            job_id=args.job_id,
            client=client,
            progress=progress,
            cancel=cancel,
        )

    from server.adapters.databricks.jobs import build_python_params

    try:  # the Jobs API's limits, checked before the client (and its first request) exists
        build_python_params(args.catalog, args.schema, args.scale, args.days, args.overwrite, args.seed)
    except RuleErrors as exc:
        raise tool_error("trigger_bundle_job", exc) from None
    return JobRunHandle(**handle_fields(*await run_on_workspace(tc, "trigger_bundle_job", args.profile, work)))


@tool(
    title="State of a Databricks job run",
    hints=Hints(read_only=True, destructive=False, idempotent=True, open_world=True),
)
async def get_job_run(args: GetJobRunInput, tc: ToolContext) -> JobRunDetails:
    """State of a job run, and per task its state, error, traceback and the end of its output.

    Use it to follow a run of trigger_bundle_job (every 30-60 s until done=true) and to see why a
    run failed. Cost: a few requests, about a second.
    """

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.adapters.databricks.jobs import get_job_run as get_run

        return get_run.raw_function(args.run_id, client=client, max_output_chars=JOB_LOG_TAIL_CHARS)

    raw, host = await run_on_workspace(tc, "get_job_run", args.profile, work)
    tasks = [
        TaskRunOutput(
            task_key=str(task["task_key"]),
            run_id=task["run_id"],
            life_cycle_state=task["life_cycle_state"],
            result_state=task["result_state"],
            state_message=redact(task["state_message"]),
            error=redact(task["error"]) if task["error"] is not None else None,
            error_trace=redact(task["error_trace"]) if task["error_trace"] is not None else None,
            logs=redact(task["logs"]) if task["logs"] is not None else None,
        )
        for task in raw["tasks"][:MAX_TASKS_LISTED]
    ]
    error = redact(raw["error"]) if raw["error"] is not None else None
    return JobRunDetails(**handle_fields(raw, host), tasks=tasks, error=error)


@tool(
    title="Cancel a Databricks job run",
    # Stops a run; deletes nothing. Cancelling twice is the same as once.
    hints=Hints(read_only=False, destructive=False, idempotent=True, open_world=True),
)
async def cancel_job_run(args: CancelJobRunInput, tc: ToolContext) -> JobRunHandle:
    """Cancel a job run and wait up to 20 s for it to stop; tables the job already replaced stay
    replaced, and a run that already ended is left as it is.

    Use it to stop a run started by mistake or taking too long. Cost: a few requests.
    """

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.adapters.databricks.jobs import cancel_job_run as cancel_run

        progress(0, None, f"Cancelling run {args.run_id}")
        return cancel_run.raw_function(args.run_id, client=client, wait_sec=CANCEL_RUN_WAIT_SEC)

    return JobRunHandle(**handle_fields(*await run_on_workspace(tc, "cancel_job_run", args.profile, work)))
