"""Writing medium/30 days as one DuckDB file with keys: the two ways, side by side, and Parquet for reference.

  - parts then load (what format="duckdb" does): the chunks write Parquet parts in parallel worker
    processes into the staging folder, then one DuckDB connection loads them into tables with
    primary and foreign keys (generator.duckdb_dataset); the run's wall time, everything included.
  - straight into the file: the chunks built in this one process (a DuckDB file has one writer) and
    each Arrow batch inserted into the keyed tables as it comes, parents first.
  - the same two without keys, to show what the key indexes cost; and the plain Parquet run.

Each figure is the median of REPEATS runs on this machine (shared: the load average is printed).

    python bench/duckdb_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from generator.chunks import build_chunk  # noqa: E402
from generator.duckdb_dataset import parents_first, table_ddl  # noqa: E402
from generator.plan import plan  # noqa: E402
from generator.runner import run  # noqa: E402
from generator.spec import DatasetSpec  # noqa: E402

REPEATS = 3
WORKERS = 2
SPEC = DatasetSpec(scale="medium", days=30)
ORDER = {spec.name: index for index, spec in enumerate(parents_first())}


def straight_into_the_file(folder: Path, keys: bool) -> int:
    """Every chunk built here, its batches inserted into `<folder>/retail.duckdb` as they come; returns the rows."""
    rows = 0
    folder.mkdir()
    with duckdb.connect(str(folder / "retail.duckdb"), config={"threads": WORKERS, "memory_limit": "1GB"}) as con:
        for spec in parents_first():
            con.execute(table_ddl(spec, keys=keys))
        chunks = sorted(plan(SPEC), key=lambda chunk: min(ORDER[table] for table in chunk.tables))
        for chunk in chunks:
            for batch in build_chunk(chunk, SPEC):
                for table in sorted(batch, key=ORDER.__getitem__):
                    con.register("batch", batch[table])
                    con.execute(f"INSERT INTO {table} SELECT * FROM batch")
                    con.unregister("batch")
                    rows += batch[table].num_rows
        con.execute("CHECKPOINT")
    return rows


def parts_then_load(folder: Path, keys: bool) -> int:
    """format="duckdb" (or, without keys, the same load of the parts into plain tables)."""
    if keys:
        return run(SPEC, folder, fmt="duckdb", workers=WORKERS).total_rows
    manifest = run(SPEC, folder, fmt="parquet", workers=WORKERS)
    with duckdb.connect(str(folder / "plain.duckdb"), config={"threads": WORKERS, "memory_limit": "1GB"}) as con:
        for spec in parents_first():
            con.execute(table_ddl(spec, keys=False))
            files = [str(folder / entry.path) for entry in manifest.tables[spec.name].files]
            con.execute(f"INSERT INTO {spec.name} SELECT {', '.join(spec.schema.names)} FROM read_parquet(?)", [files])
        con.execute("CHECKPOINT")
    return manifest.total_rows


def timed(make: Callable[[Path], int]) -> tuple[int, float, float]:
    """(rows, median seconds, bytes of the result) over REPEATS runs, each in a fresh folder."""
    walls, rows, size = [], 0, 0.0
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory(prefix="duckdb-bench-") as temp:
            target = Path(temp) / "out"
            started = time.perf_counter()
            rows = make(target)
            walls.append(time.perf_counter() - started)
            size = sum(p.stat().st_size for p in Path(temp).rglob("*") if p.is_file())
    return rows, statistics.median(walls), size


def main() -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"medium / 30 days, {WORKERS} workers, {os.cpu_count()} cores shared (load average {load}), median of {REPEATS}"
    )
    cases: list[tuple[str, Callable[[Path], int]]] = [
        ("parquet files (reference)", lambda out: run(SPEC, out, fmt="parquet", workers=WORKERS).total_rows),
        ("duckdb: parts then load, keys (format=duckdb)", lambda out: parts_then_load(out, True)),
        ("duckdb: straight into the file, keys", lambda out: straight_into_the_file(out, True)),
        ("duckdb: parts then load, no keys", lambda out: parts_then_load(out, False)),
        ("duckdb: straight into the file, no keys", lambda out: straight_into_the_file(out, False)),
    ]
    for label, make in cases:
        rows, seconds, size = timed(make)
        print(f"{label:<48} {rows:>10,} rows {seconds:6.2f} s {rows / seconds:>11,.0f} rows/s {size / 1e6:7.1f} MB")


if __name__ == "__main__":
    main()
