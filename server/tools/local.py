"""Local tools: generate, estimate, inspect, validate and query datasets on this machine.

Each tool body is thin: it resolves paths under the allowed roots, calls a plain-function module
(`server.jobs`, `server.scripts`, `server.query`, ...) or the generator core in a worker thread,
and turns expected failures into `ToolError`s that say what to change. Heavy libraries are
imported inside the bodies so that the server starts fast.
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from pydantic import ValidationError

from generator.config import DatasetConfig, describe_validation_error
from server.models import (
    CancelGenerationInput,
    CheckOutput,
    DatasetEstimateOutput,
    DatasetListOutput,
    DescribeSchemaInput,
    EstimateDatasetInput,
    ExecuteScriptInput,
    ExecuteScriptOutput,
    GenerateDataInput,
    GenerateDataOutput,
    GenerationStatusInput,
    InitProjectInput,
    InitProjectOutput,
    JobStatus,
    ListDatasetsInput,
    QueryDatasetInput,
    QueryOutput,
    SchemaOutput,
    TableEstimateOutput,
    ValidateDatasetInput,
    ValidationOutput,
)
from server.tooling import ToolContext, ToolSpec, annotations, one_line, register_tools, run_in_thread

if TYPE_CHECKING:
    from generator.config import GenerateOptions
    from generator.estimate import DatasetEstimate
    from generator.spec import DatasetSpec
    from server.jobs import GenerationJob

logger = logging.getLogger(__name__)

#: Runs estimated longer than this go to the background: clients cut calls at ~60 s and the
#: estimate is good to a factor of two.
BACKGROUND_AFTER_SEC = 30.0
#: Runs estimated under this use one in-process worker unless workers is given.
SINGLE_WORKER_BELOW_SEC = 5.0
PROGRESS_POLL_SEC = 0.05
CANCEL_WAIT_SEC = 60.0
#: Characters of a failed script's output quoted in the error.
SCRIPT_ERROR_TAIL_CHARS = 1500


# --------------------------------------------------------------------------- generation


async def generate_data(args: GenerateDataInput, tc: ToolContext) -> GenerateDataOutput:
    """Generate a complete synthetic retail dataset (7 tables: stores, products, customers, promotions,
    orders, order_items, inventory_snapshots) with referential integrity, as Parquet (default), CSV or
    Delta files under the data root.

    Use it first when an agent or user needs realistic retail data; then describe_schema,
    query_dataset and validate_dataset work on the folder it returns. The same parameters and seed
    always give byte-identical files.

    Cost: small/14 days (the default, ~46K rows) takes about 1 s; medium/90 days (~4.4M rows) a
    few seconds; large/365 days (~160M rows, ~1 GB) a minute or more. Runs estimated above ~30 s
    (or background=true) start in the background and return a job_id at once: poll
    get_generation_status every 10-30 s and stop with cancel_generation. Progress is reported per
    chunk. An existing dataset in output_dir is replaced atomically (overwrite=false refuses);
    a failed or cancelled run leaves no partial files.
    """
    output_dir = tc.resolve(args.output_dir, field="output_dir")
    if output_dir in tc.roots.all:
        raise ToolError(
            f"output_dir={args.output_dir!r} is a root folder itself ({output_dir}); use a sub-folder such as "
            "'sample_data' so that replacing the dataset never touches anything else."
        )
    try:
        options = args.to_options(output_dir)
    except ValidationError as exc:
        raise ToolError(f"Invalid arguments: {describe_validation_error(exc)}") from None
    planned = await anyio.to_thread.run_sync(_plan_run, options)
    estimated = None
    if planned is not None:
        problems = await anyio.to_thread.run_sync(_capacity_problems, planned, output_dir)
        if problems:  # refused here, not in a background job the agent would have to poll to learn it
            raise ToolError(
                f"Refused before writing anything: {'; '.join(problems)}. estimate_dataset shows the figures per table."
            )
        options = options.model_copy(update={"workers": planned.workers})
        estimated = planned.seconds
    background = args.background if args.background is not None else (estimated or 0.0) > BACKGROUND_AFTER_SEC
    try:
        output_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolError(
            f"output_dir={args.output_dir!r}: cannot create its parent folder {output_dir.parent} "
            f"({exc.strerror or exc}); choose a writable folder under the data root."
        ) from None

    from server.jobs import TooManyJobsError

    try:
        job = tc.state.jobs.start(options, estimated_seconds=estimated, background=background)
    except TooManyJobsError as exc:
        raise ToolError(str(exc)) from None
    if background:
        eta = f" (estimated ~{estimated:.0f} s)" if estimated is not None else ""
        return GenerateDataOutput(
            status="running",
            job_id=job.job_id,
            output_dir=str(output_dir),
            estimated_seconds=estimated,
            result=None,
            message=f"Generation started in the background{eta}. Poll get_generation_status(job_id="
            f"'{job.job_id}') every 10-30 s; cancel_generation(job_id='{job.job_id}') stops it.",
        )
    await _follow_inline(job, tc.ctx)
    if job.state != "succeeded" or job.manifest is None:
        raise ToolError(f"Generation {job.state}: {with_hint(job.error) or 'no reason given'}")
    from server.datasets import summarize_manifest

    result = summarize_manifest(job.manifest, output_dir)
    return GenerateDataOutput(
        status="succeeded",
        job_id=None,
        output_dir=str(output_dir),
        estimated_seconds=estimated,
        result=result,
        message=f"Wrote {result.total_rows:,} rows ({result.total_bytes:,} bytes) in {result.duration_sec:.1f} s. "
        f"Next: describe_schema, query_dataset(path='{output_dir}', sql=...), validate_dataset.",
    )


#: What to do about a run that failed on the file system (matched in the error text).
_FAILURE_HINTS = (
    (
        ("No space left on device", "[Errno 28]", "Disk quota exceeded"),
        "The disk holding output_dir is full: free space, or choose a smaller scale, scale_factor or days "
        "(estimate_dataset shows the size) or another output_dir. A previous dataset there is unchanged.",
    ),
    (
        ("Read-only file system", "[Errno 30]"),
        "output_dir is on a read-only file system: choose a writable folder. A previous dataset there is unchanged.",
    ),
    (
        ("Permission denied", "Operation not permitted"),
        "The server may not write into output_dir: choose another folder. A previous dataset there is unchanged.",
    ),
)


def with_hint(error: str | None) -> str | None:
    """A failed run's error with what to do when the file system was the cause."""
    if not error:
        return error
    for markers, hint in _FAILURE_HINTS:
        if any(marker in error for marker in markers):
            return f"{error} {hint}"
    return error


