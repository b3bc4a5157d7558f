"""Build one chunk's rows and stream them into its part files: the unit of work every path runs
(the local process pool, the portable cluster script and Spark's executors).

In a revision (an incremental or merge run) a chunk also writes its share of the change feed: an
appended activity chunk's rows are all inserts; any other chunk's rows are diffed against the
previous dataset's rows in the chunk's key range.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from generator.activity.stock import StockState, StoreGroupSimulation, state_file
from generator.changes import (
    INSERT,
    ChangeCounts,
    diff,
    feed_folder,
    feed_schema,
    previous_dataset,
    rows_in_range,
    tagged,
)
from generator.plan import Chunk
from generator.schema import ALL_TABLES, dataset_tables
from generator.spec import DatasetSpec
from generator.writers import PartWriter, WrittenFile, open_part


class ChunkBuild:
    """The rows of a chunk as successive {table: rows} batches; an activity chunk simulates the days
    from `first_day` (default: the history's first day) on, continuing `stock`, and leaves its stock
    in `stock` when the batches are done."""

    def __init__(self, chunk: Chunk, spec: DatasetSpec, first_day: int | None = None, stock: StockState | None = None):
        self.chunk = chunk
        self.spec = spec
        self.first_day = spec.first_day if first_day is None else first_day
        self.stock = stock

    def __iter__(self) -> Iterator[dict[str, pa.Table]]:
        from generator.customers import build_customers
        from generator.products import build_products
        from generator.promotions import build_promotions
        from generator.stores import build_stores

        kind = self.chunk.kind
        if kind == "activity":
            simulation = StoreGroupSimulation(self.chunk, self.spec, self.stock)
            yield from simulation.run(self.first_day, self.spec.last_day)
            self.stock = simulation.state
        elif kind == "customers":
            yield build_customers(self.chunk, self.spec)
        else:
            builders = {"stores": build_stores, "products": build_products, "promotions": build_promotions}
            yield {kind: builders[kind](self.chunk, self.spec)}


def build_chunk(chunk: Chunk, spec: DatasetSpec) -> Iterator[dict[str, pa.Table]]:
    """The rows of a chunk over the whole history, as successive {table: rows} batches."""
    return iter(ChunkBuild(chunk, spec))


def part_stem(table: str, part: int, version: int = 0) -> str:
    """Where a part file goes, relative to the dataset folder and without its extension: the history's
    parts are part-NNNNN; days a revision appended are part-NNNNN-vVVVVV."""
    return f"{table}/part-{part:05d}" + (f"-v{version:05d}" if version else "")


@dataclass(frozen=True)
class ChunkTask:
    """What one chunk does in a run: build its rows into `root` (the staging folder); in a revision
    (version > 0), continue or diff against the dataset in `previous`."""

    chunk: Chunk
    spec: DatasetSpec
    fmt: str
    root: Path
    version: int = 0
    previous: Path | None = None
    #: Incremental: the first new day; the chunk's activity continues the previous run's stock.
    first_day: int | None = None
    #: Tables to write part files for (None: all); a Delta revision MERGEs the others from the feed.
    write: frozenset[str] | None = None

    @property
    def appends(self) -> bool:
        """Whether this chunk only adds rows (the new days of an incremental run)."""
        return self.first_day is not None and self.chunk.kind == "activity"


@dataclass(frozen=True)
class ChunkChanges:
    """A chunk's share of one table's change feed: counts and the file (None when nothing changed)."""

    counts: ChangeCounts
    file: WrittenFile | None


@dataclass(frozen=True)
class ChunkResult:
    """The part files one chunk wrote, and in a revision its change feed per table."""

    chunk_id: int
    files: dict[str, WrittenFile]
    changes: dict[str, ChunkChanges] = field(default_factory=dict)


def _feed_writer(task: ChunkTask, table: str) -> PartWriter:
    stem = f"{feed_folder(table, task.version)}/part-{task.chunk.part:05d}"
    return open_part(task.root, stem, feed_schema(ALL_TABLES[table]), "parquet" if task.fmt == "delta" else task.fmt)


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Build one chunk and stream it into its part files (and its change feed) under `task.root`."""
    chunk = task.chunk
    tables = [t for t in chunk.tables if t in dataset_tables(task.spec.customer_history)]
    written = [t for t in tables if task.write is None or t in task.write]
    stem_version = task.version if task.appends else 0
    writers = {
        t: open_part(task.root, part_stem(t, chunk.part, stem_version), ALL_TABLES[t].schema, task.fmt) for t in written
    }
    feeds: dict[str, PartWriter] = {}
    diffed: dict[str, list[pa.Table]] = {t: [] for t in tables} if task.version and not task.appends else {}
    stock = StockState.load(task.previous / state_file(chunk.part)) if task.appends and task.previous else None
    build = ChunkBuild(chunk, task.spec, task.first_day, stock)
    try:
        for batch in build:
            for table, rows in batch.items():
                if table in writers:
                    writers[table].write(rows)
                if table in diffed:
                    diffed[table].append(rows)
                elif task.version:
                    feeds.setdefault(table, _feed_writer(task, table)).write(tagged(rows, INSERT, task.version))
        changes = {table: _diff_chunk(task, table, pa.concat_tables(parts)) for table, parts in diffed.items()}
        if build.stock is not None:
            build.stock.save(task.root / state_file(chunk.part))
    except BaseException:
        for writer in [*writers.values(), *feeds.values()]:
            writer.abort()  # release the file handles, so a failed run frees its disk space at once
        raise
    for table, feed in feeds.items():
        done = feed.close()
        changes[table] = ChunkChanges(ChangeCounts(inserts=done.rows), done)
    return ChunkResult(chunk.chunk_id, {table: writer.close() for table, writer in writers.items()}, changes)


def _diff_chunk(task: ChunkTask, table: str, new: pa.Table) -> ChunkChanges:
    """The feed of one table of the chunk: its new rows against the previous rows in its key range."""
    definition = ALL_TABLES[table]
    assert task.previous is not None
    low, high = definition.chunk_bounds(task.chunk.start, task.chunk.stop)
    old = rows_in_range(previous_dataset(task.previous, definition), definition, low, high)
    feed = diff(old, new, definition, task.version)
    if not feed.num_rows:
        return ChunkChanges(ChangeCounts(), None)
    writer = _feed_writer(task, table)
    writer.write(feed)
    return ChunkChanges(ChangeCounts.of(feed), writer.close())
