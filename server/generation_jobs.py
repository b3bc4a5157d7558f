"""Generation runs in their own threads, tracked in a registry that lives in the server's lifespan.

A run that the agent waits for (inline) and a background run are the same `GenerationJob`; they
differ only in who watches it: the generate_data call forwarding progress, or later
get_generation_status calls. Cancelling sets the `threading.Event` the core polls between chunks;
the core then removes its staging folder, so a cancelled run leaves no partial dataset.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from generator.errors import GenerationError
    from generator.manifest import Manifest
    from generator.preflight import RunPlan
    from generator.runner import ProgressEvent

logger = logging.getLogger(__name__)

JobState = Literal["running", "succeeded", "failed", "cancelled"]

#: Background runs allowed at once (each already uses a process pool over the cores).
MAX_RUNNING_JOBS = 2
#: Finished jobs kept for get_generation_status before the oldest are forgotten.
MAX_FINISHED_JOBS = 50


class TooManyJobsError(RuntimeError):
    """The server already runs as many generations as it allows."""


@dataclass
class JobProgress:
    """Latest progress figures of a run (copied out under the job's lock)."""

    chunks_done: int = 0
    chunks_total: int | None = None
    rows_done: int = 0
    message: str | None = None


@dataclass
class GenerationJob:
    """One `generator.runner.execute` of a decided RunPlan in a worker thread."""

    job_id: str
    plan: RunPlan
    background: bool = False
    cancel_event: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    events: queue.SimpleQueue[ProgressEvent] = field(default_factory=queue.SimpleQueue)
    state: JobState = "running"
    manifest: Manifest | None = None
    #: Why the run did not produce a dataset: the core's typed error, or None.
    failure: GenerationError | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _progress: JobProgress = field(default_factory=JobProgress)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    @property
    def cancel_requested(self) -> bool:
        """True once `cancel` was called."""
        return self.cancel_event.is_set()

    @property
    def elapsed(self) -> float:
        """Seconds from start to now, or to the end of the run."""
        return (self.finished if self.finished is not None else time.monotonic()) - self.started

    def progress(self) -> JobProgress:
        """A copy of the latest progress figures."""
        with self._lock:
            return JobProgress(**vars(self._progress))

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._run, name=f"generate-{self.job_id}", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the core to stop; it checks between chunks and leaves no partial dataset."""
        self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ended (True) or `timeout` passed (False)."""
        return self.done.wait(timeout)

    def _on_progress(self, event: ProgressEvent) -> None:
        with self._lock:
            self._progress = JobProgress(
                chunks_done=event.chunks_done,
                chunks_total=event.chunks_total,
                rows_done=event.rows_done,
                message=event.message,
            )
        if not self.background:  # only an inline caller drains the queue
            self.events.put(event)

    def _run(self) -> None:
        from generator.errors import GenerationCancelled, GenerationError
        from generator.runner import execute

        try:
            manifest = execute(self.plan, progress=self._on_progress, cancel=self.cancel_event)
        except GenerationCancelled as exc:
            self._finish("cancelled", error=str(exc) or "The run was cancelled; nothing was written.", failure=exc)
        except GenerationError as exc:
            logger.info("Generation %s failed: %s", self.job_id, exc)
            self._finish("failed", error=str(exc), failure=exc)
        except BaseException as exc:  # the thread must always record an end state
            logger.exception("Generation %s crashed", self.job_id)
            self._finish("failed", error=f"{type(exc).__name__}: {exc} (the server's stderr log has details)")
        else:
            self._finish("succeeded", manifest=manifest)

    def _finish(
        self,
        state: JobState,
        *,
        manifest: Manifest | None = None,
        error: str | None = None,
        failure: GenerationError | None = None,
    ) -> None:
        with self._lock:
            self.state = state
            self.manifest = manifest
            self.error = error
            self.failure = failure
            self.finished = time.monotonic()
        self.done.set()


class JobRegistry:
    """The server's generation runs by job_id; thread-safe."""

    def __init__(self, max_running: int = MAX_RUNNING_JOBS) -> None:
        self._jobs: dict[str, GenerationJob] = {}
        self._lock = threading.Lock()
        self._max_running = max_running

    def start(self, plan: RunPlan, *, background: bool) -> GenerationJob:
        """Create and start a run (TooManyJobsError when the limit is reached)."""
        with self._lock:
            running = [job for job in self._jobs.values() if not job.done.is_set()]
            if len(running) >= self._max_running:
                raise TooManyJobsError(
                    f"{len(running)} generations are already running "
                    f"({', '.join(job.job_id for job in running)}); wait for one to finish "
                    "(get_generation_status) or stop one (cancel_generation)."
                )
            self._forget_old()
            job = GenerationJob(job_id=uuid.uuid4().hex[:12], plan=plan, background=background)
            self._jobs[job.job_id] = job
        job.start()
        return job

    def get(self, job_id: str) -> GenerationJob | None:
        """The run with this id, if the server still knows it."""
        with self._lock:
            return self._jobs.get(job_id.strip())

    def known_ids(self) -> list[str]:
        """Ids of every run the server remembers, oldest first."""
        with self._lock:
            return list(self._jobs)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel every running job and wait (up to `timeout` in all) for them to stop."""
        with self._lock:
            running = [job for job in self._jobs.values() if not job.done.is_set()]
        for job in running:
            job.cancel()
        deadline = time.monotonic() + timeout
        for job in running:
            if not job.wait(max(0.0, deadline - time.monotonic())):
                logger.warning("Generation %s did not stop within %.0f s of shutdown", job.job_id, timeout)

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if job.done.is_set()]
        for job_id in finished[: max(0, len(finished) - MAX_FINISHED_JOBS + 1)]:
            del self._jobs[job_id]