def _plan_run(options: GenerateOptions) -> DatasetEstimate | None:
    """The estimate of the run as generate_data will do it, or None when there is no estimate."""
    try:
        return plan_run(options.spec(), options.format, options.workers)
    except ImportError:
        logger.warning("generator.estimate is not available; generate_data waits for every run")
    except Exception:
        logger.exception("Estimating the run failed; it will run inline")
    return None


def _capacity_problems(planned: DatasetEstimate, output_dir: Path) -> list[str]:
    """What the core would refuse the run for (disk, memory), each with the figure and the way out."""
    from generator.estimate import capacity_problems

    try:
        return capacity_problems(planned, output_dir)
    except OSError:
        logger.exception("Checking free disk space for %s failed; the core checks again", output_dir)
        return []


def plan_run(spec: DatasetSpec, fmt: str, workers: int | None) -> DatasetEstimate:
    """Estimate a run with the worker count generate_data picks.

    Without an explicit `workers`, a run that one in-process worker finishes within
    SINGLE_WORKER_BELOW_SEC uses one worker: starting a process pool costs seconds, more than it
    saves on a short run, and the output bytes do not depend on the worker count.
    """
    from generator.estimate import estimate_dataset as core_estimate

    if workers is None:
        single = core_estimate(spec, fmt, 1)
        if single.seconds < SINGLE_WORKER_BELOW_SEC:
            return single
    return core_estimate(spec, fmt, workers)


async def _follow_inline(job: GenerationJob, ctx: Context) -> None:
    """Forward the job's progress events to the client until it ends; cancel it if the call is."""
    try:
        while True:
            finished = job.done.is_set()
            await _forward_progress(job, ctx)
            if finished:
                return
            await anyio.sleep(PROGRESS_POLL_SEC)
    except anyio.get_cancelled_exc_class():
        job.cancel()
        with anyio.CancelScope(shield=True):
            if not await anyio.to_thread.run_sync(job.wait, CANCEL_WAIT_SEC):
                logger.warning("Cancelled generation %s is still running after %.0f s", job.job_id, CANCEL_WAIT_SEC)
        raise


