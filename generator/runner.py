"""Runs a generation: plans chunks, builds them in a process pool, writes into a staging folder
and swaps it in atomically, so a failure or kill leaves the previous dataset untouched.

`run` needs only the standard library, numpy and pyarrow (it also runs on a bare Databricks
cluster); `generate` is its pydantic front door for the CLI and the MCP tools."""

from __future__ import annotations

import fcntl
import json
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
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from generator import GENERATOR_NAME, __version__
from generator.chunks import ChunkResult, run_chunk
from generator.errors import (
    GenerationCancelled,
    InsufficientCapacityError,
    OutputBusyError,
    OutputExistsError,
    OutputFolderError,
)
from generator.estimate import capacity_problems, estimate_dataset
from generator.plan import Chunk, chunk_cost, plan
from generator.schema import TABLE_NAMES
from generator.spec import DatasetSpec
from generator.writers import MANIFEST_NAME, commit_delta_table, delta_log_bytes, remove_tree, swap_in

if TYPE_CHECKING:
    from generator.config import GenerateOptions
    from generator.manifest import Manifest

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


def _check_output(target: Path, overwrite: bool) -> None:
    """Refuse, before anything is written, an output folder we must not or cannot replace."""
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"output_dir={str(target)!r} is a file; give a folder path (new or empty).")
    if target.is_dir():
        entries = [p.name for p in target.iterdir()]
        if entries and MANIFEST_NAME not in entries:
            raise OutputFolderError(
                f"output_dir={str(target)!r} is not empty and holds no retail-datagen dataset "
                f"({MANIFEST_NAME} is missing); choose a new or empty folder so nothing of yours is replaced."
            )
        if entries and not overwrite:
            raise OutputExistsError(
                f"output_dir={str(target)!r} already holds a dataset and overwrite is false; "
                "pass overwrite=true to replace it or choose another folder."
            )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(f"output_dir={str(target)!r}: cannot create its parent folder ({exc}).") from exc
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise OutputFolderError(f"output_dir={str(target)!r}: the parent folder is not writable.")


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
    return versions


def _execute(
    chunks: list[Chunk],
    config: DatasetSpec,
    fmt: str,
    root: Path,
    workers: int,
    on_done: Callable[[ChunkResult], None],
    cancel: threading.Event,
) -> None:
    """Run every chunk, largest first; stop everything as soon as `cancel` is set or a chunk fails."""
    ordered = sorted(chunks, key=lambda c: -chunk_cost(c, config))
    if workers == 1:
        for chunk in ordered:
            if cancel.is_set():
                raise GenerationCancelled("generation cancelled; the output folder was not touched.")
            on_done(run_chunk(chunk, config, fmt, root))
        return
    finished: queue.Queue[tuple[bool, object]] = queue.Queue()
    pool = _pool_context().Pool(workers)
    try:
        for chunk in ordered:
            pool.apply_async(
                run_chunk,
                (chunk, config, fmt, root),
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
) -> dict[str, Any]:
    """Generate all seven tables into output_dir and return the manifest as a JSON-ready dict.

    Raises OutputExistsError, OutputFolderError, OutputBusyError or GenerationCancelled
    (all GenerationError) for expected failures; nothing is written to output_dir then.
    """
    started = time.perf_counter()
    if fmt not in ("parquet", "csv", "delta"):
        raise ValueError(f"format={fmt!r}: accepted values are parquet, csv, delta")
    target = Path(output_dir).expanduser().resolve()
    _check_output(target, overwrite)
    cancel = cancel or threading.Event()
    chunks = plan(spec)
    used_workers = max(1, min(workers or os.cpu_count() or 1, len(chunks)))
    problems = capacity_problems(estimate_dataset(spec, fmt, used_workers), target)
    if problems:
        raise InsufficientCapacityError("refused before writing anything: " + "; ".join(problems) + ".")
    with _OutputLock(target):
        _check_output(target, overwrite)  # again, now that no one else can write it
        _remove_leftovers(target)
        staging = target.with_name(f".{target.name}.staging-{os.getpid()}-{threading.get_ident()}")
        staging.mkdir()
        try:
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

            _execute(chunks, spec, fmt, staging, used_workers, on_done, cancel)
            tables = _collect(chunks, results, staging, fmt)
            if cancel.is_set():
                raise GenerationCancelled("generation cancelled; the output folder was not touched.")
            manifest = {
                "generator": GENERATOR_NAME,
                "generator_version": __version__,
                "format": fmt,
                "parameters": spec.dataset_fields(),
                "tables": tables,
                "total_rows": sum(t["rows"] for t in tables.values()),
                "total_bytes": sum(t["bytes"] for t in tables.values()),
                "workers": used_workers,
                "chunks": len(chunks),
                "duration_sec": round(time.perf_counter() - started, 3),
                "versions": _versions(fmt),
            }
            (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            swap_in(staging, target)
        except BaseException:
            remove_tree(staging)
            raise
    return manifest


def generate(
    options: GenerateOptions,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Manifest:
    """Generate the dataset described by validated options; see `run`."""
    from generator.manifest import Manifest

    manifest = run(
        options.dataset().spec(),
        options.output_dir,
        fmt=options.format,
        overwrite=options.overwrite,
        workers=options.workers,
        progress=progress,
        cancel=cancel,
    )
    return Manifest.model_validate(manifest)


def _collect(
    chunks: list[Chunk], results: dict[int, ChunkResult], staging: Path, fmt: str
) -> dict[str, dict[str, Any]]:
    """Per table: rows, bytes and files in part order; for delta, also commit each table."""
    files: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_NAMES}
    for chunk in chunks:
        for table, written in results[chunk.chunk_id].files.items():
            files[table].append({"path": written.path, "rows": written.rows, "bytes": written.bytes})
    tables = {}
    for name, entries in files.items():
        size = sum(e["bytes"] for e in entries)
        if fmt == "delta":
            commit_delta_table(staging / name)
            size += delta_log_bytes(staging / name)
        tables[name] = {"rows": sum(e["rows"] for e in entries), "bytes": size, "files": entries}
    return tables
