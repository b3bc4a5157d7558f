"""generate_data: the seven tables into a folder under the roots, inline or as a background job."""

from __future__ import annotations

import logging
import queue
from pathlib import Path
from typing import Literal

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from generator.config import GenerateOptions
from generator.errors import (
    DiskFullError,
    FolderPermissionError,
    GenerationError,
    ReadOnlyFolderError,
)
from generator.manifest import CHANGES_FOLDER, MANIFEST_NAME, Manifest
from generator.modes import describe
from server.generation_jobs import GenerationJob, TooManyJobsError
from server.tooling.definition import Hints, ToolContext, tool
from server.tooling.links import LinkedFile

logger = logging.getLogger(__name__)

#: Runs estimated longer than this go to the background: clients cut calls at ~60 s and the
#: estimate is good to a factor of two.
BACKGROUND_AFTER_SEC = 30.0
PROGRESS_POLL_SEC = 0.05
CANCEL_WAIT_SEC = 60.0

MANIFEST_LINK_TEXT = "The dataset's manifest: every file of every table with its rows and bytes, the parameters."
#: What to do about a run the file system stopped, by the core's typed error.
FAILURE_HINTS: dict[type[GenerationError], str] = {
    DiskFullError: "The disk holding output_dir is full: free space, or choose a smaller scale, scale_factor or "
    "days (estimate_dataset shows the size) or another output_dir. A previous dataset there is unchanged.",
    ReadOnlyFolderError: "output_dir is on a read-only file system: choose a writable folder. A previous dataset "
    "there is unchanged.",
    FolderPermissionError: "The server may not write into output_dir: choose another folder. A previous dataset "
    "there is unchanged.",
}


class GenerateDataInput(GenerateOptions):
    """Parameters of generate_data: the core's GenerateOptions, with output_dir under the roots."""

    output_dir: str = Field(  # type: ignore[assignment]  # a path string resolved under the data root
        "sample_data",
        description="Dataset folder (relative to the data root), replaced atomically.",
    )
    background: bool | None = Field(
        None,
        description="true: return a job_id at once; null: only when the estimate exceeds ~30 s.",
    )


class TableChangeCounts(BaseModel):
    """What an incremental or merge run changed in one table."""

    inserts: int = Field(description="Rows inserted.")
    updates: int = Field(description="Rows updated (the feed holds their before and after images).")
    deletes: int = Field(description="Rows deleted.")


class TableSummary(BaseModel):
    """A table's size (its files are listed in _manifest.json, which the result links)."""

    rows: int = Field(description="Rows in the table.")
    bytes: int = Field(description="Bytes on disk over all of the table's files.")
    file_count: int = Field(description="Number of data files, in <output_dir>/<table>/.")


class GenerationResult(BaseModel):
    """What a finished generation wrote (a summary of its manifest)."""

    output_dir: str = Field(description="Absolute path of the dataset folder.")
    manifest_path: str = Field(
        description="_manifest.json: every file with its rows and bytes, and the versions (linked as a resource)."
    )
    format: str = Field(description="parquet, csv, delta or duckdb.")
    parameters: dict[str, object] = Field(
        description="Row-determining parameters: scale, scale_factor, days, seed, start_date, end_date, "
        "customer_history."
    )
    version: int = Field(description="Dataset version: 0 when generated fresh, +1 per incremental or merge run.")
    changes: dict[str, TableChangeCounts] | None = Field(
        description="Incremental or merge run: per table what it changed; the rows themselves are in "
        "change_feed/<table>/v<version>/ (with _change_type and _commit_version). Null for a fresh dataset."
    )
    change_feed: str | None = Field(description="Absolute path of the dataset's _changes folder, if it has one.")
    tables: dict[str, TableSummary] = Field(description="Per table: rows, bytes and number of files.")
    total_rows: int = Field(description="Rows over all tables.")
    total_bytes: int = Field(description="Bytes over all tables.")
    workers: int = Field(description="Worker processes used (never changes the output).")
    duration_sec: float = Field(description="Wall time of the run in seconds.")

    @classmethod
    def of(cls, manifest: Manifest, folder: Path) -> GenerationResult:
        """The manifest as a tool result: counts per table, the file list left in the manifest."""
        revision = manifest.revisions[-1] if manifest.version and manifest.revisions else None
        return cls(
            output_dir=str(folder),
            manifest_path=str(folder / MANIFEST_NAME),
            format=manifest.format,
            parameters=manifest.parameters,
            tables={
                name: TableSummary(rows=table.rows, bytes=table.bytes, file_count=len(table.files))
                for name, table in manifest.tables.items()
            },
            total_rows=manifest.total_rows,
            total_bytes=manifest.total_bytes,
            workers=manifest.workers,
            duration_sec=manifest.duration_sec,
            version=manifest.version,
            changes=None
            if revision is None
            else {
                name: TableChangeCounts(inserts=c.inserts, updates=c.updates, deletes=c.deletes)
                for name, c in revision.changes.items()
            },
            change_feed=str(folder / CHANGES_FOLDER) if (folder / CHANGES_FOLDER).is_dir() else None,
        )

    def linked_files(self) -> list[LinkedFile]:
        """The manifest, which lists every file (server.tooling.links)."""
        return [LinkedFile(Path(self.manifest_path), MANIFEST_LINK_TEXT, "application/json")]