async def _forward_progress(job: GenerationJob, ctx: Context) -> None:
    while True:
        try:
            event = job.events.get_nowait()
        except queue.Empty:
            return
        try:
            await ctx.report_progress(event.chunks_done, event.chunks_total, event.message)
        except Exception as exc:  # a client that went away must not fail the run
            logger.debug("Progress notification failed: %s", exc)


def _job_status(job: GenerationJob) -> JobStatus:
    from server.datasets import summarize_manifest

    progress = job.progress()
    manifest = job.manifest
    return JobStatus(
        job_id=job.job_id,
        state=job.state,
        cancel_requested=job.cancel_requested,
        output_dir=str(job.options.output_dir),
        chunks_done=progress.chunks_done,
        chunks_total=progress.chunks_total,
        rows_done=progress.rows_done,
        progress_message=progress.message,
        elapsed_sec=round(job.elapsed, 3),
        estimated_seconds=job.estimated_seconds,
        result=summarize_manifest(manifest, Path(job.options.output_dir)) if manifest is not None else None,
        error=with_hint(job.error),
    )


def _get_job(tc: ToolContext, job_id: str) -> GenerationJob:
    job = tc.state.jobs.get(job_id)
    if job is None:
        known = tc.state.jobs.known_ids()
        hint = f"known job ids: {', '.join(known[-10:])}" if known else "this server has started no generation yet"
        raise ToolError(
            f"job_id={job_id!r} is unknown ({hint}). Job ids last only as long as the server process; "
            "start a new run with generate_data."
        )
    return job


async def get_generation_status(args: GenerationStatusInput, tc: ToolContext) -> JobStatus:
    """State of a background generation started by generate_data: running, succeeded, failed or
    cancelled, with chunks done, rows written so far and, once it succeeded, the dataset summary.

    Use it to poll a job_id returned by generate_data (every 10-30 s is plenty). Instant and free.
    """
    return _job_status(_get_job(tc, args.job_id))


async def cancel_generation(args: CancelGenerationInput, tc: ToolContext) -> JobStatus:
    """Stop a background generation. The run ends at its next chunk boundary and leaves no partial
    dataset; a dataset that was in output_dir before stays as it was.

    Use it when a run was started by mistake or takes too long. Waits up to 10 s for the run to
    stop and returns its state (cancelled, or still running with cancel_requested=true).
    Cancelling a finished run changes nothing.
    """
    job = _get_job(tc, args.job_id)
    if not job.done.is_set():
        job.cancel()
        await anyio.to_thread.run_sync(job.wait, 10.0)
    return _job_status(job)


async def estimate_dataset(args: EstimateDatasetInput, tc: ToolContext) -> DatasetEstimateOutput:
    """Expected rows, bytes on disk and run time per table for generate_data's parameters, computed
    without generating anything.

    Use it before a large run to pick scale, scale_factor and days, or to learn whether
    generate_data will answer at once or run in the background. Instant and free.
    """
    config = DatasetConfig(**args.model_dump(exclude={"format", "workers"}))
    try:
        estimate = await anyio.to_thread.run_sync(plan_run, config.spec(), args.format, args.workers)
    except ImportError as exc:
        raise ToolError(f"Estimates are not available in this installation ({exc}).") from None
    return DatasetEstimateOutput(
        tables={
            name: TableEstimateOutput(rows=table.rows, bytes=table.bytes, seconds=round(table.seconds, 3))
            for name, table in estimate.tables.items()
        },
        total_rows=estimate.total_rows,
        total_bytes=estimate.total_bytes,
        seconds=round(estimate.seconds, 3),
        workers=estimate.workers,
        peak_memory_mb_per_worker=round(estimate.peak_memory_mb_per_worker, 1),
        runs_in_background=estimate.seconds > BACKGROUND_AFTER_SEC,
    )


# --------------------------------------------------------------------------- projects and scripts


