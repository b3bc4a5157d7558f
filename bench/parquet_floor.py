"""The Parquet floor: the time writing our tables would take if building them cost nothing, and our ratio to it.

Every chunk of the plan is built with the project's own `generator.chunks.build_chunk` (not timed) and
written with pyarrow exactly as the generator writes it: the table's schema, the generator's writer
options (`generator.writers.parquet_options`: snappy, delta-encoded keys, dictionaries elsewhere), one
part file per chunk and one `write_table` (so the same row groups) per yielded batch. Only opening,
writing and closing the files is timed. The chunks run in 2 worker processes, largest first, each worker
building and writing one chunk at a time (memory stays bounded whatever `days` is). The floor is the
makespan of those write times over 2 workers in the same order (each chunk to the first free worker).
`retail-datagen generate` for the same case runs in the same run, rounds interleaved, medians.

`--options` instead compares writer options on the first activity chunk's tables (in memory, one
process): seconds to write them and bytes written, against ours, to show what each option buys (each
option replaces ours where they overlap).

    python bench/parquet_floor.py                 # large/14 and large/365
    python bench/parquet_floor.py --days 90 --rounds 2
    python bench/parquet_floor.py --options --rounds 7
"""

from __future__ import annotations

import argparse
import heapq
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from measure import (
    against_target,
    children_cpu,
    fresh_dir,
    interleaved,
    median,
    ours_command,
    paired_ratio,
    rounds_text,
    timed_run,
)

from generator.chunks import build_chunk
from generator.plan import Chunk, chunk_cost, plan
from generator.schema import TABLES, dataset_tables
from generator.spec import DatasetSpec
from generator.writers import PARQUET_COMPRESSION, parquet_options

WORKERS = 2
COMPRESSION = PARQUET_COMPRESSION
#: Targets of the speed issue: large/365 in 18 s or less, within 2x of the floor at 365 days.
TARGET_365_SECONDS = 18.0
TARGET_FLOOR_RATIO_365 = 2.0


def _low_cardinality(data: pa.Table) -> list[str]:
    return [name for name in data.column_names if pc.count_distinct(data[name]).as_py() < 0.05 * data.num_rows]


#: Writer options that `--options` compares with ours, from a table's data (looked at before timing).
WRITER_OPTIONS: dict[str, Callable[[pa.Table], dict[str, Any]]] = {
    "ours (delta keys, dictionaries elsewhere)": lambda data: {},
    "dictionary on every column (before)": lambda data: {
        "use_dictionary": True,
        "column_encoding": None,
        "store_decimal_as_integer": False,
    },
    "dictionary on string columns only": lambda data: {
        "use_dictionary": [f.name for f in data.schema if pa.types.is_string(f.type)],
        "column_encoding": None,
    },
    "dictionary where distinct < 5% of rows": lambda data: {
        "use_dictionary": _low_cardinality(data),
        "column_encoding": None,
    },
    "no dictionary": lambda data: {"use_dictionary": False, "column_encoding": None},
    "no statistics": lambda data: {"write_statistics": False},
}


@dataclass(frozen=True)
class ChunkWrite:
    """One chunk's write time (build excluded), wall and CPU seconds, and rows."""

    chunk_id: int
    write_seconds: float
    write_cpu: float
    rows: int


class _Stopwatch:
    """Wall and CPU seconds summed over the `with` blocks it times."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self._started = (0.0, 0.0)

    def __enter__(self) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._started[0]
        self.cpu += time.process_time() - self._started[1]


def write_chunk(task: tuple[Chunk, DatasetSpec, Path]) -> ChunkWrite:
    """Build a chunk batch by batch (not timed) and write each batch as the generator does (timed)."""
    chunk, spec, root = task
    timed = _Stopwatch()
    with timed:
        writers = {}
        for table in [t for t in chunk.tables if t in dataset_tables(spec.customer_history)]:
            path = root / table / f"part-{chunk.part:05d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            schema = TABLES[table].schema
            writers[table] = pq.ParquetWriter(path, schema, **parquet_options(schema))
    rows = 0
    for batch in build_chunk(chunk, spec):
        with timed:
            for table, data in batch.items():
                writers[table].write_table(data)
                rows += data.num_rows
    with timed:
        for writer in writers.values():
            writer.close()
    return ChunkWrite(chunk.chunk_id, timed.wall, timed.cpu, rows)


def makespan(durations: list[float], workers: int) -> float:
    """Wall time of running `durations` in this order on `workers` workers, each next one to the first free."""
    free_at = [0.0] * workers
    for duration in durations:
        heapq.heapreplace(free_at, free_at[0] + duration)
    return max(free_at)


@dataclass
class FloorRound:
    """The floor of one round, the total write seconds (wall, CPU) and the pool's wall time (build + write)."""

    floor: float
    write_seconds: float
    write_cpu: float
    pool_wall: float
    rows: int


