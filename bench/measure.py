"""Measuring helpers shared by the bench scripts: timed subprocesses, interleaved rounds, medians,
the shape (rows, values) of what a run wrote, and the line that sets a figure beside its target."""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

#: Where the bench scripts keep what they install or write between runs (ignored by git).
RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: Repository root, for scripts that run project files by path.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: prctl option that hands orphaned descendants to this process instead of init.
PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Shape:
    """What a run wrote: rows, values (rows x columns, summed over files) and Parquet files."""

    rows: int
    values: int
    files: int


def parquet_shape(folder: Path) -> Shape:
    """Rows and values of every Parquet file under `folder`, read from the file footers only."""
    rows = values = files = 0
    for path in folder.rglob("*.parquet"):
        metadata = pq.read_metadata(path)
        rows += metadata.num_rows
        values += metadata.num_rows * metadata.num_columns
        files += 1
    return Shape(rows, values, files)


def timed_run(command: Sequence[str], env: Mapping[str, str] | None = None) -> float:
    """Wall seconds of one subprocess, from spawn to exit (so its imports count); raises with its stderr."""
    started = time.perf_counter()
    result = subprocess.run(list(command), capture_output=True, text=True, env=None if env is None else dict(env))
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return wall


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished descendants so far: unlike wall time,
    it is barely moved by other processes competing for the cores.

    This process becomes a child subreaper (Linux), so that what a child leaves running when it exits
    (the CLI's forkserver, which reaps the pool workers) is handed to us, waited for and counted."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fresh_dir(parent: Path, name: str) -> Path:
    """A path under `parent` that does not exist yet (removed first if an earlier round left it)."""
    path = parent / name
    shutil.rmtree(path, ignore_errors=True)
    return path


def interleaved(cases: Mapping[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run every case once per round (A B C, then B C A, ...) so that load drifts hit all alike."""
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(cases[name]())
            print(f"  round {round_ + 1}/{rounds} {name}: {times[name][-1]:.2f} s", file=sys.stderr, flush=True)
    return times


def median(values: Sequence[float]) -> float:
    """Median of a run's rounds."""
    return statistics.median(values)


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Median over rounds of each round's own ratio: on a busy machine it cancels load shared by a round."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def rounds_text(values: Sequence[float]) -> str:
    """The rounds of one case, for the printout."""
    return " ".join(f"{v:.2f}" for v in values)


def ours_command(scale: str, days: int, workers: int, output_dir: Path, fmt: str = "parquet") -> list[str]:
    """`retail-datagen generate` exactly as a user types it (the console script next to this Python)."""
    script = Path(sys.executable).with_name("retail-datagen")
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "generator.cli"]
    return [
        *launcher,
        "generate",
        f"--scale={scale}",
        f"--days={days}",
        f"--workers={workers}",
        f"--format={fmt}",
        f"--output-dir={output_dir}",
    ]


def against_target(label: str, value: float, target: float, at_least: bool, unit: str = "x") -> str:
    """`label: value (target >= t: met|not met)`; `at_least` says which side of the target is good."""
    met = value >= target if at_least else value <= target
    sign = ">=" if at_least else "<="
    return f"{label}: {value:.2f}{unit} (target {sign} {target:g}{unit}: {'met' if met else 'not met'})"
