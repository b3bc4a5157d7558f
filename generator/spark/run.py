"""One Spark run: the dataset's tables (the seven, and customers_history when asked for) generated into
staging tables, then swapped in all or nothing."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from generator import rules
from generator.plan import Chunk, plan
from generator.schema import OPTIONAL_TABLES, dataset_tables
from generator.spark.ddl import create_table_sql, spark_schema
from generator.spark.executors import (
    ACTIVITY_TABLES,
    ENVELOPES_PER_BATCH,
    PAYLOAD_COLUMN,
    TAG_COLUMN,
    check_executors,
    open_envelopes,
    slot_frame,
)
from generator.spark.swap import swap_in
from generator.spark.target import (
    RunTables,
    SparkTarget,
    check_targets,
    detect_table_format,
    drop_quietly,
    table_exists,
)
from generator.spec import DatasetSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str], None]
ARROW_BATCH_CONF = "spark.sql.execution.arrow.maxRecordsPerBatch"


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
        """Rows over all the tables written."""
        return sum(self.rows.values())


def generate_to_spark(
    spark: SparkSession,
    spec: DatasetSpec,
    target: SparkTarget,
    *,
    overwrite: bool = True,
    num_partitions: int | None = None,
    table_format: str | None = None,
    progress: ProgressCallback | None = None,
) -> SparkGenerationResult:
    """Generate the tables of `spec` (the seven, then customers_history when `spec.customer_history`) into
    catalog tables, all or nothing.

    Tables are `target`'s (`<catalog>.<schema>.<prefix><table>`, or `<schema>.<...>` / bare names in
    local mode); the schema is created when missing. The format is
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

    checks: dict[str, tuple[rules.Rule, object]] = {
        "table_format": (rules.TABLE_FORMAT, table_format or detect_table_format(spark))
    }
    if num_partitions is not None:
        checks["num_partitions"] = (rules.PARTITIONS, num_partitions)
    fmt = rules.check_all(**checks)["table_format"]
    names = RunTables(target, uuid.uuid4().hex[:12], dataset_tables(spec.customer_history))

    version = check_executors(spark)
    say(f"executors import retail-datagen {version}; writing {fmt} tables")
    namespace = target.namespace
    if namespace is not None and not spark.catalog.databaseExists(namespace):
        say(f"creating schema {namespace}")
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
    check_targets(spark, names, fmt, overwrite)

    chunks = plan(spec)
    rows: dict[str, int] = {}
    written: list[str] = []
    retired: list[str] = []
    simulations = 1
    try:
        for table in names.tables:
            if table in ACTIVITY_TABLES:
                continue
            kind_chunks = [c for c in chunks if table in c.tables]
            frame = slot_frame(spark, spec, kind_chunks, (table,), num_partitions, as_envelopes=False)
            rows[table] = _write_staging(spark, names, table, fmt, frame, written)
            say(f"{table}: {rows[table]:,} rows generated into staging")
        activity = [c for c in chunks if c.kind == "activity"]
        simulations = _write_activity(spark, spec, names, fmt, activity, num_partitions, rows, written, say)
        if not overwrite:  # someone may have created a target while we generated
            check_targets(spark, names, fmt, overwrite)
        say(f"all {len(names.tables)} tables staged ({sum(rows.values()):,} rows); swapping them in")
        retired = swap_in(spark, names, fmt, say)
    except BaseException:
        drop_quietly(spark, [names.staging(t) for t in names.tables])
        raise
    drop_quietly(spark, [names.staging(t) for t in names.tables] + retired)
    stale = [names.final(t) for t in OPTIONAL_TABLES if t not in names.tables and table_exists(spark, names.final(t))]
    if stale:
        say(f"{', '.join(stale)} left as it was: it comes from an earlier run (this one has no such table)")
    result = SparkGenerationResult(
        format=fmt,
        rows={t: rows[t] for t in names.tables},
        tables={t: names.final(t) for t in names.tables},
        chunks=len(chunks),
        activity_simulations=simulations,
        duration_sec=round(time.perf_counter() - started, 3),
        staging_tables=tuple(names.staging(t) for t in names.tables),
    )
    say(f"done: {result.total_rows:,} rows in {len(names.tables)} {fmt} tables in {result.duration_sec:.1f} s")
    return result


def _write_staging(
    spark: SparkSession, names: RunTables, table: str, fmt: str, frame: DataFrame, written: list[str]
) -> int:
    """Create a staging table with the exact schema, fill it from `frame`, return its row count."""
    staging = names.staging(table)
    spark.sql(create_table_sql("CREATE TABLE", staging, table, fmt))
    written.append(staging)
    frame.write.insertInto(staging)
    return int(spark.table(staging).count())


def _write_activity(
    spark: SparkSession,
    spec: DatasetSpec,
    names: RunTables,
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

    envelopes = slot_frame(spark, spec, chunks, ACTIVITY_TABLES, num_partitions, as_envelopes=True)
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
                frame = slot_frame(spark, spec, chunks, (table,), num_partitions, as_envelopes=False)
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


def result_summary(result: SparkGenerationResult) -> list[str]:
    """Plain-text lines: one per table with its rows, then the total (for job logs)."""
    lines = [f"{table:<22}{result.rows[table]:>14,} rows  {result.tables[table]}" for table in result.tables]
    lines.append(f"{'total':<22}{result.total_rows:>14,} rows  ({result.format}, {result.duration_sec:.1f} s)")
    return lines
