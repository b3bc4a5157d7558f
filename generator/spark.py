"""Generate the seven tables with Spark: the plan on the driver, the chunks on the executors.

Why: one machine's process pool tops out around a few million rows per second and at the disk it
writes to; a cluster spreads the same chunks over many cores and writes straight into catalog
tables. The rows are the local path's rows, byte for byte in value: every executor calls
`generator.chunks.build_chunk`, the function the local runner calls, on the chunks that
`generator.plan.plan` fixes from the spec alone.

How:
- The driver plans the chunks and builds, per table family, a tiny DataFrame with one row per
  task slot (`spark.range(n, numPartitions=n)`: one row per partition, so one chunk per task by
  default). `mapInArrow` turns each slot into the Arrow batches of its chunks. Nothing but row
  counts comes back to the driver.
- orders, order_items and inventory_snapshots come out of one simulation. One `mapInArrow` emits
  them together as envelopes: rows of (table index, compressed Arrow IPC stream of up to 64K of
  that table's rows). That small DataFrame is persisted (MEMORY_AND_DISK) and decoded three
  times by a second `mapInArrow` with each table's exact schema, so each store group is
  simulated once. Measured on local[2] (bench/spark_bench.py), this costs about what the two
  extra simulations would: the simulation is cheap next to Spark's Arrow-to-row conversion and
  write, so the saving grows with the simulation's share (long windows, many products per
  store). A union of the three schemas with prefixed columns was tried first and dropped:
  caching its mostly-null rows doubled the activity time. Where persist is refused (serverless
  compute), each table is simulated on its own (same rows) and the result says so.
- All or nothing: every table is first written under a staging name with an explicit schema,
  then swapped in only when all seven exist. Delta targets keep their identity and history:
  each target's version is recorded, the table is overwritten from its staging table, and a
  failure half-way through the swap restores the tables already replaced (RESTORE TABLE ... TO
  VERSION AS OF) and drops the ones that did not exist. Other formats swap by renaming, keeping
  the old table under a retired name until the end so that a failure can rename it back.
  Staging tables are dropped whatever happens.

This module imports without pyspark (pyspark is imported inside the functions that need it).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from generator.errors import GenerationError, OutputExistsError
from generator.plan import CHUNK_TABLES, Chunk, chunk_cost, plan
from generator.schema import TABLE_NAMES, TABLES
from generator.spec import DatasetSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str], None]

#: The three tables one activity simulation produces; an envelope's tag indexes this tuple.
ACTIVITY_TABLES: tuple[str, ...] = CHUNK_TABLES["activity"]
#: Columns of the persisted activity envelopes: the table's index and its rows as Arrow IPC.
TAG_COLUMN, PAYLOAD_COLUMN = "table_index", "arrow_ipc"
#: Rows per Arrow batch handed back to Spark, and per envelope (slices of the builders' tables).
BATCH_ROWS = 65_536
#: Envelopes per Arrow batch fed to the decoding tasks (about 1 MB each): bounds their memory.
ENVELOPES_PER_BATCH = 32
IPC_COMPRESSION = "lz4"
ARROW_BATCH_CONF = "spark.sql.execution.arrow.maxRecordsPerBatch"
#: Environment variable set on Databricks Runtime drivers; there Delta is always the table format.
DATABRICKS_RUNTIME_ENV = "DATABRICKS_RUNTIME_VERSION"
MISSING_WHEEL_MESSAGE = (
    "the retail-datagen wheel is not installed on the cluster: deploy the bundle, which ships it as a wheel library"
)
MAX_NAME_LENGTH = 255
_UC_FORBIDDEN = {".": "a dot", " ": "a space", "/": "a slash", "`": "a backtick"}
_PREFIX = re.compile(r"[A-Za-z0-9_]*")
#: Catalog name of Spark's built-in session catalog (the local metastore).
SESSION_CATALOG = "spark_catalog"


class ExecutorImportError(GenerationError):
    """The executors cannot import the generator package: the wheel is not installed on the cluster."""


class SparkTargetError(GenerationError):
    """A target table cannot be replaced (not a Delta table where Delta is written, or a bad name)."""


class SparkSwapError(GenerationError):
    """Swapping the staging tables in failed, and rolling the targets back failed too (details inside)."""


@dataclass(frozen=True)
class SparkGenerationResult:
    """What a Spark generation wrote: rows per table, the table format and the full table names."""

    format: str
    rows: dict[str, int]
    tables: dict[str, str]
    chunks: int
    #: 1 when the activity family came out of one persisted simulation, 3 when each table re-simulated it.
    activity_simulations: int
    duration_sec: float
    staging_tables: tuple[str, ...] = field(default=())

    @property
    def total_rows(self) -> int:
        """Rows over the seven tables."""
        return sum(self.rows.values())


# --- Names -------------------------------------------------------------------------------------


def validate_uc_name(value: object, what: str) -> str:
    """A catalog or schema name under Unity Catalog's rules; ValueError saying what is accepted.

    1 to 255 characters without '.', spaces, '/', backticks or control characters. Checked before
    Spark is touched, so a typo costs nothing.
    """
    accepted = "1 to 255 characters without '.', spaces, '/', backticks or control characters"
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what}={value!r}: must be {accepted}")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"{what}={value[:40]!r}...: {len(value)} characters; must be {accepted}")
    for ch, name in _UC_FORBIDDEN.items():
        if ch in value:
            raise ValueError(f"{what}={value!r}: contains {name}; must be {accepted}")
    for ch in value:
        if ord(ch) < 32 or ord(ch) == 127:
            raise ValueError(f"{what}={value!r}: contains a control character; must be {accepted}")
    return value


def quote(name: str) -> str:
    """A backtick-quoted identifier part (schema names such as 'sqlw-to-lakebase-backend' need it)."""
    return "`" + name.replace("`", "``") + "`"


def qualified_name(catalog: str | None, schema: str | None, table: str) -> str:
    """`catalog`.`schema`.`table`, `schema`.`table` or `table`, quoted."""
    return ".".join(quote(part) for part in (catalog, schema, table) if part)


# --- Schemas -----------------------------------------------------------------------------------


def spark_type(arrow_type: pa.DataType) -> DataType:
    """The Spark type of an Arrow type used in TABLES (timestamp[us] without zone -> TIMESTAMP_NTZ)."""
    from pyspark.sql import types as T

    if pa.types.is_int8(arrow_type):
        return T.ByteType()
    if pa.types.is_int16(arrow_type):
        return T.ShortType()
    if pa.types.is_int32(arrow_type):
        return T.IntegerType()
    if pa.types.is_int64(arrow_type):
        return T.LongType()
    if pa.types.is_float64(arrow_type):
        return T.DoubleType()
    if pa.types.is_string(arrow_type):
        return T.StringType()
    if pa.types.is_date32(arrow_type):
        return T.DateType()
    if pa.types.is_decimal(arrow_type):
        return T.DecimalType(arrow_type.precision, arrow_type.scale)
    if pa.types.is_timestamp(arrow_type) and arrow_type.unit == "us":
        return T.TimestampNTZType() if arrow_type.tz is None else T.TimestampType()
    raise TypeError(f"no Spark type mapped for Arrow type {arrow_type}")


def spark_schema(table: str) -> StructType:
    """A table's exact Spark schema: types, nullability and column descriptions (as 'comment')."""
    from pyspark.sql import types as T

    fields = []
    for arrow_field in TABLES[table].schema:
        description = TABLES[table].column_description(arrow_field.name)
        fields.append(
            T.StructField(
                arrow_field.name, spark_type(arrow_field.type), arrow_field.nullable, {"comment": description}
            )
        )
    return T.StructType(fields)