async def init_project(args: InitProjectInput, tc: ToolContext) -> InitProjectOutput:
    """Create a project folder with an editable generate_data.py (and the Databricks bundle files)
    from the package's templates.

    Use it when the user wants a script they can change and re-run (execute_script runs it), or a
    starting point to deploy on Databricks. Refuses to replace existing files unless
    overwrite=true, and then lists what it replaced. Instant.
    """
    from server.paths import templates_dir
    from server.project import ProjectExistsError, TemplatesMissingError
    from server.project import init_project as copy_templates

    project = tc.resolve(args.project_path, field="project_path")
    if project.exists() and not project.is_dir():
        raise ToolError(f"project_path={args.project_path!r} ({project}) is a file; choose a folder path.")
    try:
        project.mkdir(parents=True, exist_ok=True)
        files = await anyio.to_thread.run_sync(
            partial(copy_templates, project, templates_dir(), overwrite=args.overwrite)
        )
    except (ProjectExistsError, TemplatesMissingError) as exc:
        raise ToolError(str(exc)) from None
    except OSError as exc:
        raise ToolError(
            f"project_path={args.project_path!r} ({project}): cannot write the project files "
            f"({exc.strerror or exc}); choose a writable folder under the data root."
        ) from None
    return InitProjectOutput(
        project_path=str(project),
        files=files.written,
        overwritten=files.overwritten,
        message=f"Edit {project / 'generate_data.py'} if needed, then run it with "
        f"execute_script(project_path='{project}', scale_factor=0.1) for a quick test.",
    )


async def execute_script(args: ExecuteScriptInput, tc: ToolContext) -> ExecuteScriptOutput:
    """Run <project_path>/generate_data.py (written by init_project, possibly edited) in a separate
    Python process, with SCALE_FACTOR set and OUTPUT_PATH=<project_path>/data, so its data lands in
    the project's data folder.

    Use it to run a customised generator script; for the standard dataset generate_data is
    simpler and faster. Takes as long as the script (scale_factor 1 of the template: a few
    seconds); the script is killed with its child processes after timeout_sec. A missing script,
    a timeout or a non-zero exit is reported as an error quoting the end of the output. Long
    output is cut to its head and tail; generation.log in the project has all of it.
    """
    from server.scripts import DATA_DIR_NAME, SCRIPT_NAME, ScriptCancelledError
    from server.scripts import execute_script as run_script

    project = tc.resolve(args.project_path, field="project_path")
    if not project.is_dir():
        raise ToolError(
            f"project_path={args.project_path!r} ({project}) is not a folder; create the project with "
            "init_project first."
        )
    env = dict(args.env or {})
    reserved = sorted({"SCALE_FACTOR", "OUTPUT_PATH"} & set(env))
    if reserved:
        raise ToolError(
            f"env sets {', '.join(reserved)}, which the tool controls; use the scale_factor parameter "
            "(OUTPUT_PATH is always <project_path>/data)."
        )
    bad_names = [name for name in env if not name or "=" in name or "\x00" in name or "\x00" in env[name]]
    if bad_names:
        raise ToolError(f"env has invalid variable names: {bad_names!r}")
    try:
        outcome = await run_in_thread(
            lambda cancel: run_script(
                str(project), args.scale_factor, None, args.timeout_sec, env or None, cancel=cancel
            )
        )
    except FileNotFoundError:
        raise ToolError(
            f"There is no {SCRIPT_NAME} in {project}; run init_project(project_path='{project}') to write "
            "one, or put your own script there."
        ) from None
    except subprocess.TimeoutExpired as exc:
        tail = _tail(exc.stderr) or _tail(exc.output)
        raise ToolError(
            f"{SCRIPT_NAME} did not finish within timeout_sec={args.timeout_sec} and was killed with its child "
            f"processes. Use a smaller scale_factor or raise timeout_sec (max 3600). Full log: "
            f"{project / 'generation.log'}. End of output: {tail or '(none)'}"
        ) from None
    except ScriptCancelledError:
        raise ToolError("The script run was cancelled and its processes were killed.") from None
    except OSError as exc:
        raise ToolError(f"Could not start the script: {exc}") from None
    if outcome["exit_code"] != 0:
        tail = _tail(outcome["stderr"]) or _tail(outcome["stdout"])
        raise ToolError(
            f"{SCRIPT_NAME} failed with exit code {outcome['exit_code']} after {outcome['duration_sec']:.1f} s. "
            f"Full log: {outcome['log_path']}. End of stderr: {tail or '(empty)'}"
        )
    return ExecuteScriptOutput(
        exit_code=outcome["exit_code"],
        stdout=outcome["stdout"],
        stderr=outcome["stderr"],
        truncated=outcome["truncated"],
        duration_sec=outcome["duration_sec"],
        log_path=outcome["log_path"],
        data_path=str(project / DATA_DIR_NAME),
    )


def _tail(text: object, limit: int = SCRIPT_ERROR_TAIL_CHARS) -> str:
    if not text:
        return ""
    value = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else str(text)
    value = value.strip()
    return value if len(value) <= limit else "..." + value[-limit:]


# --------------------------------------------------------------------------- reading datasets


