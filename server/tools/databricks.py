"""Databricks tools: upload to a Unity Catalog Volume, run the generator on a cluster, run the
bundle's job and follow it.

Each tool body is thin: it resolves local paths under the allowed roots, then, in a worker thread
(`run_in_thread`, so that a cancelled call stops the work), validates every name with the rules
of `server.databricks.names` *before* any request, builds the workspace client and calls the
plain function of `server.databricks`. Progress of those functions is relayed to the client;
expected failures become `ToolError`s that say what to change, with every secret redacted.

Credentials: the SDK's unified authentication, nothing of our own. `DATABRICKS_HOST` +
`DATABRICKS_TOKEN` in the server's environment, or a profile of `~/.databrickscfg` (chosen with
the tools' `profile` argument or `DATABRICKS_CONFIG_PROFILE`). The client is built on the first
call that needs it (never at import or start-up) and cached per profile and environment by
`server.databricks.auth`. `RETAIL_DATAGEN_DATABRICKS_RETRY_SEC` (default 30) bounds how long the
SDK retries an unreachable or throttling workspace within one request.

The Databricks SDK is imported only inside tool bodies, so the server starts fast without it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from server.databricks_models import (
    MAX_LISTED_ERRORS,
    MAX_LISTED_PATHS,
    CancelJobRunInput,
    ClusterGenerateOutput,
    ClusterRunOutput,
    DeployGenerationScriptInput,
    DeployGenerationScriptOutput,
    ExecuteScriptOnClusterInput,
    GenerateAndUploadInput,
    GenerateAndUploadOutput,
    GenerateOnClusterInput,
    GetJobRunInput,
    JobRunDetails,
    JobRunHandle,
    ScriptRunOutput,
    TaskRunOutput,
    TriggerBundleJobInput,
    UploadToVolumeInput,
    UploadToVolumeOutput,
)
from server.tooling import ToolContext, ToolSpec, annotations, one_line, register_tools, run_in_thread

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: ``progress(done, total, message)`` as the functions of server.databricks call it.
Progress = Callable[[float, "float | None", str], None]

#: Seconds the SDK keeps retrying an unreachable or throttling workspace (per request).
ENV_RETRY_SEC = "RETAIL_DATAGEN_DATABRICKS_RETRY_SEC"
DEFAULT_RETRY_SEC = 30
MAX_RETRY_SEC = 300
#: Seconds between two progress notifications (the latest event wins).
PROGRESS_INTERVAL_SEC = 0.2
#: How long cancel_job_run waits for the run to stop.
CANCEL_RUN_WAIT_SEC = 20.0
#: How long a cancelled call waits for its worker to stop (cancelling a run or a command included).
STOP_WAIT_SEC = 40.0
MAX_TASKS_LISTED = 20
JOB_LOG_TAIL_CHARS = 4_000


# --------------------------------------------------------------------------- plumbing


def retry_seconds() -> int:
    """The SDK's retry budget: $RETAIL_DATAGEN_DATABRICKS_RETRY_SEC (1..300) or 30."""
    raw = os.environ.get(ENV_RETRY_SEC, "").strip()
    if not raw:
        return DEFAULT_RETRY_SEC
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_RETRY_SEC:
        logger.warning(
            "%s=%r is not a whole number from 1 to %d; using %d", ENV_RETRY_SEC, raw, MAX_RETRY_SEC, DEFAULT_RETRY_SEC
        )
        return DEFAULT_RETRY_SEC
    return value


def _client(profile: str | None) -> WorkspaceClient:
    """The workspace client for `profile` (built on first use, then cached by server.databricks.auth)."""
    from server.databricks.auth import get_workspace_client

    return get_workspace_client(profile, retry_timeout_seconds=retry_seconds())


def _redact(text: object) -> str:
    from server.databricks.auth import redact

    return redact(text)