def floor_round(spec: DatasetSpec, root: Path) -> FloorRound:
    """Build and write every chunk in a 2-process pool; the floor from the measured write times."""
    chunks = sorted(plan(spec), key=lambda c: -chunk_cost(c, spec))
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        writes = {w.chunk_id: w for w in pool.imap_unordered(write_chunk, [(c, spec, root) for c in chunks])}
    pool_wall = time.perf_counter() - started
    durations = [writes[c.chunk_id].write_seconds for c in chunks]
    cpu = sum(w.write_cpu for w in writes.values())
    return FloorRound(
        makespan(durations, WORKERS), sum(durations), cpu, pool_wall, sum(w.rows for w in writes.values())
    )


def _figure_line(label: str, seconds: float, rows: int, rounds: list[float]) -> str:
    return f"  {label:<24}{seconds:7.2f} s  {rows / seconds:>13,.0f} rows/s  rounds {rounds_text(rounds)}"


def measure_case(days: int, rounds: int, scratch: Path) -> None:
    """Floor and ours for large/`days`, interleaved; prints one block of figures."""
    spec = DatasetSpec(scale="large", days=days)
    floors: list[FloorRound] = []

    def floor_once() -> float:
        floors.append(floor_round(spec, fresh_dir(scratch, "floor")))
        return floors[-1].floor

    ours_cpu: list[float] = []

    def ours_once() -> float:
        cpu_before = children_cpu()
        wall = timed_run(ours_command("large", days, WORKERS, fresh_dir(scratch, "ours")))
        ours_cpu.append(children_cpu() - cpu_before)
        return wall

    times = interleaved({"floor": floor_once, "ours": ours_once}, rounds)
    floor, ours = median(times["floor"]), median(times["ours"])
    rows = floors[0].rows
    print(f"\nlarge/{days} days, Parquet ({COMPRESSION}), {WORKERS} workers, {rows:,} rows")
    print(_figure_line("floor (writes only)", floor, rows, times["floor"]))
    write_seconds, pool_wall = median([f.write_seconds for f in floors]), median([f.pool_wall for f in floors])
    print(
        f"  {'write seconds, summed':<24}{write_seconds:7.2f} s  (floor pool's wall, build + write: {pool_wall:.2f} s)"
    )
    print(_figure_line("retail-datagen generate", ours, rows, times["ours"]))
    cpu, write_cpu = median(ours_cpu), median([f.write_cpu for f in floors])
    print(
        f"  CPU seconds: ours {cpu:.2f} (all its processes), the floor's writes {write_cpu:.2f}: {cpu / write_cpu:.2f}x"
    )
    paired = f" [median of each round's own ratio: {paired_ratio(times['ours'], times['floor']):.2f}x]"
    if days == 365:
        print("  " + against_target("ours / floor", ours / floor, TARGET_FLOOR_RATIO_365, False) + paired)
        print("  " + against_target("ours, large/365", ours, TARGET_365_SECONDS, False, unit=" s"))
    else:
        print(
            f"  ours / floor: {ours / floor:.2f}x{paired} (the target, <= {TARGET_FLOOR_RATIO_365:g}x, is for 365 days)"
        )


def compare_options(days: int, rounds: int, scratch: Path) -> None:
    """Write the first activity chunk's tables under each of WRITER_OPTIONS, rounds interleaved."""
    spec = DatasetSpec(scale="large", days=days)
    chunk = next(c for c in plan(spec) if c.kind == "activity")
    batches = list(build_chunk(chunk, spec))
    tables = {table: [batch[table] for batch in batches] for table in chunk.tables}
    kwargs = {
        label: {table: option(pa.concat_tables(parts)) for table, parts in tables.items()}
        for label, option in WRITER_OPTIONS.items()
    }
    sizes: dict[str, int] = {}

    def case(label: str) -> Callable[[], float]:
        def once() -> float:
            started, size = time.perf_counter(), 0
            for table, parts in tables.items():
                path = scratch / f"{table}.parquet"
                schema = TABLES[table].schema
                with pq.ParquetWriter(path, schema, **{**parquet_options(schema), **kwargs[label][table]}) as writer:
                    for part in parts:
                        writer.write_table(part)
                size += path.stat().st_size
            sizes[label] = size
            return time.perf_counter() - started

        return once

    times = interleaved({label: case(label) for label in WRITER_OPTIONS}, rounds)
    rows = sum(part.num_rows for parts in tables.values() for part in parts)
    ours_label = next(iter(WRITER_OPTIONS))
    ours, ours_size = median(times[ours_label]), sizes[ours_label]
    print(f"\nwriter options, first activity chunk of large/{days} ({rows:,} rows, {COMPRESSION}, one process)")
    for label, walls in times.items():
        wall = median(walls)
        print(
            f"  {label:<40}{wall * 1e3:8.1f} ms {wall / ours:5.2f}x  {sizes[label] / 1e6:6.2f} MB "
            f"{sizes[label] / ours_size:5.2f}x  rounds {rounds_text(walls)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, action="append", help="days to measure (repeatable; default 14 and 365)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--options", action="store_true", help="compare writer options instead (first chunk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parquet-floor-") as folder:
        if args.options:
            for days in args.days or [14]:
                compare_options(days, args.rounds, Path(folder))
            return
        for days in args.days or [14, 365]:
            measure_case(days, args.rounds, Path(folder))


if __name__ == "__main__":
    main()
