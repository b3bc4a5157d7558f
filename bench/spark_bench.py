"""Spark path against the local process pool, and how the single-machine path grows with scale_factor.

Part 1 times medium/14 days, large/14 days and large/14 days x3 (scale_factor 3) two ways on the
same 2 cores:
  - generator.spark.generate_to_spark on a local[2] session with Delta Lake (tests/spark_session.py;
    jars fetched by `python tests/fetch_delta_jars.py`), writing Delta tables into a temporary
    warehouse as on Databricks, staging and swap included;
  - generator.runner.run with workers=2, Parquet, in a fresh process.
Spark's session start-up is printed apart and left out of its rows/s (a cluster pays it once).
The marginal rate (extra rows / extra seconds from large x1 to large x3) leaves out each path's
fixed cost per run, which for Spark is a few dozen small jobs, Delta commits and catalog calls.

Part 2 shows the single-machine path for large/14 days at scale_factor 1, 10 and 100: rows, bytes
on disk, peak memory per worker and wall time. Only scale_factors 1 and 3 are generated; 10 and 100
are extrapolated: every table's rows grow linearly with scale_factor, bytes from the measured bytes
per row of each table, memory from the measured per-worker peak (chunks are bounded, so it does
not grow with scale) and time from the marginal rows/s measured between 1 and 3.

    python bench/spark_bench.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from measure import against_target

SPARK_CASES = [("medium", 14, 1.0), ("large", 14, 1.0), ("large", 14, 3.0)]
#: Target of the speed issue: Spark's rows/s per core on local[2] within 2x of the local process pool.
TARGET_SPARK_RATIO = 2.0
SCALE_FACTORS = (1, 10, 100)
WORKERS = 2

RUN_LOCAL = """
import json, resource, sys, time
from generator.runner import run
from generator.spec import DatasetSpec
scale, days, sf, out, workers = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
started = time.perf_counter()
manifest = run(DatasetSpec(scale=scale, days=days, scale_factor=sf), out, fmt="parquet", workers=workers)
wall = time.perf_counter() - started
print(json.dumps({
    "wall": wall,
    "rows": manifest.total_rows,
    "bytes": manifest.total_bytes,
    "tables": {t: [v.rows, v.bytes] for t, v in manifest.tables.items()},
    "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "main_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run_local(scale: str, days: int, scale_factor: float = 1.0) -> dict[str, Any]:
    """One local run in a fresh process (its own peak memory), into a folder removed afterwards."""
    folder = tempfile.mkdtemp(prefix="spark-bench-local-")
    try:
        args = [scale, str(days), str(scale_factor), str(Path(folder) / "data"), str(WORKERS)]
        result = subprocess.run([sys.executable, "-c", RUN_LOCAL, *args], capture_output=True, text=True, check=True)
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def folder_bytes(folder: Path) -> int:
    """Bytes of the data files under a folder (Spark's _SUCCESS and .crc files excluded)."""
    return sum(
        p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")) and p.suffix
    )


def run_spark(cases: list[tuple[str, int, float]]) -> tuple[float, list[dict[str, Any]]]:
    """Start a local[2] session with Delta, then time generate_to_spark for each case."""
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))  # the project's packages first: tests/generator must not shadow generator
    sys.path.append(str(root / "tests"))  # for spark_session, the tests' Delta session
    from spark_session import delta_session

    from generator.spark import SparkTarget, check_executors, generate_to_spark
    from generator.spec import DatasetSpec

    warehouse = Path(tempfile.mkdtemp(prefix="spark-bench-warehouse-"))
    started = time.perf_counter()
    results = []
    try:
        with delta_session(warehouse, "retail-datagen-bench", WORKERS, "4g", c1_jit=False) as spark:
            check_executors(spark)  # starts the Python workers: part of the start-up, not of a run
            startup = time.perf_counter() - started
            for scale, days, factor in cases:
                schema = f"bench_{scale}_{days}_{int(factor)}"
                began = time.perf_counter()
                spec = DatasetSpec(scale=scale, days=days, scale_factor=factor)
                result = generate_to_spark(spark, spec, SparkTarget.parse(schema=schema))
                wall = time.perf_counter() - began
                results.append(
                    {
                        "case": (scale, days, factor),
                        "wall": wall,
                        "rows": result.total_rows,
                        "format": result.format,
                        "bytes": folder_bytes(warehouse / f"{schema}.db"),
                        "simulations": result.activity_simulations,
                    }
                )
    finally:
        shutil.rmtree(warehouse, ignore_errors=True)
    return startup, results


def main() -> None:
    """Run both parts and print plain-text tables."""
    print(f"retail-datagen Spark bench: {os.cpu_count()} CPUs visible, {WORKERS} used by both paths\n")
    local = {case: run_local(*case) for case in SPARK_CASES}
    startup, spark_results = run_spark(SPARK_CASES)

    print("Part 1: Spark local[2] writing Delta vs local process pool (workers=2) writing Parquet")
    print(f"  Spark session start-up (JVM, Delta, Python workers): {startup:.1f} s, not counted below\n")
    header = f"  {'case':<14}{'path':<34}{'rows':>12}{'wall s':>9}{'rows/s':>12}{'MB':>9}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for result in spark_results:
        case = result["case"]
        mine = local[case]
        label = f"{case[0]}/{case[1]}d" + (f" x{case[2]:g}" if case[2] != 1 else "")
        spark_path = f"Spark generate_to_spark ({result['format']})"
        for path, rows, wall, size in (
            (spark_path, result["rows"], result["wall"], result["bytes"]),
            ("local runner.run workers=2", mine["rows"], mine["wall"], mine["bytes"]),
        ):
            print(f"  {label:<14}{path:<34}{rows:>12,}{wall:>9.1f}{rows / wall:>12,.0f}{size / 1e6:>9.1f}")
        print(
            f"  {'':<14}{'Spark / local wall time':<34}{'':>12}{result['wall'] / mine['wall']:>8.1f}x"
            f"   (activity simulated {result['simulations']}x)"
        )
    one, three = ("large", 14, 1.0), ("large", 14, 3.0)
    spark_by_case = {r["case"]: r for r in spark_results}
    ratio = spark_by_case[one]["wall"] / local[one]["wall"]  # both on 2 cores: the ratio of rows/s per core
    print("  " + against_target("large/14d, Spark / local wall (rows/s per core)", ratio, TARGET_SPARK_RATIO, False))
    for path, runs in (("Spark local[2]", spark_by_case), ("local workers=2", local)):
        extra_rows = runs[three]["rows"] - runs[one]["rows"]
        extra_wall = runs[three]["wall"] - runs[one]["wall"]
        fixed = runs[one]["wall"] - runs[one]["rows"] * extra_wall / extra_rows
        print(
            f"  marginal rate, {path:<16} {extra_rows / extra_wall:>12,.0f} rows/s"
            f"  (fixed cost per run about {max(fixed, 0.0):.1f} s)"
        )
    print(
        "\n  Spark writes each Delta table once, in place, its row count from the commit, under one rollback;"
        "\n  the local path streams one part file per chunk and renames one folder."
    )

    base, triple = local[("large", 14, 1.0)], local[("large", 14, 3.0)]
    marginal = (triple["rows"] - base["rows"]) / (triple["wall"] - base["wall"])
    fixed = max(0.0, base["wall"] - base["rows"] / marginal)
    peak = max(base["worker_peak_mb"], triple["worker_peak_mb"])
    print("\nPart 2: single-machine path (runner.run, workers=2, Parquet), large/14 days by scale_factor")
    print("  scale_factor 1 and 3 are measured; 10 and 100 are EXTRAPOLATED, not generated:")
    print("  rows = scale_factor x the rows per table at 1; bytes = those rows x the measured bytes/row per table;")
    print("  peak memory per worker = the larger measured one (chunks are bounded, so it does not grow with")
    print(f"  scale); wall = {fixed:.1f} s fixed + rows / the marginal {marginal:,.0f} rows/s measured from 1 to 3.\n")
    header = f"  {'sf':>5}{'rows':>16}{'disk':>12}{'peak/worker':>14}{'main proc':>12}{'wall':>12}  source"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for factor in sorted({*SCALE_FACTORS, 3}):
        measured = {1: base, 3: triple}.get(factor)
        if measured is not None:
            rows, size, wall = measured["rows"], measured["bytes"], measured["wall"]
            worker, main_proc, source = measured["worker_peak_mb"], measured["main_peak_mb"], "measured"
        else:
            rows = sum(r for r, _ in base["tables"].values()) * factor
            size = sum(b * factor for _, b in base["tables"].values())
            wall, worker, main_proc, source = fixed + rows / marginal, peak, triple["main_peak_mb"], "extrapolated"
        print(
            f"  {factor:>5}{rows:>16,}{size / 1e9:>10.2f}GB{worker:>11.0f} MB"
            f"{main_proc:>9.0f} MB{_duration(wall):>12}  {source}"
        )
    print(
        "\n  Chunks are bounded (activity: 16,000 store-product pairs; customers and products: 250,000 rows),"
        "\n  so a worker's peak stops growing once the chunks are full: customers fill theirs above scale_factor 2,"
        "\n  products only near 50, which may add a few tens of MB at 100."
    )
    print("\n  per table at scale_factor 1 (rows, bytes/row):")
    for table, (rows, size) in base["tables"].items():
        print(f"    {table:<22}{rows:>12,}{size / rows if rows else 0.0:>8.1f} B/row")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


if __name__ == "__main__":
    main()
