"""get_generation_status and cancel_generation: follow and stop a background run of generate_data."""

from __future__ import annotations

from typing import Literal

import anyio
import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from server.generation_jobs import GenerationJob
from server.tooling.definition import READS, Hints, ToolContext, ToolInput, tool
from server.tooling.links import LinkedFile
from server.tools.local.generate_data import GenerationResult, failure_text

CANCEL_STOP_WAIT_SEC = 10.0


class JobInput(ToolInput):
    """Names one background generation."""

    job_id: str = Field(min_length=1, max_length=64, description="job_id that generate_data returned.")


class JobStatus(BaseModel):
    """State of a background generation."""

    job_id: str = Field(description="Handle of the run.")
    state: Literal["running", "succeeded", "failed", "cancelled"] = Field(description="Where the run is.")
    cancel_requested: bool = Field(description="True once cancel_generation was called for the run.")
    output_dir: str = Field(description="Absolute path of the dataset folder.")
    chunks_done: int = Field(description="Generation tasks finished so far.")
    chunks_total: int | None = Field(description="Generation tasks in the run; null until planned.")
    rows_done: int = Field(description="Rows written so far.")
    progress_message: str | None = Field(description="Latest progress message from the generator.")
    elapsed_sec: float = Field(description="Seconds since the run started (until it ended, once it has).")
    estimated_seconds: float | None = Field(description="Estimated total run time, when known.")
    result: GenerationResult | None = Field(description="The dataset written, once state is succeeded.")
    error: str | None = Field(description="Why the run failed or was cancelled; null otherwise.")

    @classmethod
    def of(cls, job: GenerationJob) -> JobStatus:
        progress = job.progress()
        manifest = job.manifest
        return cls(
            job_id=job.job_id,
            state=job.state,
            cancel_requested=job.cancel_requested,
            output_dir=str(job.plan.output_dir),
            chunks_done=progress.chunks_done,
            chunks_total=progress.chunks_total,
            rows_done=progress.rows_done,
            progress_message=progress.message,
            elapsed_sec=round(job.elapsed, 3),
            estimated_seconds=job.plan.estimate.seconds,
            result=GenerationResult.of(manifest, job.plan.output_dir) if manifest is not None else None,
            error=failure_text(job),
        )

    def linked_files(self) -> list[LinkedFile]:
        return self.result.linked_files() if self.result is not None else []


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


@tool(title="Status of a background generation", hints=READS)
async def get_generation_status(args: JobInput, tc: ToolContext) -> JobStatus:
    """State of a background generate_data run: running, succeeded, failed or cancelled, the
    progress so far and, once it succeeded, the dataset.

    Use it to poll a job_id that generate_data returned, every 10-30 s. Instant.
    """
    return JobStatus.of(_get_job(tc, args.job_id))


@tool(
    title="Cancel a background generation",
    # Stops a run; never deletes an existing dataset.
    hints=Hints(read_only=False, destructive=False, idempotent=True, open_world=False),
)
async def cancel_generation(args: JobInput, tc: ToolContext) -> JobStatus:
    """Stop a background generate_data run at its next chunk: no partial dataset is left, and a
    dataset that was in output_dir before stays as it was.

    Use it for a run started by mistake or taking too long. Waits up to 10 s for it to stop; a
    finished run is left as it is.
    """
    job = _get_job(tc, args.job_id)
    if not job.done.is_set():
        job.cancel()
        await anyio.to_thread.run_sync(job.wait, CANCEL_STOP_WAIT_SEC)
    return JobStatus.of(job)
