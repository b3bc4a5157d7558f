"""One preflight for every way a run starts (CLI, MCP tools, script contract): the output folder,
the worker count, the estimate and the reasons to refuse, all decided before anything is written.

Why one place: the CLI and the MCP tool must pick the same worker count for the same run, and a
run the machine cannot hold must be refused the same way wherever it was asked for.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from generator.errors import InsufficientCapacityError, OutputExistsError, OutputFolderError, RevisionRefused
from generator.estimate import DatasetEstimate, estimate_dataset
from generator.manifest import MANIFEST_NAME, read_manifest
from generator.modes import OVERWRITE, Revision, decide_revision
from generator.name_rules import DEFAULT_DUCKDB_FILE
from generator.plan import Chunk, plan
from generator.pool import SINGLE_WORKER_BELOW_SEC, start_method
from generator.revise import check_revisable
from generator.spec import DatasetSpec

#: Formats whose datasets an incremental or merge run can change.
REVISABLE_FORMATS = ("parquet", "csv", "delta")
#: Keep this much disk free after writing, and stay under this share of the machine's memory.
DISK_HEADROOM_BYTES = 512 * 1024**2
MEMORY_SHARE = 0.8


@dataclass(frozen=True)
class RunPlan:
    """A run decided but not started: what, where, with how many workers, and what it will take."""

    spec: DatasetSpec
    fmt: str
    output_dir: Path  # absolute
    overwrite: bool
    workers: int
    chunks: tuple[Chunk, ...]
    estimate: DatasetEstimate
    #: Why this machine cannot hold the run (disk, memory), each with the figure and the way out.
    problems: tuple[str, ...]
    #: overwrite, incremental or merge (see generator.modes).
    mode: str = OVERWRITE
    #: An incremental or merge run: the dataset it changes and how; None for a fresh dataset.
    revision: Revision | None = None
    #: The database file inside output_dir of a duckdb run.
    duckdb_file: str = DEFAULT_DUCKDB_FILE

    def refuse_if_unfit(self) -> None:
        """Raise InsufficientCapacityError when there are problems."""
        if self.problems:
            raise InsufficientCapacityError("refused before writing anything: " + "; ".join(self.problems) + ".")


def check_output(target: Path, overwrite: bool) -> None:
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


def choose_workers(spec: DatasetSpec, fmt: str, workers: int | None, chunks: int) -> int:
    """`workers` when given, else one for a run shorter than a pool is worth (by how it would start),
    else every core; never more than there are chunks."""
    if workers is None and estimate_dataset(spec, fmt, 1).seconds < SINGLE_WORKER_BELOW_SEC[start_method()]:
        return 1
    return max(1, min(workers or os.cpu_count() or 1, chunks))


def estimate_run(spec: DatasetSpec, fmt: str = "parquet", workers: int | None = None) -> DatasetEstimate:
    """The estimate of a run with the worker count it will use (see choose_workers)."""
    return estimate_dataset(spec, fmt, choose_workers(spec, fmt, workers, len(plan(spec))))


def _available_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def capacity_problems(estimate: DatasetEstimate, output_dir: Path) -> list[str]:
    """Why this machine cannot hold the run (disk, memory), each with the figure and the way out."""
    problems = []
    probe = Path(output_dir).expanduser().resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    disk = estimate.peak_disk_bytes
    if disk + DISK_HEADROOM_BYTES > free:
        problems.append(
            f"the dataset needs about {disk / 1e9:.1f} GB but {probe} has {free / 1e9:.1f} GB free; "
            "choose a smaller scale, scale_factor or days, another output folder, or generate on a Databricks "
            "cluster (the bundle's Spark job)"
        )
    available = _available_memory_bytes()
    needed = estimate.peak_memory_mb_per_worker * 1e6 * estimate.workers
    if available is not None and needed > available * MEMORY_SHARE:
        problems.append(
            f"{estimate.workers} workers need about {needed / 1e9:.1f} GB of memory but {available / 1e9:.1f} GB "
            "is available; pass fewer workers, a smaller scale_factor, or generate on a Databricks cluster"
        )
    return problems


def _work_spec(spec: DatasetSpec, revision: Revision | None) -> DatasetSpec:
    """What the run simulates: an increment only its new days (for the estimate)."""
    if revision is None or revision.first_new_day is None:
        return spec
    return replace(spec, days=max(1, spec.last_day - revision.previous_spec.last_day))


def _decide_revision(
    mode: str, spec: DatasetSpec, target: Path, fmt: str, given: Collection[str] | None
) -> tuple[Revision, str]:
    """The revision of the dataset in `target` and its format (the dataset's: a revision keeps it)."""
    try:
        previous = read_manifest(target)
    except (OSError, ValueError) as exc:
        raise RevisionRefused(
            f"mode={mode!r}: {target / MANIFEST_NAME} cannot be read ({exc}); use mode='overwrite' to regenerate "
            "the dataset."
        ) from None
    if previous.format not in REVISABLE_FORMATS:
        raise RevisionRefused(
            f"mode={mode!r}: the dataset in {target} is a {previous.format} database, which a run rebuilds whole; "
            f"incremental and merge runs take {', '.join(REVISABLE_FORMATS)} datasets. Use mode='overwrite'."
        )
    if fmt != previous.format and (given is None or "format" in given):
        raise RevisionRefused(
            f"format={fmt!r}: the dataset in {target} is {previous.format}; a {mode} run keeps its format, so pass "
            f"format={previous.format!r} or leave it out (mode='overwrite' rewrites it in another format)."
        )
    revision = decide_revision(mode, spec, given, previous, str(target))
    if not revision.no_op:
        check_revisable(revision, target)
    return revision, previous.format


def preflight(
    spec: DatasetSpec,
    output_dir: Path | str,
    fmt: str = "parquet",
    *,
    overwrite: bool = True,
    workers: int | None = None,
    mode: str = OVERWRITE,
    given: Collection[str] | None = None,
    duckdb_file: str | None = None,
) -> RunPlan:
    """Decide the run: check the output folder (OutputFolderError, OutputExistsError), and for an
    incremental or merge run the dataset in it (RevisionRefused); choose the workers, estimate it and
    list the capacity problems (see RunPlan.refuse_if_unfit).

    With mode incremental or merge, `given` names the parameters the caller set (the others are the
    dataset's; None: all of them); a folder without a dataset gets a fresh one. `duckdb_file` names
    the database file of a duckdb run (default retail.duckdb).
    """
    target = Path(output_dir).expanduser().resolve()
    revision = None
    if mode != OVERWRITE and (target / MANIFEST_NAME).is_file():
        revision, fmt = _decide_revision(mode, spec, target, fmt, given)
        spec = revision.spec
    else:
        check_output(target, overwrite or mode != OVERWRITE)
    estimate = estimate_run(_work_spec(spec, revision), fmt, workers)
    return RunPlan(
        spec=spec,
        fmt=fmt,
        output_dir=target,
        overwrite=overwrite,
        workers=estimate.workers,
        chunks=tuple(plan(spec)),
        estimate=estimate,
        problems=tuple(capacity_problems(estimate, target)),
        mode=mode,
        revision=revision,
        duckdb_file=duckdb_file or DEFAULT_DUCKDB_FILE,
    )
