"""An increment on Spark costs about what its new days cost: <scale>/+7 days on a <scale>/<days> Delta
dataset (stock continued from the state table, facts appended, dimensions MERGEd) next to a fresh
<scale>/7-day run and to a fresh run of the whole longer window (what re-simulating from the history's
start would cost).

Local Spark (local[2]) with Delta, as the tests have it (tests/spark_session.py; the Delta jars come
from `python tests/fetch_delta_jars.py`). Each figure is one run (an increment changes the tables it
runs on); the session's start-up is left out. The machine is shared: the load average is printed,
and the ratios are the figures to read.

    python bench/spark_increment_bench.py [--scale medium] [--days 28]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the project's packages first: tests/generator must not shadow generator
sys.path.append(str(ROOT / "tests"))  # for spark_session, the tests' Delta session

ADDED_DAYS = 7


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--days", type=int, default=28)
    args = parser.parse_args()

    from spark_session import delta_session

    from generator.spark import SparkTarget, check_executors, generate_to_spark
    from generator.spec import DatasetSpec

    base = DatasetSpec(scale=args.scale, days=args.days)
    longer = replace(base, days=base.days + ADDED_DAYS, end_date=base.end_date + timedelta(days=ADDED_DAYS))
    fresh = replace(longer, days=ADDED_DAYS)
    warehouse = Path(tempfile.mkdtemp(prefix="spark-increment-bench-"))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; local[2] Spark with Delta")
    try:
        with delta_session(warehouse, "retail-datagen-increment-bench", 2, "4g", c1_jit=False) as spark:
            check_executors(spark)  # the Python workers' start, left out of the figures
            figures = {}
            runs = [
                ("history", f"{args.scale}/{args.days} days, fresh", base, "overwrite", None),
                ("increment", f"{args.scale}/+{ADDED_DAYS} days (incremental)", longer, "incremental", {"end_date"}),
                ("fresh", f"{args.scale}/{ADDED_DAYS} days, fresh", fresh, "overwrite", None),
                ("whole", f"{args.scale}/{longer.days} days, fresh", longer, "overwrite", None),
            ]
            for key, label, spec, mode, given in runs:
                schema = "bench_fresh" if key == "fresh" else "bench_whole" if key == "whole" else "bench_grown"
                began = time.perf_counter()
                result = generate_to_spark(spark, spec, SparkTarget.parse(schema=schema), mode=mode, given=given)
                figures[key] = time.perf_counter() - began
                rows = sum(c.inserts for c in result.changes.values()) if result.changes else result.total_rows
                print(f"{label:<40}{figures[key]:>8.1f} s wall {rows:>14,} rows written")
    finally:
        shutil.rmtree(warehouse, ignore_errors=True)
    print(f"incremental / fresh {ADDED_DAYS} days: {figures['increment'] / figures['fresh']:.2f}x wall")
    whole = figures["increment"] / figures["whole"]
    print(f"incremental / fresh {longer.days} days (what re-simulating would cost): {whole:.2f}x wall")


if __name__ == "__main__":
    main()
