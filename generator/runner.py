"""Runs a generation: builds the planned chunks in a process pool, writes into a staging folder and
swaps it in atomically, so a failure or kill leaves the previous dataset untouched.

Needs only the standard library, numpy and pyarrow (it also runs on a bare Databricks cluster).
`run` decides the run with `generator.preflight` and executes it; a caller that decided already (the
MCP tool, which refuses before starting a background job) calls `execute` with its RunPlan."""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from generator import GENERATOR_NAME, __version__
from generator.chunks import ChunkResult, ChunkTask, run_chunk
from generator.delta import commit_delta_table, delta_log_bytes
from generator.errors import (
    GenerationCancelled,
    OutputBusyError,
    OutputFolderError,
    RevisionRefused,
    WorkerDied,
    classify_os_error,
)
from generator.manifest import STATE_FOLDER, Manifest, RevisionRecord, TableManifest, read_manifest
from generator.modes import MERGE, OVERWRITE
from generator.plan import Chunk, chunk_cost
from generator.pool import pool_context
from generator.preflight import RunPlan, check_output, preflight
from generator.revise import finish_tables, orphan_deletes, part_files, revision_tasks, stage_previous
from generator.schema import dataset_tables
from generator.spec import DatasetSpec
from generator.writers import remove_tree, swap_in

if TYPE_CHECKING:
    from generator.config import GenerateOptions

log = logging.getLogger(__name__)
CANCELLED = "generation cancelled; the output folder was not touched."


@dataclass(frozen=True)
class ProgressEvent:
    """One finished chunk: which tables it wrote and how far the whole run is."""

    tables: tuple[str, ...]
    chunk_id: int
    chunks_done: int
    chunks_total: int
    rows_done: int
    message: str


ProgressCallback = Callable[[ProgressEvent], None]


#: Lock files this process holds open. A forked child (a pool worker) closes its copies at once: a worker
#: that outlives a killed run must not keep the folder locked.
_HELD_LOCKS: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in _HELD_LOCKS:
        os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


