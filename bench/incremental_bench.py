"""An increment costs about what its new days cost in a fresh run: large/+7 days on a large/90-day
dataset next to a fresh large/7-day run (and, for scale, the 90-day run itself).

The 90-day dataset is generated once; each increment runs on a hard-linked copy of it (what the
runner's staging does too), so every repeat appends the same seven days. Figures are medians of
REPEATS runs, wall seconds and CPU seconds (this process and its workers); the machine is shared,
so the load average is printed and the ratio is the figure to read.

    python bench/incremental_bench.py [parquet|delta] [--days 90] [--scale large]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.manifest import read_manifest  # noqa: E402
from generator.runner import run  # noqa: E402
from generator.spec import DatasetSpec  # noqa: E402

REPEATS = 3
ADDED_DAYS = 7


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), _cpu()
    work()
    return time.perf_counter() - wall, _cpu() - cpu


def median_of(label: str, runs: list[tuple[float, float]], rows: int) -> tuple[float, float]:
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    print(f"{label:<38}{wall:>8.2f} s wall {cpu:>8.2f} s CPU {rows:>14,} rows")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("format", nargs="?", default="parquet", choices=["parquet", "delta"])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--scale", default="large")
    args = parser.parse_args()
    base = DatasetSpec(scale=args.scale, days=args.days)
    grown = replace(base, days=base.days + ADDED_DAYS, end_date=base.end_date + timedelta(days=ADDED_DAYS))
    fresh = replace(base, days=ADDED_DAYS, end_date=grown.end_date)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; format {args.format}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        history = root / "history"
        once = timed(lambda: run(base, history, args.format))
        median_of(f"{args.scale}/{args.days} days, fresh (once)", [once], read_manifest(history).total_rows)

        increments = []
        added = 0
        for repeat in range(REPEATS):
            copy = root / f"copy-{repeat}"
            subprocess.run(["cp", "-al", str(history), str(copy)], check=True)
            increments.append(
                timed(lambda copy=copy: run(grown, copy, args.format, mode="incremental", given={"end_date"}))
            )
            added = sum(change.inserts for change in read_manifest(copy).revisions[-1].changes.values())
            shutil.rmtree(copy)
        inc_wall, inc_cpu = median_of(
            f"{args.scale}/+{ADDED_DAYS} days on {args.days} (incremental)", increments, added
        )

        fresh_runs = []
        for repeat in range(REPEATS):
            target = root / f"fresh-{repeat}"
            fresh_runs.append(timed(lambda target=target: run(fresh, target, args.format)))
            rows = read_manifest(target).total_rows
            shutil.rmtree(target)
        fresh_wall, fresh_cpu = median_of(f"{args.scale}/{ADDED_DAYS} days, fresh", fresh_runs, rows)
    print(f"incremental / fresh: {inc_wall / fresh_wall:.2f}x wall, {inc_cpu / fresh_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