class GenerateDataOutput(BaseModel):
    """The finished dataset, or the handle of a background run."""

    status: Literal["succeeded", "running"] = Field(
        description="succeeded: result holds the dataset; running: poll get_generation_status(job_id)."
    )
    job_id: str | None = Field(description="Handle of the background run; null when the run finished inline.")
    output_dir: str = Field(description="Absolute path of the dataset folder.")
    estimated_seconds: float | None = Field(description="Estimated run time, when an estimate was available.")
    result: GenerationResult | None = Field(description="The dataset written; null while running.")
    message: str = Field(description="What happened and what to do next.")

    def linked_files(self) -> list[LinkedFile]:
        return self.result.linked_files() if self.result is not None else []


def failure_text(job: GenerationJob) -> str | None:
    """A failed run's error, with what to do when the file system was the cause."""
    hint = FAILURE_HINTS.get(type(job.failure)) if job.failure is not None else None
    return f"{job.error} {hint}" if hint and job.error else job.error


@tool(
    title="Generate a retail dataset",
    # Replaces an existing dataset in output_dir (overwrite=true). Not idempotent: mode=incremental with
    # `days` appends that many days on every call (with end_date a repeated call changes nothing).
    hints=Hints(read_only=False, destructive=True, idempotent=False, open_world=False),
    uses_roots=True,
)
async def generate_data(args: GenerateDataInput, tc: ToolContext) -> GenerateDataOutput:
    """Generate the seven related retail tables (stores, products, customers, promotions, orders,
    order_items, inventory_snapshots) as Parquet, CSV or Delta files, or one DuckDB file with keys.

    Use it first when realistic retail data is needed; describe_schema, query_dataset and
    validate_dataset then work on the folder it returns. mode incremental or merge grows or changes
    an existing dataset instead (pass end_date so that a retry changes nothing).

    Cost: small/14 days (~46K rows) ~1 s; medium/90 days (~4.4M rows) seconds; large/365 days
    (~160M rows) a minute or more. Runs estimated over ~30 s return a job_id at once: poll
    get_generation_status every 10-30 s. A failed or cancelled run leaves no partial files.
    """
    from generator.runner import decide

    output_dir = tc.resolve(args.output_dir, field="output_dir")
    if output_dir in tc.roots.all:
        raise ToolError(
            f"output_dir={args.output_dir!r} is a root folder itself ({output_dir}); use a sub-folder such as "
            "'sample_data' so that replacing the dataset never touches anything else."
        )
    try:
        decided = await anyio.to_thread.run_sync(decide, args, output_dir)
    except GenerationError as exc:  # refused here, not in a background job the agent would have to poll
        raise ToolError(str(exc)) from None
    if decided.problems:
        raise ToolError(
            f"Refused before writing anything: {'; '.join(decided.problems)}. "
            "estimate_dataset shows the figures per table."
        )
    if decided.revision is not None and decided.revision.no_op:
        return GenerateDataOutput(
            status="succeeded",
            job_id=None,
            output_dir=str(output_dir),
            estimated_seconds=0.0,
            result=GenerationResult.of(decided.revision.previous, output_dir),
            message=f"Nothing to do: the dataset already holds {describe(decided.revision.spec)} (version "
            f"{decided.revision.previous.version}); nothing was changed.",
        )
    estimated = decided.estimate.seconds
    background = args.background if args.background is not None else estimated > BACKGROUND_AFTER_SEC
    try:
        job = tc.state.jobs.start(decided, background=background)
    except TooManyJobsError as exc:
        raise ToolError(str(exc)) from None
    if background:
        return GenerateDataOutput(
            status="running",
            job_id=job.job_id,
            output_dir=str(output_dir),
            estimated_seconds=estimated,
            result=None,
            message=f"Generation started in the background (estimated ~{estimated:.0f} s). Poll "
            f"get_generation_status(job_id='{job.job_id}') every 10-30 s; cancel_generation(job_id='{job.job_id}') "
            "stops it.",
        )
    await _follow_inline(job, tc.ctx)
    if job.state != "succeeded" or job.manifest is None:
        raise ToolError(f"Generation {job.state}: {failure_text(job) or 'no reason given'}")
    result = GenerationResult.of(job.manifest, output_dir)
    return GenerateDataOutput(
        status="succeeded",
        job_id=None,
        output_dir=str(output_dir),
        estimated_seconds=estimated,
        result=result,
        message=f"Wrote {result.total_rows:,} rows ({result.total_bytes:,} bytes) in {result.duration_sec:.1f} s. "
        f"Next: describe_schema, query_dataset(path='{output_dir}', sql=...), validate_dataset.",
    )


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
