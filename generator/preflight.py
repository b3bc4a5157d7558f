"""One preflight for every way a run starts (CLI, MCP tools, script contract): the output folder,
the worker count, the estimate and the reasons to refuse, all decided before anything is written.

Why one place: the CLI and the MCP tool must pick the same worker count for the same run, and a
run the machine cannot hold must be refused the same way wherever it was asked for.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from generator.errors import InsufficientCapacityError, OutputExistsError, OutputFolderError
from generator.estimate import DatasetEstimate, estimate_dataset
from generator.manifest import MANIFEST_NAME
from generator.plan import Chunk, plan
from generator.rules import DEFAULT_DUCKDB_FILE
from generator.spec import DatasetSpec

#: Without an explicit worker count, a run that one in-process worker finishes within this many
#: seconds uses one worker: starting a process pool costs more than it saves on a short run, and
#: the output bytes never depend on the worker count.
SINGLE_WORKER_BELOW_SEC = 5.0
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
    """`workers` when given, else one for a short run, else every core; never more than there are chunks."""
    if workers is None and estimate_dataset(spec, fmt, 1).seconds < SINGLE_WORKER_BELOW_SEC:
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


def preflight(
    spec: DatasetSpec,
    output_dir: Path | str,
    fmt: str = "parquet",
    *,
    overwrite: bool = True,
    workers: int | None = None,
    duckdb_file: str | None = None,
) -> RunPlan:
    """Decide the run: check the output folder (OutputFolderError, OutputExistsError), choose the
    workers, estimate it and list the capacity problems (see RunPlan.refuse_if_unfit). `duckdb_file`
    names the database file of a duckdb run (default retail.duckdb)."""
    target = Path(output_dir).expanduser().resolve()
    check_output(target, overwrite)
    estimate = estimate_run(spec, fmt, workers)
    return RunPlan(
        spec=spec,
        fmt=fmt,
        output_dir=target,
        overwrite=overwrite,
        workers=estimate.workers,
        chunks=tuple(plan(spec)),
        estimate=estimate,
        problems=tuple(capacity_problems(estimate, target)),
        duckdb_file=duckdb_file or DEFAULT_DUCKDB_FILE,
    )
