"""One Spark run: a fresh dataset written all or nothing (Delta: straight into the targets under one
rollback; other formats: staged, then swapped in by renaming), or (mode incremental or merge) the Delta
tables brought to a longer window or other parameters (see revise)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from generator import name_rules, rules
from generator.errors import OutputExistsError
from generator.manifest import TableChanges, TableManifest
from generator.modes import OVERWRITE, Revision
from generator.plan import Chunk, plan
from generator.schema import dataset_tables
from generator.spark.activity import ActivityFrames
from generator.spark.ddl import create_table_sql
from generator.spark.executors import ACTIVITY_TABLES, STOCK, check_executors, slot_frame, table_frame
from generator.spark.revise import RevisionCommits, decide_spark_revision, revise
from generator.spark.state import last_commit, spark_manifest, write_state
from generator.spark.swap import DeltaRollback, overwrite_delta, swap_rename
from generator.spark.target import (
    RunTables,
    SparkTarget,
    check_targets,
    detect_table_format,
    drop_quietly,
    say_stale_tables,
)
from generator.spec import DatasetSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class SparkGenerationResult:
    """What a Spark generation wrote: rows per table, the table format and the full table names."""

    format: str
    rows: dict[str, int]
    tables: dict[str, str]
    chunks: int
    #: Simulations of the activity family: 1 when persisted once, else one per table (and the stock).
    activity_simulations: int
    duration_sec: float
    mode: str = OVERWRITE
    #: The dataset version the tables hold after the run (0 for a fresh dataset).
    version: int = 0
    #: The tables already held what was asked (a re-run of an increment): nothing was written.
    no_op: bool = False
    #: An incremental or merge run's rows inserted, updated and deleted per table (Delta's change
    #: data feed holds the rows themselves: table_changes(table, version)).
    changes: dict[str, TableChanges] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        """Rows over the tables."""
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
    mode: str = OVERWRITE,
    given: Collection[str] | None = None,
) -> SparkGenerationResult:
    """Generate the tables of `spec` into catalog tables, all or nothing.

    Tables are `target`'s (`<catalog>.<schema>.<prefix><table>`, or `<schema>.<...>` / bare names in
    local mode); the schema is created when missing. The format is
    Delta when Spark has it (always on Databricks), else the session's default; `table_format`
    forces one. `num_partitions` caps the tasks per table family (default: one task per chunk).

    `mode` is overwrite (a fresh dataset), incremental or merge (see generator.modes: `given` names
    the parameters the caller set, None all of them; a schema without the tables gets a fresh dataset).
    Delta datasets record what they hold in `<prefix>retail_datagen_state` (see generator.spark.state).

    Raises OutputExistsError when overwrite is false and a target exists, RevisionRefused for a revision
    the tables cannot take, ExecutorImportError when the executors lack the package, SparkTargetError
    for a target that cannot be replaced (all before generating anything). On any failure later, the
    targets hold their previous rows (Delta: restored to their versions) and no staging table is left.
    """

    def say(message: str) -> None:
        log.info(message)
        if progress is not None:
            progress(message)

    checks: dict[str, tuple[rules.Rule, object]] = {
        "table_format": (name_rules.TABLE_FORMAT, table_format or detect_table_format(spark)),
        "mode": (rules.MODE, mode),
    }
    if num_partitions is not None:
        checks["num_partitions"] = (rules.PARTITIONS, num_partitions)
    checked = rules.check_all(**checks)
    fmt, mode = checked["table_format"], checked["mode"]
    names = RunTables(target, uuid.uuid4().hex[:12])
    revision = None if mode == OVERWRITE else decide_spark_revision(spark, names, mode, spec, given, fmt)
    names = replace(names, tables=dataset_tables((spec if revision is None else revision.spec).customer_history))
    if revision is not None and revision.no_op:
        say(f"{target.describe()} already holds {revision.spec.days} days to {revision.spec.end_date}: nothing to do")
        return _revised(revision, names, None, 0.0)

    started = time.perf_counter()
    version = check_executors(spark)
    say(f"executors import retail-datagen {version}; writing {fmt} tables ({mode})")
    if revision is not None:
        commits = revise(spark, revision, names, num_partitions, say)
        result = _revised(revision, names, commits, round(time.perf_counter() - started, 3))
    else:
        result = _fresh(spark, spec, names, fmt, overwrite or mode != OVERWRITE, num_partitions, mode, say)
    say(f"done: {result.total_rows:,} rows in {len(result.rows)} {fmt} tables in {result.duration_sec:.1f} s")
    return result


def _fresh(
    spark: SparkSession,
    spec: DatasetSpec,
    names: RunTables,
    fmt: str,
    overwrite: bool,
    num_partitions: int | None,
    mode: str,
    say: Callable[[str], None],
) -> SparkGenerationResult:
    """Write every table of a fresh dataset, all or nothing: Delta straight into the targets under one
    rollback (and the state table last), other formats into staging tables swapped in by renaming."""
    started = time.perf_counter()
    namespace = names.target.namespace
    if namespace is not None and not spark.catalog.databaseExists(namespace):
        say(f"creating schema {namespace}")
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {namespace}")
    check_targets(spark, names, fmt, overwrite)
    chunks = plan(spec)
    if fmt == "delta":
        rows, simulations = _fresh_delta(spark, spec, names, chunks, overwrite, num_partitions, (mode, started), say)
    else:
        rows, simulations = _fresh_renamed(spark, spec, names, chunks, fmt, overwrite, num_partitions, say)
    say_stale_tables(spark, names, say)
    return SparkGenerationResult(
        format=fmt,
        rows={t: rows[t] for t in names.tables},
        tables={t: names.final(t) for t in names.tables},
        chunks=len(chunks),
        activity_simulations=simulations,
        duration_sec=round(time.perf_counter() - started, 3),
        mode=mode,
    )


#: Writes one table (or, last, STOCK) of a fresh run from the tasks' frame.
TableWriter = Callable[[str, "DataFrame"], None]


def _generate(
    spark: SparkSession,
    spec: DatasetSpec,
    names: RunTables,
    chunks: Sequence[Chunk],
    num_partitions: int | None,
    parts: tuple[str, ...],
    write: TableWriter,
) -> int:
    """Hand each table's frame to `write`, the activity family's (and STOCK when `parts` holds it)
    from one persisted simulation; return the simulations it took."""
    for table in names.tables:
        if table not in ACTIVITY_TABLES:
            write(table, table_frame(spark, spec, chunks, table, num_partitions))
    activity = [c for c in chunks if c.kind == "activity"]

    def make(wanted: Sequence[str], envelopes: bool) -> DataFrame:
        return slot_frame(spark, spec, activity, wanted, num_partitions, envelopes)

    with ActivityFrames(spark, make, parts) as frames:
        for part in parts:
            write(part, frames.frame(part))
    return frames.simulations


def _fresh_delta(
    spark: SparkSession,
    spec: DatasetSpec,
    names: RunTables,
    chunks: Sequence[Chunk],
    overwrite: bool,
    num_partitions: int | None,
    run: tuple[str, float],
    say: Callable[[str], None],
) -> tuple[dict[str, int], int]:
    """Overwrite each Delta target with its rows (one write, whose commit gives the row count), then
    replace the state table's record, all under one DeltaRollback; return the rows and simulations."""
    mode, started = run
    tables: dict[str, TableManifest] = {}
    views: list[str] = []

    def write(table: str, frame: DataFrame) -> None:
        view = names.view(table)
        frame.createOrReplaceTempView(view)
        views.append(view)
        if table == STOCK:  # last: the record of what the tables now hold, with the stock to continue
            held = {t: tables[t] for t in names.tables}
            manifest = spark_manifest(spark, spec, held, chunks, num_partitions, (0, mode, {}, started), None)
            write_state(spark, rollback, names, view, manifest)
            return
        target = names.final(table)
        if rollback.touch(target) and not overwrite:  # made by someone else while this run wrote
            raise OutputExistsError(f"overwrite is false and {target} was created during the run; nothing is kept.")
        overwrite_delta(spark, rollback, target, table, view)
        commit = last_commit(spark, target)
        tables[table] = TableManifest(commit.rows_inserted, commit.bytes_added, [], delta_version=commit.version)
        say(f"{table}: {commit.rows_inserted:,} rows written into {target} (version {commit.version})")

    try:
        with DeltaRollback(spark) as rollback:
            simulations = _generate(spark, spec, names, chunks, num_partitions, (*ACTIVITY_TABLES, STOCK), write)
    finally:
        for view in views:
            spark.catalog.dropTempView(view.strip("`"))
    return {table: entry.rows for table, entry in tables.items()}, simulations