def _sql_string(text: str) -> str:
    """A Spark SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def column_ddl(table: str) -> str:
    """The column list of CREATE TABLE: exact types, NOT NULL where the schema says so, comments."""
    parts = []
    for arrow_field in TABLES[table].schema:
        sql_type = spark_type(arrow_field.type).simpleString().upper()
        not_null = "" if arrow_field.nullable else " NOT NULL"
        comment = _sql_string(TABLES[table].column_description(arrow_field.name))
        parts.append(f"{quote(arrow_field.name)} {sql_type}{not_null} COMMENT {comment}")
    return ", ".join(parts)


def _create_table_sql(verb: str, name: str, table: str, fmt: str) -> str:
    """CREATE [OR REPLACE] TABLE with the exact schema. CTAS and saveAsTable would make every
    column nullable (SPARK-28837), so tables are created from DDL and then filled with INSERT."""
    sql = f"{verb} {name} ({column_ddl(table)}) USING {fmt} COMMENT {_sql_string(TABLES[table].description)}"
    if fmt == "delta" and any(pa.types.is_timestamp(f.type) and f.type.tz is None for f in TABLES[table].schema):
        sql += " TBLPROPERTIES ('delta.feature.timestampNtz' = 'supported')"
    return sql


def _columns_sql(table: str) -> str:
    return ", ".join(quote(name) for name in TABLES[table].schema.names)


def envelope_spark_schema() -> StructType:
    """The persisted activity simulation: which table (index into ACTIVITY_TABLES) and an Arrow IPC
    stream holding up to BATCH_ROWS of its rows, compressed."""
    from pyspark.sql import types as T

    return T.StructType(
        [T.StructField(TAG_COLUMN, T.ByteType(), False), T.StructField(PAYLOAD_COLUMN, T.BinaryType(), False)]
    )


# --- What the executors run --------------------------------------------------------------------


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


def _slot_frame(
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


# --- Checks ------------------------------------------------------------------------------------


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


def detect_table_format(spark: SparkSession) -> str:
    """'delta' on Databricks Runtime or when the Delta extension and catalog are configured, else
    the session's default data source (parquet unless changed)."""
    if os.environ.get(DATABRICKS_RUNTIME_ENV):
        return "delta"
    extensions = spark.conf.get("spark.sql.extensions", "") or ""
    session_catalog = spark.conf.get("spark.sql.catalog.spark_catalog", "") or ""
    if "DeltaSparkSessionExtension" in extensions and "DeltaCatalog" in session_catalog:
        return "delta"
    return (spark.conf.get("spark.sql.sources.default", "parquet") or "parquet").lower()