async def describe_schema(args: DescribeSchemaInput, tc: ToolContext) -> SchemaOutput:
    """The dataset's tables with their columns (name, Arrow type, nullable, description), primary
    keys and foreign keys; all seven tables, or just `table`.

    Use it before writing SQL for query_dataset, or to explain the data model. Instant and free;
    also available as the resources retail://schema and retail://schema/{table}.
    """
    from server.schema_docs import UnknownTableError, describe_tables

    try:
        return await anyio.to_thread.run_sync(describe_tables, args.table)
    except UnknownTableError as exc:
        raise ToolError(str(exc)) from None


async def validate_dataset(args: ValidateDatasetInput, tc: ToolContext) -> ValidationOutput:
    """Check a generated dataset's integrity: primary keys unique, every foreign key resolves,
    order totals match their lines, stock never negative, no order before its store opened or its
    customer signed up, and the row counts match the manifest.

    Use it after generate_data or execute_script, or after editing files by hand. Reads every row:
    about 1 s for a small dataset, tens of seconds for a large one.
    """
    folder = await anyio.to_thread.run_sync(partial(tc.resolve_tree, args.path, field="path"))
    try:
        from generator.validate import validate_dataset as core_validate
    except ImportError as exc:
        raise ToolError(f"Validation is not available in this installation ({exc}).") from None
    try:
        report = await anyio.to_thread.run_sync(core_validate, folder)
    except (FileNotFoundError, ValueError) as exc:
        raise ToolError(f"path={args.path!r} ({folder}): {one_line(str(exc))}") from None
    checks = [
        CheckOutput(
            name=check.name,
            description=check.description,
            passed=check.passed,
            violations=check.violations,
            examples=[_example_text(example) for example in list(check.examples)[:5]],
            error=getattr(check, "error", None),
        )
        for check in report.checks
    ]
    return ValidationOutput(
        path=str(folder),
        format=str(report.format),
        passed=report.passed,
        checks_passed=sum(check.passed for check in checks),
        checks_failed=sum(not check.passed for check in checks),
        checks=checks,
        tables=dict(report.tables),
    )


