"""Speed and memory of the local generator: rows/s, wall time, peak memory per worker, and CSV and Delta
against Parquet on the same dataset.

Each run is a fresh process (so its peak memory is its own) writing to a temporary folder, with 2
workers. Part 1 times large/14 days in Parquet, CSV and Delta, rounds interleaved, and prints each
format's time over Parquet's (the speed issue's target: CSV and Delta within 1.5x). Part 2 runs the
memory cases once each: the peak resident memory of the largest worker, whatever `days` and
`scale_factor` (target: under 300 MB). A naive per-row reference (bench/naive_reference.py) is timed
on medium/14 to print the speed-up.

    python bench/generate_bench.py [--rounds 3]
    python bench/generate_bench.py --quick    # fewer memory cases, no large/365
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from measure import against_target, interleaved, median, paired_ratio, rounds_text

FORMATS = ("parquet", "csv", "delta")
#: Targets of the speed issue: CSV and Delta within 1.5x of Parquet's time; peak memory per worker.
TARGET_FORMAT_RATIO = 1.5
TARGET_PEAK_MB = 300.0
#: (scale, days, scale_factor) of the memory cases; the first ones are the quick set.
MEMORY_CASES = [("large", 14, 1.0), ("large", 90, 1.0), ("large", 14, 4.0), ("large", 365, 1.0)]
QUICK_MEMORY_CASES = 3
WORKERS = 2

RUN_ONE = """
import json, resource, sys, time
from generator.config import GenerateOptions
from generator.runner import generate
scale, days, sf, fmt, out, workers = sys.argv[1:7]
options = GenerateOptions(scale=scale, days=days, scale_factor=sf, format=fmt, output_dir=out, workers=workers)
started = time.perf_counter()
manifest = generate(options)
wall = time.perf_counter() - started
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": manifest.total_rows, "wall": wall, "worker_mb": worker, "main_mb": main,
                  "bytes": manifest.total_bytes}))
"""

RUN_NAIVE = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from naive_reference import generate_naive
from generator.spec import DatasetSpec
started = time.perf_counter()
rows = generate_naive(DatasetSpec(scale=sys.argv[1], days=int(sys.argv[2])), Path(sys.argv[3]))
print(json.dumps({"rows": rows, "wall": time.perf_counter() - started}))
"""


def run(code: str, *args: str) -> dict[str, float]:
    """One bench process; the JSON figures it prints last."""
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def generate_once(scale: str, days: int, scale_factor: float, fmt: str) -> dict[str, float]:
    """One generation in a fresh process, into a folder removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        args = (scale, str(days), str(scale_factor), fmt, str(Path(folder) / "out"), str(WORKERS))
        return run(RUN_ONE, *args)


def formats(rounds: int) -> None:
    """large/14 days in each format, rounds interleaved; each format's time over Parquet's."""
    figures: dict[str, list[dict[str, float]]] = {fmt: [] for fmt in FORMATS}

    def case(fmt: str) -> Callable[[], float]:
        def once() -> float:
            figures[fmt].append(generate_once("large", 14, 1.0, fmt))
            return figures[fmt][-1]["wall"]

        return once

    times = interleaved({fmt: case(fmt) for fmt in FORMATS}, rounds)
    print(f"large/14 days, {WORKERS} workers, medians of {rounds} interleaved rounds")
    print(f"{'format':<10}{'rows':>12}{'wall s':>9}{'rows/s':>13}{'MB':>8}  rounds")
    for fmt, walls in times.items():
        first = figures[fmt][0]
        wall = median(walls)
        print(
            f"{fmt:<10}{first['rows']:>12,.0f}{wall:>9.2f}{first['rows'] / wall:>13,.0f}"
            f"{first['bytes'] / 1e6:>8.1f}  {rounds_text(walls)}"
        )
    for fmt in FORMATS[1:]:
        ratio = median(times[fmt]) / median(times["parquet"])
        paired = paired_ratio(times[fmt], times["parquet"])
        print(against_target(f"{fmt} / parquet", ratio, TARGET_FORMAT_RATIO, False) + f" [paired {paired:.2f}x]")


def memory(quick: bool) -> None:
    """Peak memory of the largest worker (and of the main process) per case, Parquet, one run each."""
    print(f"\npeak memory, Parquet, {WORKERS} workers, one run per case")
    print(f"{'case':<22}{'rows':>14}{'wall s':>9}{'rows/s':>13}{'worker MB':>11}{'main MB':>9}")
    cases = MEMORY_CASES[:QUICK_MEMORY_CASES] if quick else MEMORY_CASES
    peaks = []
    for scale, days, scale_factor in cases:
        figures = generate_once(scale, days, scale_factor, "parquet")
        peaks.append(figures["worker_mb"])
        label = f"{scale}/{days}d sf={scale_factor:g}"
        print(
            f"{label:<22}{figures['rows']:>14,.0f}{figures['wall']:>9.2f}{figures['rows'] / figures['wall']:>13,.0f}"
            f"{figures['worker_mb']:>11.0f}{figures['main_mb']:>9.0f}"
        )
    print(against_target("largest worker peak", max(peaks), TARGET_PEAK_MB, False, unit=" MB"))


def naive() -> None:
    """The per-row reference against ours on medium/14 days."""
    with tempfile.TemporaryDirectory() as folder:
        fast = generate_once("medium", 14, 1.0, "parquet")
        slow = run(RUN_NAIVE, "medium", "14", str(Path(folder) / "naive"), str(Path(__file__).parent))
    print(
        f"\nnaive per-row reference, medium/14d: {slow['rows']:,.0f} rows in {slow['wall']:.1f} s "
        f"({slow['rows'] / slow['wall']:,.0f} rows/s); retail-datagen {fast['rows'] / fast['wall']:,.0f} rows/s: "
        f"{slow['wall'] / fast['wall']:.0f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    formats(args.rounds)
    memory(args.quick)
    naive()


if __name__ == "__main__":
    main()
