"""What the Spark tasks run: the chunks of a slot built with the local core, and the activity
simulation packed as compressed Arrow IPC envelopes so that it is persisted once and decoded per table.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from generator.errors import GenerationError
from generator.plan import Chunk, chunk_cost, family_tables
from generator.spark.ddl import spark_schema
from generator.spec import DatasetSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger(__name__)

#: The three tables one activity simulation produces; an envelope's tag indexes this tuple.
ACTIVITY_TABLES: tuple[str, ...] = family_tables("activity")
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


def _envelopes(built: dict[str, pa.Table]) -> pa.RecordBatch:
    """One simulated block of the three activity tables as (tag, IPC payload) rows."""
    tags: list[int] = []
    payloads: list[bytes] = []
    options = pa.ipc.IpcWriteOptions(compression=IPC_COMPRESSION)
    for index, table in enumerate(ACTIVITY_TABLES):
        for rows in built[table].to_batches(max_chunksize=BATCH_ROWS):
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, rows.schema, options=options) as writer:
                writer.write_batch(rows)
            tags.append(index)
            payloads.append(sink.getvalue().to_pybytes())
    return pa.RecordBatch.from_arrays(
        [pa.array(tags, pa.int8()), pa.array(payloads, pa.binary())], names=[TAG_COLUMN, PAYLOAD_COLUMN]
    )


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
    """The mapInArrow function: each input row is a slot number; yield the rows of its chunks.

    With `as_envelopes`, the three activity tables come out together as envelopes (see `_envelopes`);
    otherwise the rows of `tables` (one table) in its own schema.
    """
    from generator.chunks import build_chunk

    for batch in batches:
        for slot in batch.column(0).to_pylist():
            for chunk in slots[slot]:
                for built in build_chunk(chunk, spec):
                    if as_envelopes:
                        yield _envelopes(built)
                        continue
                    for table in tables:
                        yield from built[table].to_batches(max_chunksize=BATCH_ROWS)


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
    schema = envelope_spark_schema() if as_envelopes else spark_schema(tables[0])
    function = functools.partial(build_slots, spec, slots, tuple(tables), as_envelopes)
    return frame.mapInArrow(function, schema)


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