def _fresh_renamed(
    spark: SparkSession,
    spec: DatasetSpec,
    names: RunTables,
    chunks: Sequence[Chunk],
    fmt: str,
    overwrite: bool,
    num_partitions: int | None,
    say: Callable[[str], None],
) -> tuple[dict[str, int], int]:
    """Stage every table (exact schema, then counted), swap them in by renaming; return the rows and
    simulations. Parquet tables are no dataset an increment continues: an earlier Delta run's record goes."""
    staged = [names.staging(t) for t in names.tables]
    rows: dict[str, int] = {}

    def write(table: str, frame: DataFrame) -> None:
        staging = names.staging(table)
        spark.sql(create_table_sql("CREATE TABLE", staging, table, fmt))
        frame.write.insertInto(staging)
        rows[table] = int(spark.table(staging).count())
        say(f"{table}: {rows[table]:,} rows generated into staging")

    try:
        simulations = _generate(spark, spec, names, chunks, num_partitions, ACTIVITY_TABLES, write)
        if not overwrite:  # someone may have created a target while we generated
            check_targets(spark, names, fmt, overwrite)
        say(f"all {len(names.tables)} tables staged ({sum(rows.values()):,} rows); swapping them in")
        retired = swap_rename(spark, names, say)
    except BaseException:
        drop_quietly(spark, staged)
        raise
    drop_quietly(spark, staged + retired + [names.state()])
    return rows, simulations


