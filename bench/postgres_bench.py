"""Loading medium/30 days into PostgreSQL: load_to_postgres (COPY) against plain INSERT batches.

Starts its own PostgreSQL 15 server (tests/postgres_server.py) with the server's default settings
(fsync on: durable, as a real server), on 127.0.0.1, sharing the machine's cores with this client.

  - COPY: generator.postgres.load_to_postgres, everything included (staging schema, COPY of all
    seven tables in parallel, primary keys, foreign-key indexes, foreign-key validation, ANALYZE,
    the swap); run REPEATS times with the default workers (median printed), then once per worker count.
  - INSERT: psycopg executemany of ``INSERT ... VALUES (%s, ...)``, 1000 rows per batch and one commit
    per batch, into an order_items table without keys or indexes (its most favourable case), on a
    sample of INSERT_SAMPLE rows; the time to build the Python tuples is left out. The figure for
    the whole dataset is extrapolated from the sample's rows/s (it is not measured).

    python bench/postgres_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import psycopg  # noqa: E402
import pyarrow as pa  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402
from psycopg import sql  # noqa: E402

from generator.postgres import default_workers, load_to_postgres, open_dataset  # noqa: E402
from generator.postgres.ddl import create_table  # noqa: E402
from generator.runner import run  # noqa: E402
from generator.schema import TABLES  # noqa: E402
from generator.spec import DatasetSpec  # noqa: E402

REPEATS = 3
WORKER_COUNTS = (1, 2, 4, 7)
INSERT_SAMPLE = 50_000
INSERT_BATCH = 1000
TARGET_ROWS_PER_SEC = 300_000


def server_cpu_seconds(server: PostgresServer) -> float:
    """CPU time used so far by the server: the postmaster, its exited children and the live ones."""
    ticks = os.sysconf("SC_CLK_TCK")
    postmaster = int((server.data / "postmaster.pid").read_text().split()[0])

    def times(pid: int, with_children: bool) -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(v) for v in fields[11 : 15 if with_children else 13])  # utime stime [cutime cstime]

    total = times(postmaster, True)
    for child in Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split():
        try:
            total += times(int(child), False)
        except FileNotFoundError:  # it exited meanwhile: its time is in the postmaster's cutime now
            continue
    return total / ticks


def copy_runs(folder: Path, dsn: str, workers: int, repeats: int, server: PostgresServer) -> list[tuple[float, float]]:
    """(wall seconds, CPU seconds of client and server) of each full load (overwrite: later runs also swap)."""
    runs = []
    for _ in range(repeats):
        client, served = time.process_time(), server_cpu_seconds(server)
        result = load_to_postgres(folder, dsn, schema="bench", overwrite=True, workers=workers)
        runs.append((result.seconds, time.process_time() - client + server_cpu_seconds(server) - served))
    return runs


def insert_rate(folder: Path, dsn: str) -> tuple[int, float]:
    """(rows, seconds) for INSERT executemany of a sample of order_items, 1000 rows and one commit per batch."""
    spec = TABLES["order_items"]
    sample: list[pa.Table] = []
    for batch in open_dataset(folder)["order_items"].batches(INSERT_SAMPLE):
        sample.append(pa.table(batch))
        if sum(part.num_rows for part in sample) >= INSERT_SAMPLE:
            break
    table = pa.concat_tables(sample).slice(0, INSERT_SAMPLE)
    rows = list(zip(*(table[name].to_pylist() for name in spec.schema.names), strict=True))
    statement = sql.SQL("INSERT INTO {} VALUES ({})").format(
        sql.Identifier("insert_bench", spec.name), sql.SQL(", ").join(sql.Placeholder() * len(spec.schema))
    )
    with psycopg.connect(dsn) as conn:
        conn.execute("DROP SCHEMA IF EXISTS insert_bench CASCADE")
        conn.execute("CREATE SCHEMA insert_bench")
        conn.execute(create_table("insert_bench", spec))
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for start in range(0, len(rows), INSERT_BATCH):
                cursor.executemany(statement, rows[start : start + INSERT_BATCH])
                conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP SCHEMA insert_bench CASCADE")
        conn.commit()
    return len(rows), seconds


def main() -> None:
    spec = DatasetSpec(scale="medium", days=30)
    with tempfile.TemporaryDirectory(prefix="postgres-bench-") as temp, PostgresServer() as server:
        folder = Path(temp) / "data"
        run(spec, folder)
        sources = open_dataset(folder)
        total = sum(source.rows for source in sources.values())
        size_mb = sum(f.stat().st_size for f in folder.rglob("*.parquet")) / 1e6
        database = server.create_database("bench")
        dsn = server.dsn(database)
        with psycopg.connect(dsn) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            fsync = conn.execute("SHOW fsync").fetchone()[0]
        print(f"medium / 30 days: {total:,} rows in 7 tables ({size_mb:.1f} MB of Parquet)")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"PostgreSQL {version} on 127.0.0.1, default settings (fsync={fsync}); {os.cpu_count()} cores shared")
        print(f"load average before the runs: {load} (other work on the machine slows every figure)")
        print()
        workers = default_workers()
        runs = copy_runs(folder, dsn, workers, REPEATS, server)
        median = statistics.median(wall for wall, _ in runs)
        cpu = statistics.median(used for _, used in runs)
        copy_rate = total / median
        walls = ", ".join(f"{wall:.2f}" for wall, _ in runs)
        verdict = "met" if copy_rate >= TARGET_ROWS_PER_SEC else "NOT met"
        print(f"COPY   load_to_postgres, workers={workers} (default): runs {walls} s; median {median:.2f} s")
        print(f"       {copy_rate:,.0f} rows/s, everything included (target {TARGET_ROWS_PER_SEC:,} rows/s: {verdict})")
        cores = os.cpu_count() or 1
        print(
            f"       CPU used by client and server: {cpu:.2f} s a load, so at best {cpu / cores:.2f} s on {cores} idle "
            f"cores: {total * cores / cpu:,.0f} rows/s (derived, not measured)"
        )
        for count in WORKER_COUNTS:
            ((single, _),) = copy_runs(folder, dsn, count, 1, server)
            print(f"       workers={count}: {single:.2f} s, {total / single:,.0f} rows/s")
        print()
        rows, insert_seconds = insert_rate(folder, dsn)
        insert_rows_per_sec = rows / insert_seconds
        print(
            f"INSERT executemany, {INSERT_BATCH} rows a batch, one commit a batch, order_items without keys: "
            f"{rows:,} rows (a sample) in {insert_seconds:.2f} s, {insert_rows_per_sec:,.0f} rows/s"
        )
        print(
            f"       extrapolated to all {total:,} rows: about {total / insert_rows_per_sec:,.0f} s "
            "(not measured; no keys, indexes or ANALYZE included)"
        )
        print()
        print(f"COPY is {copy_rate / insert_rows_per_sec:.1f}x the INSERT rate")


if __name__ == "__main__":
    main()