def _table_exists(spark: SparkSession, name: str) -> bool:
    return bool(spark.catalog.tableExists(name))


def _is_delta(spark: SparkSession, name: str) -> bool:
    try:
        row = spark.sql(f"DESCRIBE DETAIL {name}").select("format").first()
    except Exception:  # a view, or a table the Delta commands do not know
        return False
    return row is not None and str(row[0]).lower() == "delta"


def _delta_version(spark: SparkSession, name: str) -> int:
    row = spark.sql(f"DESCRIBE HISTORY {name} LIMIT 1").select("version").first()
    if row is None:
        raise SparkTargetError(f"{name} has no Delta history; cannot record a version to restore")
    return int(row[0])


def _same_schema(actual: StructType, expected: StructType) -> bool:
    """Same names, types and nullability in the same order (comments aside)."""
    return [(f.name, f.dataType, f.nullable) for f in actual.fields] == [
        (f.name, f.dataType, f.nullable) for f in expected.fields
    ]


# --- The run -----------------------------------------------------------------------------------


@dataclass
class _Names:
    """Full names of one run's targets, staging and retired tables, per table."""

    catalog: str | None
    schema: str | None
    prefix: str
    token: str

    def target(self, table: str) -> str:
        return qualified_name(self.catalog, self.schema, f"{self.prefix}{table}")

    def staging(self, table: str) -> str:
        return qualified_name(self.catalog, self.schema, f"{self.prefix}{table}__staging_{self.token}")

    def retired(self, table: str) -> str:
        return qualified_name(self.catalog, self.schema, f"{self.prefix}{table}__retired_{self.token}")

    def rename_target(self, full: str) -> str:
        """The name to give ALTER TABLE ... RENAME TO: Spark's session catalog takes at most two
        parts there, other catalogs (Unity Catalog) the full three."""
        if self.catalog and self.catalog.lower() != SESSION_CATALOG:
            return full
        return full.split(".", 1)[1] if self.catalog else full


