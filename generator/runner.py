"""Runs a generation: builds the planned chunks in a process pool, writes into a staging folder and
swaps it in atomically, so a failure or kill leaves the previous dataset untouched.

Needs only the standard library, numpy and pyarrow (it also runs on a bare Databricks cluster).
`run` decides the run with `generator.preflight` and executes it; a caller that decided already (the
MCP tool, which refuses before starting a background job) calls `execute` with its RunPlan."""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from generator import GENERATOR_NAME, __version__
from generator.chunks import ChunkResult, run_chunk
from generator.errors import GenerationCancelled, OutputBusyError, OutputFolderError, classify_os_error
from generator.manifest import FileEntry, Manifest, TableManifest
from generator.plan import Chunk, chunk_cost
from generator.preflight import RunPlan, check_output, preflight
from generator.schema import TABLE_NAMES
from generator.spec import DatasetSpec
from generator.writers import commit_delta_table, delta_log_bytes, remove_tree, swap_in

if TYPE_CHECKING:
    from generator.config import GenerateOptions

log = logging.getLogger(__name__)


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
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)


def _remove_leftovers(target: Path) -> None:
    """Delete staging folders of earlier runs that were killed (safe: we hold the lock)."""
    for stale in target.parent.glob(f".{target.name}.staging-*"):
        remove_tree(stale)
    for stale in target.parent.glob(f".{target.name}.retired-*"):
        remove_tree(stale)


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork when this process has a single thread (fast start); forkserver otherwise (safe in a
    threaded server); the platform default where neither exists."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["generator.chunks", "generator.activity"])
        return context
    return multiprocessing.get_context()


def _versions(fmt: str) -> dict[str, str]:
    import numpy

    from generator.catalog import POOLS_SNAPSHOT

    versions = {
        GENERATOR_NAME: __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "pyarrow": pa.__version__,
    }
    if POOLS_SNAPSHOT.exists():
        versions["faker"] = "frozen name pools"
    else:
        import faker

        versions["faker"] = faker.VERSION
    if fmt == "delta":
        import deltalake

        versions["deltalake"] = deltalake.__version__
    if fmt == "duckdb":
        import duckdb

        versions["duckdb"] = duckdb.__version__
    return versions


def _execute(
    chunks: list[Chunk],
    spec: DatasetSpec,
    fmt: str,
    root: Path,
    workers: int,
    on_done: Callable[[ChunkResult], None],
    cancel: threading.Event,
) -> None:
    """Run every chunk, largest first; stop everything as soon as `cancel` is set or a chunk fails."""
    ordered = sorted(chunks, key=lambda c: -chunk_cost(c, spec))
    if workers == 1:
        for chunk in ordered:
            if cancel.is_set():
                raise GenerationCancelled("generation cancelled; the output folder was not touched.")
            on_done(run_chunk(chunk, spec, fmt, root))
        return
    finished: queue.Queue[tuple[bool, object]] = queue.Queue()
    pool = _pool_context().Pool(workers)
    try:
        for chunk in ordered:
            pool.apply_async(
                run_chunk,
                (chunk, spec, fmt, root),
                callback=lambda result: finished.put((True, result)),
                error_callback=lambda error: finished.put((False, error)),
            )
        for _ in ordered:
            while True:
                if cancel.is_set():
                    raise GenerationCancelled("generation cancelled; the output folder was not touched.")
                try:
                    ok, value = finished.get(timeout=0.1)
                    break
                except queue.Empty:
                    continue
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
    duckdb_file: str | None = None,
) -> Manifest:
    """Generate all seven tables into output_dir and return the manifest (a duckdb run writes them into
    `<output_dir>/<duckdb_file>`, default retail.duckdb).

    Raises OutputExistsError, OutputFolderError, InsufficientCapacityError, OutputBusyError,
    GenerationCancelled, DiskFullError, ReadOnlyFolderError or FolderPermissionError (all
    GenerationError) for expected failures; output_dir is untouched then.
    """
    decided = preflight(spec, output_dir, fmt, overwrite=overwrite, workers=workers, duckdb_file=duckdb_file)
    decided.refuse_if_unfit()
    return execute(decided, progress=progress, cancel=cancel)


def execute(
    decided: RunPlan, *, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
) -> Manifest:
    """Run a decided plan (see `run`): build every chunk into a staging folder, then swap it in."""
    started = time.perf_counter()
    target = decided.output_dir
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
        check_output(target, decided.overwrite)  # again, now that no one else can write it
        _remove_leftovers(target)
        staging = target.with_name(f".{target.name}.staging-{os.getpid()}-{threading.get_ident()}")
        try:
            staging.mkdir()
            results: dict[int, ChunkResult] = {}
            rows_done = 0

            def on_done(result: ChunkResult) -> None:
                nonlocal rows_done
                results[result.chunk_id] = result
                rows = sum(entry.rows for entry in result.files.values())
                rows_done += rows
                if progress is not None:
                    tables = tuple(result.files)
                    progress(
                        ProgressEvent(
                            tables=tables,
                            chunk_id=result.chunk_id,
                            chunks_done=len(results),
                            chunks_total=len(chunks),
                            rows_done=rows_done,
                            message=f"chunk {len(results)}/{len(chunks)} done: {', '.join(tables)} "
                            f"(+{rows:,} rows, {rows_done:,} in all)",
                        )
                    )

            _execute(chunks, decided.spec, decided.fmt, staging, decided.workers, on_done, cancel)
            tables = _collect(chunks, results, staging, decided.fmt)
            if decided.fmt == "duckdb":
                from generator.duckdb_dataset import build_database

                tables = build_database(staging, tables, decided.duckdb_file, decided.workers, cancel)
            if cancel.is_set():
                raise GenerationCancelled("generation cancelled; the output folder was not touched.")
            manifest = Manifest(
                generator_version=__version__,
                format=decided.fmt,
                parameters=decided.spec.dataset_fields(),
                tables=tables,
                workers=decided.workers,
                chunks=len(chunks),
                duration_sec=round(time.perf_counter() - started, 3),
                versions=_versions(decided.fmt),
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


def _collect(chunks: list[Chunk], results: dict[int, ChunkResult], staging: Path, fmt: str) -> dict[str, TableManifest]:
    """Per table: rows, bytes and files in part order; for delta, also commit each table."""
    files: dict[str, list[FileEntry]] = {name: [] for name in TABLE_NAMES}
    for chunk in chunks:
        for table, written in results[chunk.chunk_id].files.items():
            files[table].append(FileEntry(path=written.path, rows=written.rows, bytes=written.bytes))
    tables = {}
    for name, entries in files.items():
        size = sum(e.bytes for e in entries)
        if fmt == "delta":
            commit_delta_table(staging / name)
            size += delta_log_bytes(staging / name)
        tables[name] = TableManifest(rows=sum(e.rows for e in entries), bytes=size, files=entries)
    return tables


def generate(
    options: GenerateOptions, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
) -> Manifest:
    """`run` with validated options (the CLI's and the tools' front door)."""
    return run(
        options.spec(),
        options.output_dir,
        options.format,
        options.overwrite,
        options.workers,
        progress,
        cancel,
        options.duckdb_file,
    )