class _ProgressRelay:
    """Turns the functions' progress calls (from worker threads, in phases whose totals differ:
    cleaning, then uploading; starting a cluster, then running) into one increasing stream.

    A phase keeps its total; a new phase (other total, unknown total, or a step back) starts one
    unit above the last value sent, and its total is offset likewise. Only the latest event is
    kept between two notifications.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: float | None = None
        self._base = 0.0
        self._phase_total: float | None = None
        self._phase_done = 0.0
        self._pending: tuple[float, float | None, str] | None = None

    def __call__(self, done: float, total: float | None, message: str) -> None:
        try:
            done_value = max(0.0, float(done))
            total_value = float(total) if total is not None else None
        except (TypeError, ValueError):
            return
        with self._lock:
            if self._last is None:
                base = 0.0
            elif total_value is None or total_value != self._phase_total or done_value < self._phase_done:
                base = self._last + 1
            else:
                base = self._base
            self._base, self._phase_total, self._phase_done = base, total_value, done_value
            value = base + done_value
            if self._last is not None and value <= self._last:
                return
            self._last = value
            self._pending = (value, base + total_value if total_value is not None else None, message)

    async def flush(self, ctx: Context) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return
        value, total, message = pending
        try:
            await ctx.report_progress(value, total, _redact(message))
        except Exception as exc:  # a client that went away must not fail the operation
            logger.debug("Progress notification failed: %s", exc)

    async def pump(self, ctx: Context) -> None:
        while True:
            await self.flush(ctx)
            await anyio.sleep(PROGRESS_INTERVAL_SEC)


async def _run(tc: ToolContext, tool: str, work: Callable[[threading.Event, Progress], T]) -> T:
    """`work(cancel, progress)` in a worker thread with progress relayed; failures become ToolErrors."""
    relay = _ProgressRelay()
    failure: Exception | None = None
    result: Any = None
    async with anyio.create_task_group() as group:
        group.start_soon(relay.pump, tc.ctx)
        try:
            result = await run_in_thread(lambda cancel: work(cancel, relay), stop_wait_sec=STOP_WAIT_SEC)
        except Exception as exc:  # kept out of the task group, which would wrap it in an ExceptionGroup
            failure = exc
        finally:
            group.cancel_scope.cancel()
    if failure is not None:
        raise _tool_error(tool, failure) from None
    await relay.flush(tc.ctx)
    return result


def _tool_error(tool: str, exc: Exception) -> ToolError:
    """The message the agent gets for an expected failure (redacted, one line)."""
    if isinstance(exc, ToolError):
        return ToolError(one_line(_redact(exc)))
    import requests
    from databricks.sdk.errors import DatabricksError

    from server.databricks._common import describe
    from server.databricks.errors import (
        AmbiguousJobError,
        DatabricksApiError,
        DatabricksNotConfigured,
        InvalidParameterError,
        JobNotFoundError,
    )

    if isinstance(
        exc,
        DatabricksNotConfigured | InvalidParameterError | DatabricksApiError | JobNotFoundError | AmbiguousJobError,
    ):
        message = str(exc)
    elif isinstance(exc, DatabricksError):
        message = f"The Databricks request failed: {describe(exc)}"
    elif isinstance(exc, requests.ConnectionError | requests.Timeout | TimeoutError):
        message = f"Cannot reach the Databricks workspace ({describe(exc)}). Check DATABRICKS_HOST and the network."
    elif isinstance(exc, FileNotFoundError):
        message = str(exc)
    else:
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        logger.error("Tool %s failed unexpectedly:\n%s", tool, _redact(details))
        message = f"Unexpected error in {tool}: {type(exc).__name__}: {exc} (the server's stderr log has the traceback)"
    return ToolError(one_line(_redact(message)))


def _uc_names(catalog: str, schema: str, volume: str | None = None) -> tuple[str, ...]:
    """Validated, lower-cased names (InvalidNameError names the field, the value and the rule)."""
    from server.databricks.names import validate_uc_name

    names = [validate_uc_name(catalog, "catalog"), validate_uc_name(schema, "schema")]
    if volume is not None:
        names.append(validate_uc_name(volume, "volume"))
    return tuple(names)


def _script_env(scale: str | None, days: int | None, seed: int | None) -> dict[str, str]:
    """SCALE, DAYS and SEED for the generation script (already checked by the input model)."""
    env: dict[str, str] = {}
    if scale is not None:
        env["SCALE"] = scale
    if days is not None:
        env["DAYS"] = str(days)
    if seed is not None:
        env["SEED"] = str(seed)
    return env


# --------------------------------------------------------------------------- Volumes


def _upload_output(raw: dict[str, Any]) -> UploadToVolumeOutput:
    paths = list(raw["uploaded_paths"])
    errors = [_redact(line) for line in raw["errors"]]
    base = raw["remote_base"]
    if raw["success"]:
        message = (
            f"Uploaded {raw['files_uploaded']} files to {base}. In Databricks read a table with "
            f"spark.read.parquet('{base}/<table>'), or SELECT * FROM parquet.`{base}/orders`."
        )
    else:
        message = (
            f"{len(errors)} file(s) did not arrive (see errors); {raw['files_uploaded']} did. "
            "Fix the cause and run upload_to_volume again (clean=true replaces the folder)."
        )
    return UploadToVolumeOutput(
        success=raw["success"],
        files_uploaded=raw["files_uploaded"],
        uploaded_paths=paths[:MAX_LISTED_PATHS],
        uploaded_paths_omitted=max(0, len(paths) - MAX_LISTED_PATHS),
        errors=errors[:MAX_LISTED_ERRORS],
        errors_omitted=max(0, len(errors) - MAX_LISTED_ERRORS),
        remote_base=base,
        message=message,
    )


async def upload_to_volume(args: UploadToVolumeInput, tc: ToolContext) -> UploadToVolumeOutput:
    """Upload a local folder (a dataset written by generate_data, or any folder of files) to a Unity
    Catalog Volume at /Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>, keeping relative paths.

    Use it after generate_data (or execute_script) to make the data readable in Databricks; the
    volume must exist (the error gives the CREATE VOLUME statement). clean=true first deletes
    everything in remote_subfolder. Files go up 8 at a time with retries; _manifest.json goes last
    and only when every other file arrived. A file that still fails is listed in errors with the
    reason (success=false) while the others stay uploaded. Cost: a small dataset (~25 files, a few
    MB) takes a few seconds; time grows with bytes and your upload bandwidth. Progress is reported
    per file; cancelling the call stops the upload. Needs Databricks credentials (see profile).
    """
    local = tc.resolve_tree(args.local_data_dir, field="local_data_dir")
    if not local.is_dir():
        what = "is not a folder" if local.exists() else "does not exist"
        raise ToolError(
            f"local_data_dir={args.local_data_dir!r} ({local}) {what}; generate a dataset there with generate_data, "
            "or find one with list_datasets."
        )

    def work(cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.databricks.names import validate_relative_path
        from server.databricks.volumes import upload_to_volume as upload

        catalog, schema, volume = _uc_names(args.catalog, args.schema, args.volume)
        subfolder = validate_relative_path(args.remote_subfolder, "remote_subfolder", allow_empty=not args.clean)
        if not any(path.is_file() for path in local.rglob("*")):
            raise ToolError(f"local_data_dir={args.local_data_dir!r} ({local}) holds no files to upload.")
        client = _client(args.profile)
        return upload(
            catalog,
            schema,
            volume,
            str(local),
            subfolder,
            args.clean,
            args.max_files,
            client=client,
            progress=progress,
            cancel=cancel,
        )

    return _upload_output(await _run(tc, "upload_to_volume", work))


async def generate_and_upload(args: GenerateAndUploadInput, tc: ToolContext) -> GenerateAndUploadOutput:
    """Run <project_path>/generate_data.py locally (SCALE_FACTOR set, output in <project_path>/data),
    then, only when it exits 0, upload that data folder to
    /Volumes/<catalog>/<schema>/<volume>/<remote_subfolder> as upload_to_volume does.

    Use it for the one-shot local workflow with an editable project (init_project); for the
    standard dataset, generate_data then upload_to_volume does the same. Names, the volume and the
    credentials are checked before the script runs, so a typo costs no generation. A script that
    fails is reported with its output and nothing is uploaded (success=false). Cost: the script's
    run time (a few seconds at scale_factor 1 of the template) plus the upload; clean=true deletes
    remote_subfolder first. Progress is reported; cancelling the call kills the script or stops the
    upload.
    """
    from server.scripts import SCRIPT_NAME

    project = tc.resolve_tree(args.project_path, field="project_path")
    if not (project / SCRIPT_NAME).is_file():
        raise ToolError(
            f"There is no {SCRIPT_NAME} in {project}; run init_project(project_path='{project}') to write one, "
            "or put your own script there."
        )

    def work(cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.databricks.local_pipeline import generate_and_upload as run_pipeline
        from server.databricks.names import validate_relative_path
        from server.scripts import ScriptCancelledError

        catalog, schema, volume = _uc_names(args.catalog, args.schema, args.volume)
        subfolder = validate_relative_path(args.remote_subfolder, "remote_subfolder", allow_empty=not args.clean)
        client = _client(args.profile)
        try:
            return run_pipeline(
                str(project),
                catalog,
                schema,
                volume,
                args.scale_factor,
                subfolder,
                args.clean,
                None,
                args.timeout_sec,
                client=client,
                progress=progress,
                cancel=cancel,
            )
        except subprocess.TimeoutExpired:
            raise ToolError(
                f"{SCRIPT_NAME} did not finish within timeout_sec={args.timeout_sec} and was killed with its child "
                f"processes; nothing was uploaded. Use a smaller scale_factor or raise timeout_sec. Full log: "
                f"{project / 'generation.log'}."
            ) from None
        except ScriptCancelledError:
            raise ToolError("The run was cancelled and the script's processes were killed.") from None

    raw = await _run(tc, "generate_and_upload", work)
    generation = raw["generation"]
    run = ScriptRunOutput(
        exit_code=generation["exit_code"],
        stdout=_redact(generation["stdout"]),
        stderr=_redact(generation["stderr"]),
        truncated=bool(generation.get("truncated", False)),
        duration_sec=generation["duration_sec"],
        log_path=generation["log_path"],
    )
    upload = _upload_output(raw["upload"]) if raw["upload"] is not None else None
    if upload is None:
        message = (
            f"{SCRIPT_NAME} failed with exit code {run.exit_code}; nothing was uploaded. See generation.stderr "
            f"(full log: {run.log_path}), fix the script and run again."
        )
    else:
        message = upload.message
    return GenerateAndUploadOutput(
        success=run.exit_code == 0 and upload is not None and upload.success,
        generation=run,
        upload=upload,
        message=message,
    )


# --------------------------------------------------------------------------- workspace and clusters


async def deploy_generation_script(args: DeployGenerationScriptInput, tc: ToolContext) -> DeployGenerationScriptOutput:
    """Write the portable generation script (generate_data.py with the generator package embedded,
    ~110 KB) into the Databricks workspace at workspace_path, creating parent folders.

    Use it once per workspace before execute_script_on_cluster or generate_and_upload_on_cluster:
    the script then runs on any cluster that has numpy and pyarrow (every Databricks Runtime), with
    nothing to install. It reads SCALE_FACTOR, OUTPUT_PATH, SCALE, DAYS and SEED. overwrite=true
    (the default) replaces an existing object at that path. Cost: one upload, about a second.
    """

    def work(cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from generator.portable import portable_script
        from server.databricks.names import validate_workspace_path
        from server.databricks.workspace import upload_script_to_workspace

        path = validate_workspace_path(args.workspace_path)
        script = portable_script()
        client = _client(args.profile)
        progress(0, 1, f"Uploading the generation script to {path}")
        return upload_script_to_workspace(path, client=client, overwrite=args.overwrite, content=script)

    raw = await _run(tc, "deploy_generation_script", work)
    path = raw["workspace_path"]
    return DeployGenerationScriptOutput(
        workspace_path=path,
        bytes=raw["bytes"],
        message=f"Next: execute_script_on_cluster(cluster_id=..., workspace_path='{path}', "
        "volume_output_path='/Volumes/<catalog>/<schema>/<volume>/incoming_data') or "
        f"generate_and_upload_on_cluster(cluster_id=..., workspace_path='{path}', catalog=..., schema=..., "
        "volume=...).",
    )


def _cluster_output(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "success": bool(raw["success"]),
        "output": _redact(raw["output"]),
        "error": _redact(raw["error"]) if raw["error"] is not None else None,
        "duration_sec": raw["duration_sec"],
        "cluster_started": bool(raw["cluster_started"]),
    }


async def execute_script_on_cluster(args: ExecuteScriptOnClusterInput, tc: ToolContext) -> ClusterRunOutput:
    """Run a Python script that lives in the workspace (workspace_path) on an all-purpose cluster,
    with OUTPUT_PATH=volume_output_path and SCALE_FACTOR set (plus SCALE, DAYS, SEED when given),
    so it writes its tables straight into a Volume.

    Use it to generate on Databricks compute after deploy_generation_script (or with your own
    script that follows the same contract); generate_and_upload_on_cluster also cleans the folder
    and checks that files arrived. A stopped cluster is started first (that alone takes 3-7
    minutes on Databricks: prefer a running cluster, since clients may cut a call at ~60 s; progress
    is reported while waiting). A script error comes back as success=false with the Python error
    and traceback. Cost: cluster time for the run (seconds for small data); timeout_sec bounds the
    whole call and cancelling the call cancels the command on the cluster.
    """

    def work(cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.databricks.cluster import execute_script_on_cluster as run_on_cluster
        from server.databricks.names import validate_cluster_id, validate_volume_path, validate_workspace_path

        cluster_id = validate_cluster_id(args.cluster_id)
        workspace_path = validate_workspace_path(args.workspace_path)
        output_path = validate_volume_path(args.volume_output_path, "volume_output_path", require_subpath=True)
        client = _client(args.profile)
        return run_on_cluster(
            cluster_id,
            workspace_path,
            output_path,
            args.scale_factor,
            args.timeout_sec,
            client=client,
            extra_env=_script_env(args.scale, args.days, args.seed),
            progress=progress,
            cancel=cancel,
        )

    return ClusterRunOutput(**_cluster_output(await _run(tc, "execute_script_on_cluster", work)))


async def generate_and_upload_on_cluster(args: GenerateOnClusterInput, tc: ToolContext) -> ClusterGenerateOutput:
    """Generate on a Databricks cluster straight into /Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>:
    checks the volume exists, deletes the folder first when clean=true, runs the workspace script
    with OUTPUT_PATH set to it (as execute_script_on_cluster), then checks that files arrived.

    Use it for the cluster workflow after deploy_generation_script; nothing is generated on this
    machine and no data crosses the network from here. A script that fails, or that writes nothing
    under OUTPUT_PATH, gives success=false with the reason. Cost: as execute_script_on_cluster
    (a stopped cluster takes minutes to start; prefer a running one) plus deleting the old folder.
    Progress is reported; cancelling the call cancels the command on the cluster.
    """

    def work(cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.databricks.cluster import generate_and_upload_on_cluster as run_on_cluster
        from server.databricks.names import validate_cluster_id, validate_relative_path, validate_workspace_path

        cluster_id = validate_cluster_id(args.cluster_id)
        workspace_path = validate_workspace_path(args.workspace_path)
        catalog, schema, volume = _uc_names(args.catalog, args.schema, args.volume)
        subfolder = validate_relative_path(args.remote_subfolder, "remote_subfolder")
        client = _client(args.profile)
        return run_on_cluster(
            cluster_id,
            workspace_path,
            catalog,
            schema,
            volume,
            args.scale_factor,
            subfolder,
            args.clean,
            args.timeout_sec,
            client=client,
            extra_env=_script_env(args.scale, args.days, args.seed),
            progress=progress,
            cancel=cancel,
        )

    raw = await _run(tc, "generate_and_upload_on_cluster", work)
    return ClusterGenerateOutput(**_cluster_output(raw), volume_path=raw["volume_path"])


# --------------------------------------------------------------------------- bundle job runs


def _handle_fields(raw: dict[str, Any]) -> dict[str, Any]:
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
            f"cluster takes minutes to start); cancel_job_run(run_id={run_id}) stops it."
        )
    if raw.get("run_page_url"):
        message += f" Run page: {raw['run_page_url']}"
    return {
        "run_id": run_id,
        "job_id": raw["job_id"],
        "run_page_url": raw["run_page_url"],
        "life_cycle_state": raw["life_cycle_state"],
        "result_state": raw["result_state"],
        "state_message": _redact(raw["state_message"]),
        "done": bool(raw["done"]),
        "success": bool(raw["success"]),
        "message": _redact(message),
    }


async def trigger_bundle_job(args: TriggerBundleJobInput, tc: ToolContext) -> JobRunHandle:
    """Start a run of the Databricks Asset Bundle's data generation job (retail_data_generation,
    deployed with `databricks bundle deploy`; its dev-mode copy is found too) with catalog, schema,
    scale, days, overwrite and seed, and wait up to wait_sec for it.

    Use it to generate the dataset as Unity Catalog tables on a job cluster. It returns a run
    handle at once or after wait_sec (max 45 s): done=false means the run goes on; poll
    get_job_run(run_id) every 30-60 s. success is true only when the run's result_state is SUCCESS.
    overwrite=true lets the job replace existing tables. Cost: a job cluster for the run's length
    (a few minutes for small, including the cluster start). Each call starts a new run; cancelling
    the call cancels the run it started.
    """

    def work(cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.databricks.errors import InvalidParameterError
        from server.databricks.jobs import build_python_params
        from server.databricks.jobs import trigger_bundle_job as trigger

        catalog, schema = _uc_names(args.catalog, args.schema)
        build_python_params(catalog, schema, args.scale, args.days, args.overwrite, args.seed)
        if args.job_id is None and (not args.job_name.strip() or not args.job_name.isprintable()):
            raise InvalidParameterError(
                "job_name", args.job_name, "the name of the bundle's job, e.g. retail_data_generation"
            )
        client = _client(args.profile)
        return trigger(
            catalog,
            schema,
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

    return JobRunHandle(**_handle_fields(await _run(tc, "trigger_bundle_job", work)))


async def get_job_run(args: GetJobRunInput, tc: ToolContext) -> JobRunDetails:
    """State of a job run: life-cycle and result state, success, and per task its state, error,
    traceback and the last ~4,000 characters of its output.

    Use it to follow a run started by trigger_bundle_job (every 30-60 s until done=true) and to
    find out why a run failed. Cost: read-only, a few requests, about a second.
    """

    def work(cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.databricks.jobs import get_job_run as get_run

        client = _client(args.profile)
        return get_run(args.run_id, client=client, max_output_chars=JOB_LOG_TAIL_CHARS)

    raw = await _run(tc, "get_job_run", work)
    tasks = [
        TaskRunOutput(
            task_key=str(task["task_key"]),
            run_id=task["run_id"],
            life_cycle_state=task["life_cycle_state"],
            result_state=task["result_state"],
            state_message=_redact(task["state_message"]),
            error=_redact(task["error"]) if task["error"] is not None else None,
            error_trace=_redact(task["error_trace"]) if task["error_trace"] is not None else None,
            logs=_redact(task["logs"]) if task["logs"] is not None else None,
        )
        for task in raw["tasks"][:MAX_TASKS_LISTED]
    ]
    error = _redact(raw["error"]) if raw["error"] is not None else None
    return JobRunDetails(**_handle_fields(raw), tasks=tasks, error=error)


async def cancel_job_run(args: CancelJobRunInput, tc: ToolContext) -> JobRunHandle:
    """Cancel a job run and wait up to 20 s for it to stop; returns its state (CANCELED once stopped).

    Use it to stop a run started by mistake or that takes too long. Tables the job already
    replaced stay as they are. Cancelling a run that already ended changes nothing and returns its
    final state. Cost: a few requests.
    """

    def work(cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.databricks.jobs import cancel_job_run as cancel_run

        client = _client(args.profile)
        progress(0, None, f"Cancelling run {args.run_id}")
        return cancel_run(args.run_id, client=client, wait_sec=CANCEL_RUN_WAIT_SEC)

    return JobRunHandle(**_handle_fields(await _run(tc, "cancel_job_run", work)))


# --------------------------------------------------------------------------- registration

# Every tool reaches a remote workspace: open_world is always true.
SPECS: list[ToolSpec[Any, Any]] = [
    ToolSpec(
        name="upload_to_volume",
        title="Upload a dataset to a Databricks Volume",
        input_model=UploadToVolumeInput,
        output_model=UploadToVolumeOutput,
        # clean=true deletes the remote folder and same-named files are replaced; same input, same result.
        annotations=annotations(read_only=False, destructive=True, idempotent=True, open_world=True),
        body=upload_to_volume,
        uses_roots=True,
    ),
    ToolSpec(
        name="generate_and_upload",
        title="Generate locally and upload to a Volume",
        input_model=GenerateAndUploadInput,
        output_model=GenerateAndUploadOutput,
        # Runs a user-editable script, replaces <project>/data and the remote folder.
        annotations=annotations(read_only=False, destructive=True, idempotent=False, open_world=True),
        body=generate_and_upload,
        uses_roots=True,
    ),
    ToolSpec(
        name="deploy_generation_script",
        title="Put the generation script in the workspace",
        input_model=DeployGenerationScriptInput,
        output_model=DeployGenerationScriptOutput,
        # overwrite=true replaces the object at workspace_path; the same bytes every time.
        annotations=annotations(read_only=False, destructive=True, idempotent=True, open_world=True),
        body=deploy_generation_script,
    ),
    ToolSpec(
        name="execute_script_on_cluster",
        title="Run the generation script on a cluster",
        input_model=ExecuteScriptOnClusterInput,
        output_model=ClusterRunOutput,
        # Runs workspace code (which may write or delete anything it can reach) and may start a cluster.
        annotations=annotations(read_only=False, destructive=True, idempotent=False, open_world=True),
        body=execute_script_on_cluster,
    ),
    ToolSpec(
        name="generate_and_upload_on_cluster",
        title="Generate on a cluster into a Volume",
        input_model=GenerateOnClusterInput,
        output_model=ClusterGenerateOutput,
        # clean=true deletes the remote folder; runs workspace code.
        annotations=annotations(read_only=False, destructive=True, idempotent=False, open_world=True),
        body=generate_and_upload_on_cluster,
    ),
    ToolSpec(
        name="trigger_bundle_job",
        title="Run the bundle's data generation job",
        input_model=TriggerBundleJobInput,
        output_model=JobRunHandle,
        # Every call starts a new run; overwrite=true lets the job replace tables.
        annotations=annotations(read_only=False, destructive=True, idempotent=False, open_world=True),
        body=trigger_bundle_job,
    ),
    ToolSpec(
        name="get_job_run",
        title="State of a Databricks job run",
        input_model=GetJobRunInput,
        output_model=JobRunDetails,
        annotations=annotations(read_only=True, destructive=False, idempotent=True, open_world=True),
        body=get_job_run,
    ),
    ToolSpec(
        name="cancel_job_run",
        title="Cancel a Databricks job run",
        input_model=CancelJobRunInput,
        output_model=JobRunHandle,
        # Stops a run; deletes nothing. Cancelling twice is the same as once.
        annotations=annotations(read_only=False, destructive=False, idempotent=True, open_world=True),
        body=cancel_job_run,
    ),
]


def register(server: MCPServer, *, read_only: bool) -> None:
    """Add the Databricks tools (only get_job_run when `read_only`)."""
    register_tools(server, SPECS, read_only=read_only)