def generate_to_spark(
    spark: SparkSession,
    spec: DatasetSpec,
    *,
    catalog: str | None = None,
    schema: str | None = None,
    table_prefix: str = "",
    overwrite: bool = True,
    num_partitions: int | None = None,
    table_format: str | None = None,
    progress: ProgressCallback | None = None,
) -> SparkGenerationResult:
    """Generate the seven tables of `spec` into catalog tables, all or nothing.

    Tables are `<catalog>.<schema>.<table_prefix><table>` (or `<schema>.<...>` / plain names when
    catalog / schema are None, for local mode). The schema is created when missing. The format is
    Delta when Spark has it (always on Databricks), else the session's default; `table_format`
    forces one. `num_partitions` caps the tasks per table family (default: one task per chunk).

    Raises OutputExistsError when overwrite is false and a target exists, ExecutorImportError when
    the executors lack the package, SparkTargetError for a target that cannot be replaced (all
    before generating anything). On any failure later, the targets are as they were and no staging
    table is left behind.
    """
    started = time.perf_counter()

    def say(message: str) -> None:
        log.info(message)
        if progress is not None:
            progress(message)

    if catalog is not None:
        validate_uc_name(catalog, "catalog")
    if schema is not None:
        validate_uc_name(schema, "schema")
    if catalog is not None and schema is None:
        raise ValueError("catalog given without schema: pass schema too (tables live in catalog.schema)")
    if not isinstance(table_prefix, str) or not _PREFIX.fullmatch(table_prefix):
        raise ValueError(f"table_prefix={table_prefix!r}: only letters, digits and '_' are accepted")
    if num_partitions is not None and (not isinstance(num_partitions, int) or num_partitions < 1):
        raise ValueError(f"num_partitions={num_partitions!r}: must be a whole number >= 1, or None")
    fmt = (table_format or detect_table_format(spark)).lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", fmt):
        raise ValueError(f"table_format={fmt!r}: must be a data source name such as delta or parquet")
    names = _Names(catalog, schema, table_prefix, uuid.uuid4().hex[:12])

    version = check_executors(spark)
    say(f"executors import retail-datagen {version}; writing {fmt} tables")
    if schema is not None:
        namespace = qualified_name(catalog, None, schema) if catalog else quote(schema)
        if not spark.catalog.databaseExists(namespace):
            say(f"creating schema {namespace}")
            spark.sql(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
    _check_targets(spark, names, fmt, overwrite)

    chunks = plan(spec)
    rows: dict[str, int] = {}
    written: list[str] = []
    retired: list[str] = []
    simulations = 1
    try:
        for table in TABLE_NAMES:
            if table in ACTIVITY_TABLES:
                continue
            kind_chunks = [c for c in chunks if table in c.tables]
            frame = _slot_frame(spark, spec, kind_chunks, (table,), num_partitions, as_envelopes=False)
            rows[table] = _write_staging(spark, names, table, fmt, frame, written)
            say(f"{table}: {rows[table]:,} rows generated into staging")
        activity = [c for c in chunks if c.kind == "activity"]
        simulations = _write_activity(spark, spec, names, fmt, activity, num_partitions, rows, written, say)
        if not overwrite:  # someone may have created a target while we generated
            _check_targets(spark, names, fmt, overwrite)
        say(f"all seven tables staged ({sum(rows.values()):,} rows); swapping them in")
        retired = _swap_in(spark, names, fmt, say)
    except BaseException:
        _drop_quietly(spark, [names.staging(t) for t in TABLE_NAMES])
        raise
    _drop_quietly(spark, [names.staging(t) for t in TABLE_NAMES] + retired)
    result = SparkGenerationResult(
        format=fmt,
        rows={t: rows[t] for t in TABLE_NAMES},
        tables={t: names.target(t) for t in TABLE_NAMES},
        chunks=len(chunks),
        activity_simulations=simulations,
        duration_sec=round(time.perf_counter() - started, 3),
        staging_tables=tuple(names.staging(t) for t in TABLE_NAMES),
    )
    say(f"done: {result.total_rows:,} rows in {len(TABLE_NAMES)} {fmt} tables in {result.duration_sec:.1f} s")
    return result


def _check_targets(spark: SparkSession, names: _Names, fmt: str, overwrite: bool) -> None:
    """Refuse, before generating, targets we must not (overwrite false) or cannot replace."""
    existing = [names.target(t) for t in TABLE_NAMES if _table_exists(spark, names.target(t))]
    if existing and not overwrite:
        raise OutputExistsError(
            f"overwrite is false and {len(existing)} target table(s) already exist ({', '.join(existing)}); "
            "pass overwrite=true to replace them, or choose another schema or table prefix."
        )
    if fmt == "delta":
        foreign = [name for name in existing if not _is_delta(spark, name)]
        if foreign:
            raise SparkTargetError(
                f"{', '.join(foreign)} exist but are not Delta tables, so they cannot be replaced with a restore "
                "point; drop or rename them, or choose another schema or table prefix."
            )


def _write_staging(
    spark: SparkSession, names: _Names, table: str, fmt: str, frame: DataFrame, written: list[str]
) -> int:
    """Create a staging table with the exact schema, fill it from `frame`, return its row count."""
    staging = names.staging(table)
    spark.sql(_create_table_sql("CREATE TABLE", staging, table, fmt))
    written.append(staging)
    frame.write.insertInto(staging)
    return int(spark.table(staging).count())


def _write_activity(
    spark: SparkSession,
    spec: DatasetSpec,
    names: _Names,
    fmt: str,
    chunks: Sequence[Chunk],
    num_partitions: int | None,
    rows: dict[str, int],
    written: list[str],
    say: Callable[[str], None],
) -> int:
    """Stage the three activity tables from one persisted simulation; return simulations run.

    The simulation is persisted as compressed Arrow IPC envelopes rather than as Spark rows: a
    few large binary values per block cache in a fraction of the memory, and each table is then
    decoded by a second mapInArrow with its exact schema.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    envelopes = _slot_frame(spark, spec, chunks, ACTIVITY_TABLES, num_partitions, as_envelopes=True)
    try:
        envelopes.persist(StorageLevel.MEMORY_AND_DISK)
        persisted = True
    except Exception as exc:  # serverless compute refuses persist
        log.warning("persist refused (%s); simulating the activity family once per table", exc)
        persisted = False
    previous_batch = spark.conf.get(ARROW_BATCH_CONF, None)
    try:
        if persisted:
            spark.conf.set(ARROW_BATCH_CONF, str(ENVELOPES_PER_BATCH))
        for index, table in enumerate(ACTIVITY_TABLES):
            if persisted:
                payloads = envelopes.where(F.col(TAG_COLUMN) == index).select(PAYLOAD_COLUMN)
                frame = payloads.mapInArrow(open_envelopes, spark_schema(table))
            else:
                frame = _slot_frame(spark, spec, chunks, (table,), num_partitions, as_envelopes=False)
            rows[table] = _write_staging(spark, names, table, fmt, frame, written)
            say(f"{table}: {rows[table]:,} rows generated into staging")
    finally:
        if persisted:
            if previous_batch is None:
                spark.conf.unset(ARROW_BATCH_CONF)
            else:
                spark.conf.set(ARROW_BATCH_CONF, previous_batch)
            envelopes.unpersist()
    return 1 if persisted else len(ACTIVITY_TABLES)


def _swap_in(spark: SparkSession, names: _Names, fmt: str, say: Callable[[str], None]) -> list[str]:
    """Replace every target by its staging table; on failure put back what was replaced, re-raise.
    Returns the retired tables to drop (renaming swap only)."""
    if fmt == "delta":
        _swap_delta(spark, names, say)
        return []
    return _swap_rename(spark, names, say)


def _swap_delta(spark: SparkSession, names: _Names, say: Callable[[str], None]) -> None:
    """Overwrite each Delta target from its staging table, recording versions to restore."""
    done: list[tuple[str, int | None]] = []  # (target, version before the swap, None if it was created)
    try:
        for table in TABLE_NAMES:
            target, staging = names.target(table), names.staging(table)
            columns = _columns_sql(table)
            if _table_exists(spark, target):
                done.append((target, _delta_version(spark, target)))
                if _same_schema(spark.table(target).schema, spark_schema(table)):
                    spark.sql(f"INSERT OVERWRITE TABLE {target} SELECT {columns} FROM {staging}")
                else:  # schema changed (or made by someone else): replace it, history kept
                    spark.sql(_create_table_sql("CREATE OR REPLACE TABLE", target, table, "delta"))
                    spark.sql(f"INSERT INTO {target} SELECT {columns} FROM {staging}")
            else:
                done.append((target, None))
                spark.sql(_create_table_sql("CREATE TABLE", target, table, "delta"))
                spark.sql(f"INSERT INTO {target} SELECT {columns} FROM {staging}")
            say(f"{table}: swapped into {target}")
    except BaseException as exc:
        problems = []
        for target, version in reversed(done):
            try:
                if version is None:
                    spark.sql(f"DROP TABLE IF EXISTS {target}")
                elif _delta_version(spark, target) != version:
                    spark.sql(f"RESTORE TABLE {target} TO VERSION AS OF {version}")
            except Exception as undo:
                problems.append(f"{target} (restore to version {version}): {undo}")
        if problems:
            raise SparkSwapError(
                "the swap failed and some targets could not be put back: " + "; ".join(problems)
            ) from exc
        raise


def _swap_rename(spark: SparkSession, names: _Names, say: Callable[[str], None]) -> list[str]:
    """Rename each target to its retired name and its staging table to the target name."""
    steps: list[tuple[str, str]] = []  # (from, to) renames done, in order
    retired: list[str] = []

    def rename(source: str, destination: str) -> None:
        spark.sql(f"ALTER TABLE {source} RENAME TO {names.rename_target(destination)}")
        steps.append((source, destination))

    try:
        for table in TABLE_NAMES:
            target = names.target(table)
            if _table_exists(spark, target):
                rename(target, names.retired(table))
                retired.append(names.retired(table))
            rename(names.staging(table), target)
            say(f"{table}: swapped into {target}")
    except BaseException as exc:
        problems = []
        for source, destination in reversed(steps):
            try:
                spark.sql(f"ALTER TABLE {destination} RENAME TO {names.rename_target(source)}")
            except Exception as undo:
                problems.append(f"{destination} -> {source}: {undo}")
        if problems:
            raise SparkSwapError(
                "the swap failed and some targets could not be renamed back: " + "; ".join(problems)
            ) from exc
        raise
    return retired


def _drop_quietly(spark: SparkSession, tables: Sequence[str]) -> None:
    """Drop tables if they exist; a failure is logged, never raised (the data is already decided)."""
    for name in tables:
        try:
            spark.sql(f"DROP TABLE IF EXISTS {name}")
        except Exception as exc:
            log.warning("could not drop %s (%s); drop it by hand", name, exc)


def result_summary(result: SparkGenerationResult) -> list[str]:
    """Plain-text lines: one per table with its rows, then the total (for job logs)."""
    lines = [f"{table:<22}{result.rows[table]:>14,} rows  {result.tables[table]}" for table in TABLE_NAMES]
    lines.append(f"{'total':<22}{result.total_rows:>14,} rows  ({result.format}, {result.duration_sec:.1f} s)")
    return lines