def _example_text(example: object) -> str:
    text = example if isinstance(example, str) else json.dumps(example, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


async def query_dataset(args: QueryDatasetInput, tc: ToolContext) -> QueryOutput:
    """Run one read-only SQL statement (DuckDB dialect) over a generated dataset, whose tables are
    views named stores, products, customers, promotions, orders, order_items and
    inventory_snapshots.

    Use it to look at the data, check a distribution, or compute an answer. Only SELECT, WITH,
    DESCRIBE, SHOW, SUMMARIZE and EXPLAIN are accepted; the connection cannot write or read
    anything outside the dataset. Returns at most `limit` rows (default 100, max 1000) and says so
    when rows were cut: aggregate or page with LIMIT/OFFSET. Typical queries take well under 1 s.
    """
    from server.query import QueryFailedError, QueryRefusedError, check_read_only, run_query

    try:
        check_read_only(args.sql)  # refuse before touching the dataset
    except QueryRefusedError as exc:
        raise ToolError(str(exc)) from None
    folder = await anyio.to_thread.run_sync(partial(tc.resolve_tree, args.path, field="path"))
    if not folder.is_dir():
        raise ToolError(
            f"path={args.path!r} ({folder}) does not exist; generate a dataset there with generate_data, "
            "or find one with list_datasets."
        )
    try:
        result = await run_in_thread(
            lambda cancel: run_query(folder, args.sql, limit=args.limit, timeout_sec=args.timeout_sec, cancel=cancel)
        )
    except (QueryRefusedError, QueryFailedError) as exc:
        raise ToolError(str(exc)) from None
    except ValueError as exc:  # generator.readers.DatasetNotFoundError and friends
        raise ToolError(f"path={args.path!r} ({folder}): {one_line(str(exc))}") from None
    return QueryOutput(
        columns=result.columns,
        types=result.types,
        rows=result.rows,
        row_count=len(result.rows),
        truncated=result.truncated,
        note=result.note,
    )


async def list_datasets(args: ListDatasetsInput, tc: ToolContext) -> DatasetListOutput:
    """Datasets (folders with a _manifest.json) under the data root and the client's roots, with
    their parameters and row counts per table.

    Use it to find what was generated earlier before generating again, or to get a path for
    query_dataset and validate_dataset. Searches up to 4 levels deep; instant.
    """
    from server.datasets import list_datasets as find_datasets

    if args.under is not None:
        folders = [tc.resolve(args.under, field="under")]
    else:
        folders = [root for root in tc.roots.all if root.is_dir()]
    return await anyio.to_thread.run_sync(find_datasets, folders)


# --------------------------------------------------------------------------- registration

_READS = annotations(read_only=True, destructive=False, idempotent=True, open_world=False)

SPECS: list[ToolSpec[Any, Any]] = [
    ToolSpec(
        name="generate_data",
        title="Generate a retail dataset",
        input_model=GenerateDataInput,
        output_model=GenerateDataOutput,
        # Replaces an existing dataset in output_dir (overwrite=true); same arguments, same files.
        annotations=annotations(read_only=False, destructive=True, idempotent=True, open_world=False),
        body=generate_data,
        uses_roots=True,
    ),
    ToolSpec(
        name="get_generation_status",
        title="Status of a background generation",
        input_model=GenerationStatusInput,
        output_model=JobStatus,
        annotations=_READS,
        body=get_generation_status,
    ),
    ToolSpec(
        name="cancel_generation",
        title="Cancel a background generation",
        input_model=CancelGenerationInput,
        output_model=JobStatus,
        # Stops a run; never deletes an existing dataset.
        annotations=annotations(read_only=False, destructive=False, idempotent=True, open_world=False),
        body=cancel_generation,
    ),
    ToolSpec(
        name="estimate_dataset",
        title="Estimate a dataset's size and run time",
        input_model=EstimateDatasetInput,
        output_model=DatasetEstimateOutput,
        annotations=_READS,
        body=estimate_dataset,
    ),
    ToolSpec(
        name="init_project",
        title="Create an editable generator project",
        input_model=InitProjectInput,
        output_model=InitProjectOutput,
        # overwrite=true replaces template files the user may have edited.
        annotations=annotations(read_only=False, destructive=True, idempotent=True, open_world=False),
        body=init_project,
        uses_roots=True,
    ),
    ToolSpec(
        name="execute_script",
        title="Run a project's generate_data.py",
        input_model=ExecuteScriptInput,
        output_model=ExecuteScriptOutput,
        # Runs user-editable code: it may write or delete anything and reach the network.
        annotations=annotations(read_only=False, destructive=True, idempotent=False, open_world=True),
        body=execute_script,
        uses_roots=True,
    ),
    ToolSpec(
        name="describe_schema",
        title="Describe the dataset's tables",
        input_model=DescribeSchemaInput,
        output_model=SchemaOutput,
        annotations=_READS,
        body=describe_schema,
    ),
    ToolSpec(
        name="validate_dataset",
        title="Check a dataset's integrity",
        input_model=ValidateDatasetInput,
        output_model=ValidationOutput,
        annotations=_READS,
        body=validate_dataset,
        uses_roots=True,
    ),
    ToolSpec(
        name="query_dataset",
        title="Query a dataset with SQL",
        input_model=QueryDatasetInput,
        output_model=QueryOutput,
        annotations=_READS,
        body=query_dataset,
        uses_roots=True,
    ),
    ToolSpec(
        name="list_datasets",
        title="List generated datasets",
        input_model=ListDatasetsInput,
        output_model=DatasetListOutput,
        annotations=_READS,
        body=list_datasets,
        uses_roots=True,
    ),
]


def register(server: MCPServer, *, read_only: bool) -> None:
    """Add the local tools (only the read-only ones when `read_only`) and the schema resources."""
    register_tools(server, SPECS, read_only=read_only)

    @server.resource(
        "retail://schema",
        name="schema",
        title="Retail dataset schema",
        description="All seven tables: columns (name, Arrow type, nullable, description) and keys, as JSON.",
        mime_type="application/json",
    )
    async def schema_resource() -> str:
        from server.schema_docs import describe_tables

        schema = await anyio.to_thread.run_sync(describe_tables, None)
        return schema.model_dump_json(indent=2)

    @server.resource(
        "retail://schema/{table}",
        name="table_schema",
        title="Schema of one retail table",
        description="One table's columns and keys as JSON; table is one of stores, products, customers, "
        "promotions, orders, order_items, inventory_snapshots.",
        mime_type="application/json",
    )
    async def table_schema_resource(table: str) -> str:
        from server.schema_docs import UnknownTableError, describe_tables

        try:
            schema = await anyio.to_thread.run_sync(describe_tables, table)
        except UnknownTableError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        return schema.tables[0].model_dump_json(indent=2)
