"""What the Spark tasks run: the chunks of a slot built with the local core, and the activity
simulation packed as compressed Arrow IPC envelopes so that it is persisted once and decoded per table.

An activity chunk also hands back the stock it ends with (STOCK: its part and the StockState's
bytes), which a Delta run keeps in its state table, so that an incremental run continues it: the
continuing tasks take one stock row each instead of a slot number.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from generator.activity.stock import StockState
from generator.chunks import ChunkBuild
from generator.errors import GenerationError
from generator.plan import Chunk, chunk_cost, family_tables
from generator.spark.ddl import spark_schema
from generator.spec import DatasetSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger(__name__)

#: The three tables one activity simulation produces.
ACTIVITY_TABLES: tuple[str, ...] = family_tables("activity")
#: What an activity chunk ends with besides its rows: where its stock stands (not a table of the dataset).
STOCK = "stock"
#: What one activity simulation emits; an envelope's tag indexes this tuple.
ENVELOPE_PARTS: tuple[str, ...] = (*ACTIVITY_TABLES, STOCK)
PART_COLUMN, STOCK_COLUMN = "part", "stock"
STOCK_SCHEMA = pa.schema([pa.field(PART_COLUMN, pa.int32(), False), pa.field(STOCK_COLUMN, pa.binary(), False)])
#: Columns of the persisted activity envelopes: the table's index and its rows as Arrow IPC.
TAG_COLUMN, PAYLOAD_COLUMN = "table_index", "arrow_ipc"
#: Rows per Arrow batch handed back to Spark, and per envelope (slices of the builders' tables).
BATCH_ROWS = 65_536
#: Envelopes per Arrow batch fed to the decoding tasks (about 1 MB each): bounds their memory.
ENVELOPES_PER_BATCH = 32
IPC_COMPRESSION = "lz4"
MISSING_WHEEL_MESSAGE = (
    "the retail-datagen wheel is not installed on the cluster: deploy the bundle, which ships it as a wheel library"
)


class ExecutorImportError(GenerationError):
    """The executors cannot import the generator package: the wheel is not installed on the cluster."""


def envelope_spark_schema() -> StructType:
    """The persisted activity simulation: which table (index into ACTIVITY_TABLES) and an Arrow IPC
    stream holding up to BATCH_ROWS of its rows, compressed."""
    from pyspark.sql import types as T

    return T.StructType(
        [T.StructField(TAG_COLUMN, T.ByteType(), False), T.StructField(PAYLOAD_COLUMN, T.BinaryType(), False)]
    )


def assign_slots(chunks: Sequence[Chunk], spec: DatasetSpec, num_partitions: int | None) -> list[list[Chunk]]:
    """Chunks per task: one each by default; with fewer partitions, largest first onto the least
    loaded slot. Never changes the rows, only which task builds them."""
    ordered = sorted(chunks, key=lambda c: (-chunk_cost(c, spec), c.chunk_id))
    if num_partitions is None or num_partitions >= len(ordered):
        return [[chunk] for chunk in ordered]
    slots: list[list[Chunk]] = [[] for _ in range(num_partitions)]
    load = [0.0] * num_partitions
    for chunk in ordered:
        target = min(range(num_partitions), key=lambda i: (load[i], i))
        slots[target].append(chunk)
        load[target] += chunk_cost(chunk, spec)
    return [slot for slot in slots if slot]


def stock_spark_schema() -> StructType:
    """An activity chunk's stock: its part number and its StockState as bytes."""
    from pyspark.sql import types as T

    return T.StructType(
        [T.StructField(PART_COLUMN, T.IntegerType(), False), T.StructField(STOCK_COLUMN, T.BinaryType(), False)]
    )


def frame_schema(tables: Sequence[str], as_envelopes: bool) -> StructType:
    """The Spark schema of what the tasks emit for `tables` (see `emit`)."""
    if as_envelopes:
        return envelope_spark_schema()
    return stock_spark_schema() if tables[0] == STOCK else spark_schema(tables[0])


def _envelopes(parts: Iterable[tuple[str, pa.Table | pa.RecordBatch]]) -> pa.RecordBatch:
    """Rows of (tag, IPC payload): each table's rows in slices of up to BATCH_ROWS, tagged with its
    index in ENVELOPE_PARTS."""
    tags: list[int] = []
    payloads: list[bytes] = []
    options = pa.ipc.IpcWriteOptions(compression=IPC_COMPRESSION)
    for name, table in parts:
        for rows in table.to_batches(max_chunksize=BATCH_ROWS):
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, rows.schema, options=options) as writer:
                writer.write_batch(rows)
            tags.append(ENVELOPE_PARTS.index(name))
            payloads.append(sink.getvalue().to_pybytes())
    return pa.RecordBatch.from_arrays(
        [pa.array(tags, pa.int8()), pa.array(payloads, pa.binary())], names=[TAG_COLUMN, PAYLOAD_COLUMN]
    )


def _stock_rows(build: ChunkBuild) -> pa.Table:
    assert build.stock is not None  # set once an activity chunk's batches are done
    return pa.table([[build.chunk.part], [build.stock.to_bytes()]], schema=STOCK_SCHEMA)