class _OutputLock:
    """An exclusive, non-blocking lock on a sibling lock file: one writer per output folder."""

    def __init__(self, target: Path) -> None:
        self.path = target.with_name(f".{target.name}.lock")
        self._fd: int | None = None

    def __enter__(self) -> _OutputLock:
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputBusyError(
                f"output_dir={str(self.path.parent / self.path.name[1:-5])!r} is being written by another "
                "generation right now; wait for it to finish or choose another folder."
            ) from None
        self._fd = fd
        _HELD_LOCKS.add(fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            _HELD_LOCKS.discard(self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)


def _remove_leftovers(target: Path) -> None:
    """Delete staging folders of earlier runs that were killed (safe: we hold the lock)."""
    for stale in target.parent.glob(f".{target.name}.staging-*"):
        remove_tree(stale)
    for stale in target.parent.glob(f".{target.name}.retired-*"):
        remove_tree(stale)


def _versions(fmt: str) -> dict[str, str]:
    import numpy

    from generator.catalog import pool_source

    versions = {
        GENERATOR_NAME: __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "pyarrow": pa.__version__,
        "faker": f"name pools frozen from {pool_source()['faker_version']}",
    }
    if fmt == "delta":
        import deltalake

        versions["deltalake"] = deltalake.__version__
    if fmt == "duckdb":
        import duckdb

        versions["duckdb"] = duckdb.__version__
    return versions


def _execute(
    tasks: list[ChunkTask], workers: int, on_done: Callable[[ChunkResult], None], cancel: threading.Event
) -> None:
    """Run every chunk task, largest first; stop everything as soon as `cancel` is set or a chunk fails."""
    ordered = sorted(tasks, key=lambda task: -chunk_cost(task.chunk, task.spec))
    if workers == 1:
        for task in ordered:
            if cancel.is_set():
                raise GenerationCancelled(CANCELLED)
            on_done(run_chunk(task))
        return
    finished: queue.Queue[tuple[bool, object]] = queue.Queue()
    pool = pool_context().Pool(workers)
    try:
        for task in ordered:
            pool.apply_async(
                run_chunk,
                (task,),
                callback=lambda result: finished.put((True, result)),
                error_callback=lambda error: finished.put((False, error)),
            )
        started = list(pool._pool)  # type: ignore[attr-defined]  # the pool replaces a dead worker silently
        for _ in ordered:
            while True:
                if cancel.is_set():
                    raise GenerationCancelled(CANCELLED)
                try:
                    ok, value = finished.get(timeout=0.1)
                    break
                except queue.Empty:
                    if any(worker.exitcode is not None for worker in started):
                        raise WorkerDied(
                            "a worker process died (killed, or out of memory); the output folder was not "
                            "touched. Run again with fewer workers or a smaller scale_factor."
                        ) from None
            if not ok:
                raise value  # type: ignore[misc]
            on_done(value)  # type: ignore[arg-type]
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def run(
    spec: DatasetSpec,
    output_dir: Path | str,
    fmt: str = "parquet",
    overwrite: bool = True,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    mode: str = OVERWRITE,
    given: Collection[str] | None = None,
    duckdb_file: str | None = None,
) -> Manifest:
    """Generate the dataset into output_dir (mode overwrite), append the days after its last day
    (incremental) or bring it to `spec` (merge), and return the manifest (see generator.modes for
    `mode` and `given`; a duckdb run writes the tables into `<output_dir>/<duckdb_file>`, default
    retail.duckdb).

    Raises OutputExistsError, OutputFolderError, RevisionRefused, InsufficientCapacityError,
    OutputBusyError, GenerationCancelled, DiskFullError, ReadOnlyFolderError or FolderPermissionError
    (all GenerationError) for expected failures; output_dir is untouched then.
    """
    decided = preflight(
        spec, output_dir, fmt, overwrite=overwrite, workers=workers, mode=mode, given=given, duckdb_file=duckdb_file
    )
    decided.refuse_if_unfit()
    return execute(decided, progress=progress, cancel=cancel)


def _check_unchanged(decided: RunPlan) -> None:
    """Refuse a revision whose dataset changed between the decision and the lock (another run got there first)."""
    if decided.revision is None:
        check_output(decided.output_dir, decided.overwrite or decided.mode != OVERWRITE)
        return
    try:
        now = read_manifest(decided.output_dir).version
    except (OSError, ValueError):
        now = None
    if now != decided.revision.previous.version:
        raise RevisionRefused(
            f"output_dir={str(decided.output_dir)!r} changed while this run was being decided (its dataset version "
            f"is now {now}, the run was decided for {decided.revision.previous.version}); run it again."
        )


def execute(
    decided: RunPlan, *, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
) -> Manifest:
    """Run a decided plan (see `run`): build every chunk into a staging folder, then swap it in."""
    started = time.perf_counter()
    target = decided.output_dir
    revision = decided.revision
    if revision is not None and revision.no_op:
        return revision.previous  # the dataset already holds what was asked (a re-run of an increment)
    cancel = cancel or threading.Event()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise classify_os_error(exc) or OutputFolderError(
            f"output_dir={str(target)!r}: cannot create its parent folder ({exc})."
        ) from exc
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise OutputFolderError(f"output_dir={str(target)!r}: the parent folder is not writable.")
    chunks = list(decided.chunks)
    with _OutputLock(target):
        _check_unchanged(decided)  # again, now that no one else can write it
        _remove_leftovers(target)
        staging = target.with_name(f".{target.name}.staging-{os.getpid()}-{threading.get_ident()}")
        try:
            staging.mkdir()
            if revision is None:
                tasks = [ChunkTask(chunk, decided.spec, decided.fmt, staging) for chunk in chunks]
            else:
                stage_previous(revision, target, staging)
                tasks = revision_tasks(revision, chunks, decided.fmt, target, staging)
            results = _run_tasks(tasks, decided.workers, progress, cancel)
            if revision is None:
                tables, changes = _fresh_tables(chunks, results, staging, decided), {}
                if decided.fmt == "duckdb":
                    from generator.duckdb_dataset import build_database

                    tables = build_database(staging, tables, decided.duckdb_file, decided.workers, cancel)
                    remove_tree(staging / STATE_FOLDER)  # a database is rebuilt whole: nothing continues it
            else:
                orphans = orphan_deletes(revision, chunks, target, staging) if revision.mode == MERGE else {}
                finished = finish_tables(revision, chunks, results, orphans, decided.fmt, staging)
                tables, changes = finished.tables, finished.changes
            if cancel.is_set():
                raise GenerationCancelled(CANCELLED)
            duration = round(time.perf_counter() - started, 3)
            version = 0 if revision is None else revision.version
            record = RevisionRecord(version, decided.mode, decided.spec.dataset_fields(), changes, duration)
            manifest = Manifest(
                generator_version=__version__,
                format=decided.fmt,
                parameters=decided.spec.dataset_fields(),
                tables=tables,
                workers=decided.workers,
                chunks=len(chunks),
                duration_sec=duration,
                versions=_versions(decided.fmt),
                version=version,
                revisions=([] if revision is None else revision.previous.revisions) + [record],
            )
            manifest.write(staging)
            swap_in(staging, target)
        except BaseException as exc:
            remove_tree(staging)
            typed = classify_os_error(exc)
            if typed is not None:
                raise typed from exc
            raise
    return manifest


def _run_tasks(
    tasks: list[ChunkTask], workers: int, progress: ProgressCallback | None, cancel: threading.Event
) -> dict[int, ChunkResult]:
    """Run the tasks, reporting each finished chunk; the results by chunk id."""
    results: dict[int, ChunkResult] = {}
    rows_done = 0

    def on_done(result: ChunkResult) -> None:
        nonlocal rows_done
        results[result.chunk_id] = result
        rows = sum(entry.rows for entry in result.files.values())
        rows_done += rows
        if progress is not None:
            tables = tuple(result.files) or tuple(result.changes)
            progress(
                ProgressEvent(
                    tables=tables,
                    chunk_id=result.chunk_id,
                    chunks_done=len(results),
                    chunks_total=len(tasks),
                    rows_done=rows_done,
                    message=f"chunk {len(results)}/{len(tasks)} done: {', '.join(tables)} "
                    f"(+{rows:,} rows, {rows_done:,} in all)",
                )
            )

    _execute(tasks, workers, on_done, cancel)
    return results


def _fresh_tables(
    chunks: list[Chunk], results: dict[int, ChunkResult], staging: Path, decided: RunPlan
) -> dict[str, TableManifest]:
    """Per table of a fresh dataset: rows, bytes and files in part order; for delta, also commit each table."""
    tables = {}
    for name in dataset_tables(decided.spec.customer_history):
        entries = part_files(chunks, results, name)
        size = sum(e.bytes for e in entries)
        version = None
        if decided.fmt == "delta":
            commit_delta_table(staging / name)
            size += delta_log_bytes(staging / name)
            version = 0
        tables[name] = TableManifest(
            rows=sum(e.rows for e in entries), bytes=size, files=entries, delta_version=version
        )
    return tables


def decide(options: GenerateOptions, output_dir: Path | None = None) -> RunPlan:
    """The preflight of validated options (`output_dir` overrides theirs, e.g. resolved under a root)."""
    return preflight(
        options.spec(),
        options.output_dir if output_dir is None else output_dir,
        options.format,
        overwrite=options.overwrite,
        workers=options.workers,
        mode=options.mode,
        given=options.given(),
        duckdb_file=options.duckdb_file,
    )


def generate(
    options: GenerateOptions, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
) -> Manifest:
    """`run` with validated options (the CLI's and the tools' front door)."""
    decided = decide(options)
    decided.refuse_if_unfit()
    return execute(decided, progress=progress, cancel=cancel)