def _revised(
    revision: Revision, names: RunTables, commits: RevisionCommits | None, duration: float
) -> SparkGenerationResult:
    """The result of an incremental or merge run; without commits, of one that had nothing to do."""
    tables = revision.previous.tables if commits is None else commits.tables
    return SparkGenerationResult(
        format="delta",
        rows={name: table.rows for name, table in tables.items()},
        tables={name: names.final(name) for name in tables},
        chunks=0 if commits is None else commits.chunks,
        activity_simulations=0 if commits is None else commits.simulations,
        duration_sec=duration,
        mode=revision.mode,
        version=revision.previous.version if commits is None else revision.version,
        no_op=commits is None,
        changes={} if commits is None else commits.changes,
    )


def result_summary(result: SparkGenerationResult) -> list[str]:
    """Plain-text lines: one per table with its rows (and its changes), then the total (for job logs)."""
    lines = []
    for table, rows in result.rows.items():
        line = f"{table:<22}{rows:>14,} rows  {result.tables[table]}"
        if table in result.changes:
            change = result.changes[table]
            line += f"  (+{change.inserts:,} ~{change.updates:,} -{change.deletes:,})"
        lines.append(line)
    outcome = "nothing to do" if result.no_op else f"{result.mode}, dataset version {result.version}"
    lines.append(
        f"{'total':<22}{result.total_rows:>14,} rows  ({result.format}, {outcome}, {result.duration_sec:.1f} s)"
    )
    return lines