def emit(build: ChunkBuild, tables: Sequence[str], as_envelopes: bool) -> Iterator[pa.RecordBatch]:
    """One chunk's batches: with `as_envelopes`, every block of the three activity tables as envelopes,
    then the stock as one more when `tables` holds STOCK; otherwise the rows of `tables[0]` in its own
    schema, or only the stock (the rows are simulated and dropped)."""
    wanted = tables[0]
    for built in build:
        if as_envelopes:
            yield _envelopes((table, built[table]) for table in ACTIVITY_TABLES)
        elif wanted != STOCK:
            yield from built[wanted].to_batches(max_chunksize=BATCH_ROWS)
    if STOCK in tables:
        stock = _stock_rows(build)
        yield _envelopes([(STOCK, stock)]) if as_envelopes else stock.to_batches()[0]


def open_envelopes(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The mapInArrow function that turns persisted envelopes back into one table's rows."""
    for batch in batches:
        for payload in batch.column(PAYLOAD_COLUMN).to_pylist():
            yield from pa.ipc.open_stream(payload).read_all().to_batches()


def build_slots(
    spec: DatasetSpec,
    slots: Sequence[Sequence[Chunk]],
    tables: Sequence[str],
    as_envelopes: bool,
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """The mapInArrow function: each input row is a slot number; yield the rows of its chunks over
    the whole history (see `emit`)."""
    for batch in batches:
        for slot in batch.column(0).to_pylist():
            for chunk in slots[slot]:
                yield from emit(ChunkBuild(chunk, spec), tables, as_envelopes)


def continue_parts(
    spec: DatasetSpec,
    chunks: dict[int, Chunk],
    first_day: int,
    tables: Sequence[str],
    as_envelopes: bool,
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """The mapInArrow function of an increment: each input row is an activity part and its saved stock;
    yield the rows of the days from `first_day` on, continuing that stock (see `emit`)."""
    for batch in batches:
        for part, stock in zip(*(batch.column(name).to_pylist() for name in (PART_COLUMN, STOCK_COLUMN)), strict=True):
            build = ChunkBuild(chunks[part], spec, first_day, StockState.from_bytes(stock))
            yield from emit(build, tables, as_envelopes)


def slot_frame(
    spark: SparkSession,
    spec: DatasetSpec,
    chunks: Sequence[Chunk],
    tables: Sequence[str],
    num_partitions: int | None,
    as_envelopes: bool,
) -> DataFrame:
    """One row per slot, one partition per row (no shuffle), mapped to the chunks' rows."""
    slots = assign_slots(chunks, spec, num_partitions)
    frame = spark.range(0, len(slots), 1, len(slots))
    function = functools.partial(build_slots, spec, slots, tuple(tables), as_envelopes)
    return frame.mapInArrow(function, frame_schema(tables, as_envelopes))


def table_frame(
    spark: SparkSession, spec: DatasetSpec, chunks: Sequence[Chunk], table: str, num_partitions: int | None
) -> DataFrame:
    """The rows of one table that is not activity, from its family's chunks among `chunks`."""
    return slot_frame(spark, spec, [c for c in chunks if table in c.tables], (table,), num_partitions, False)


def continued_frame(
    spec: DatasetSpec,
    chunks: Sequence[Chunk],
    first_day: int,
    stock: DataFrame,
    tables: Sequence[str],
    num_partitions: int | None,
    as_envelopes: bool,
) -> DataFrame:
    """The saved stock rows (part, stock), spread one part per task (up to `num_partitions` tasks),
    mapped to the rows of the new days."""
    tasks = max(1, min(num_partitions or len(chunks), len(chunks)))
    function = functools.partial(
        continue_parts, spec, {chunk.part: chunk for chunk in chunks}, first_day, tuple(tables), as_envelopes
    )
    spread = stock.repartitionByRange(tasks, PART_COLUMN)
    return spread.mapInArrow(function, frame_schema(tables, as_envelopes))


def check_executors(spark: SparkSession) -> str:
    """Run a one-task job that imports the generator on an executor; return the version it found.

    Raises ExecutorImportError with the way out when the package is missing there: without it,
    every task would fail later with a bare ModuleNotFoundError deep in a Python worker trace.
    """

    def probe(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:  # pickled by value
        import pyarrow

        for _ in batches:
            pass
        try:
            import generator
            import generator.chunks  # noqa: F401  (the module the tasks run)

            ok, detail = True, str(generator.__version__)
        except Exception as exc:  # any import failure is reported, whatever its kind
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        yield pyarrow.RecordBatch.from_pydict({"ok": [ok], "detail": [detail]})

    try:
        rows = spark.range(0, 1, 1, 1).mapInArrow(probe, "ok boolean, detail string").collect()
    except Exception as exc:
        if "No module named 'generator" in str(exc):
            raise ExecutorImportError(f"{MISSING_WHEEL_MESSAGE} ({exc.__class__.__name__} on an executor).") from exc
        raise
    if not rows or not rows[0]["ok"]:
        detail = rows[0]["detail"] if rows else "no answer"
        raise ExecutorImportError(f"{MISSING_WHEEL_MESSAGE} (executor import failed: {detail}).")
    from generator import __version__

    if rows[0]["detail"] != __version__:
        log.warning(
            "the executors run retail-datagen %s but the driver runs %s; redeploy the bundle so both match",
            rows[0]["detail"],
            __version__,
        )
    return str(rows[0]["detail"])
