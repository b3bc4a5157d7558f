"""Incremental and merge runs on Delta tables: decided exactly as the local path decides them
(generator.modes.decide_revision, from the manifest in the state table), then applied with one
commit per table, all or nothing.

An increment appends the new days' facts (INSERT INTO) simulated from the stock saved in the state
table, so it costs about what its new days cost; a merge re-simulates the requested history. Either
way the dimension tables (and a merge's facts) are brought to the requested history with MERGE INTO
on their primary keys (see ddl.merge_sql): changed rows updated, new rows inserted, rows the history
no longer holds deleted. Delta's change data feed (table_changes) then shows each run's changes. On
any failure, DeltaRollback restores every table the run changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from generator.errors import RevisionRefused
from generator.manifest import TableChanges, TableManifest
from generator.modes import INCREMENTAL, Revision, decide_revision
from generator.plan import Chunk, plan
from generator.schema import ALL_TABLES
from generator.spark.activity import ActivityFrames
from generator.spark.ddl import insert_sql, merge_sql, same_schema, spark_schema
from generator.spark.executors import (
    ACTIVITY_TABLES,
    ENVELOPE_PARTS,
    STOCK,
    continued_frame,
    slot_frame,
    table_frame,
)
from generator.spark.state import (
    content_version,
    last_commit,
    read_manifest,
    saved_stock,
    spark_manifest,
    stock_parts,
    write_state,
)
from generator.spark.swap import DeltaRollback, overwrite_delta
from generator.spark.target import RunTables, delta_version, say_stale_tables, table_exists
from generator.spec import DatasetSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def decide_spark_revision(
    spark: SparkSession, names: RunTables, mode: str, spec: DatasetSpec, given: Collection[str] | None, fmt: str
) -> Revision | None:
    """The revision `spec` asks of the tables, or None when there are none (a fresh run then).

    Raises RevisionRefused, before anything is written, for a session without Delta, tables without
    a record of what they hold, and everything generator.modes refuses (a gap, other parameters)."""
    where = names.target.describe()
    if fmt != "delta":
        raise RevisionRefused(
            f"mode={mode!r} needs Delta tables (MERGE INTO, RESTORE, the change data feed), but this session "
            f"writes {fmt}; run it where Delta is configured (any Databricks cluster) or use mode='overwrite'."
        )
    if not table_exists(spark, names.state()):
        found = [names.final(t) for t in ALL_TABLES if table_exists(spark, names.final(t))]
        if not found:
            return None
        raise RevisionRefused(
            f"mode={mode!r}: {where} holds {', '.join(found)} but no record of what they hold ({names.state()} "
            "is missing: made by hand, by Parquet tables or by an older retail-datagen); use mode='overwrite' to "
            "regenerate them."
        )
    revision = decide_revision(mode, spec, given, read_manifest(spark, names, mode), where)
    if not revision.no_op:
        _check_revisable(spark, names, revision)
    return revision


def _check_revisable(spark: SparkSession, names: RunTables, revision: Revision) -> None:
    """Refuse tables changed since the run that recorded them, or, for an increment, no saved stock."""
    mode = revision.mode
    for table, entry in revision.previous.tables.items():
        target = names.final(table)
        if table not in ALL_TABLES or not table_exists(spark, target):
            raise RevisionRefused(f"mode={mode!r}: {target} is gone; regenerate the tables with mode='overwrite'.")
        if not same_schema(spark.table(target).schema, spark_schema(table)):
            raise RevisionRefused(
                f"mode={mode!r}: {target} has other columns than this retail-datagen writes (made by another "
                "version); regenerate the tables with mode='overwrite'."
            )
        if (now := content_version(spark, target)) != entry.delta_version:
            raise RevisionRefused(
                f"mode={mode!r}: {target} holds the rows of its version {now}, but the state table recorded "
                f"version {entry.delta_version}: it was changed outside retail-datagen, so its rows are not the "
                "history's; regenerate the tables with mode='overwrite'."
            )
    if mode == INCREMENTAL:
        parts = {chunk.part for chunk in plan(revision.spec) if chunk.kind == "activity"}
        if missing := sorted(parts - stock_parts(spark, names)):
            raise RevisionRefused(
                f"mode='incremental': {names.state()} holds no saved stock for activity part {missing[0]}; use "
                "mode='merge' (re-simulates the history and changes only what differs) or mode='overwrite'."
            )


@dataclass
class RevisionCommits:
    """What a revision's commits left: each table (rows, bytes, Delta version), what they changed, and
    the chunks and activity simulations it took."""

    revision: Revision
    tables: dict[str, TableManifest] = field(default_factory=dict)
    changes: dict[str, TableChanges] = field(default_factory=dict)
    chunks: int = 0
    simulations: int = 0

    def record(self, spark: SparkSession, table: str, target: str) -> str:
        """Read the commit just made on `target`: rows inserted, updated and deleted, bytes, version."""
        commit = last_commit(spark, target)
        inserted = commit.rows_inserted
        updated = commit.metrics.get("numTargetRowsUpdated", 0)
        deleted = commit.metrics.get("numTargetRowsDeleted", 0)
        before = self.revision.previous.tables.get(table, TableManifest(0, 0, []))
        rows, size = before.rows + inserted - deleted, before.bytes + commit.bytes_added - commit.bytes_removed
        self.tables[table] = TableManifest(rows, size, [], delta_version=commit.version)
        self.changes[table] = TableChanges(inserts=inserted, updates=updated, deletes=deleted, files=[])
        return f"{table}: +{inserted:,} ~{updated:,} -{deleted:,} rows (version {commit.version} of {target})"


def revise(
    spark: SparkSession,
    revision: Revision,
    names: RunTables,
    num_partitions: int | None,
    say: Callable[[str], None],
) -> RevisionCommits:
    """Bring the tables to `revision.spec`: one commit per table and one on the state table, all or nothing."""
    started = time.perf_counter()
    spec, previous = revision.spec, revision.previous
    chunks = plan(spec)
    activity = [c for c in chunks if c.kind == "activity"]
    held = names.tables
    commits = RevisionCommits(revision, chunks=len(chunks))
    views: list[str] = []

    def write(rollback: DeltaRollback, table: str, frame: DataFrame, append: bool) -> None:
        target, view = names.final(table), names.view(table)
        frame.createOrReplaceTempView(view)
        views.append(view)
        if table in previous.tables:
            rollback.touch(target)
            spark.sql(insert_sql(target, view, table) if append else merge_sql(target, view, table))
        else:  # new to the dataset (customers_history asked for): a stale table of that name is overwritten
            overwrite_delta(spark, rollback, target, table, view)
        say(commits.record(spark, table, target))

    state_version = delta_version(spark, names.state())
    try:
        with DeltaRollback(spark) as rollback:
            for table in held:
                if table not in ACTIVITY_TABLES:
                    write(rollback, table, table_frame(spark, spec, chunks, table, num_partitions), append=False)
            make = _activity_maker(spark, revision, names, activity, state_version, num_partitions)
            with ActivityFrames(spark, make, ENVELOPE_PARTS) as frames:
                for table in ACTIVITY_TABLES:
                    write(rollback, table, frames.frame(table), append=revision.mode == INCREMENTAL)
                frames.frame(STOCK).createOrReplaceTempView(names.view(STOCK))
                views.append(names.view(STOCK))
                tables = {t: commits.tables[t] for t in held}
                run = (revision.version, revision.mode, commits.changes, started)
                manifest = spark_manifest(spark, spec, tables, chunks, num_partitions, run, previous)
                write_state(spark, rollback, names, names.view(STOCK), manifest)
            commits.simulations = frames.simulations
    finally:
        for view in views:
            spark.catalog.dropTempView(view.strip("`"))
    say_stale_tables(spark, names, say)  # e.g. customers_history when a merge no longer asks for it
    return commits


def _activity_maker(
    spark: SparkSession,
    revision: Revision,
    names: RunTables,
    activity: Sequence[Chunk],
    state_version: int,
    num_partitions: int | None,
) -> Callable[[Sequence[str], bool], DataFrame]:
    """How the activity tasks' frames are made: an increment continues the saved stock from its first
    new day; a merge simulates the whole requested history."""
    spec, first_day = revision.spec, revision.first_new_day
    if first_day is None:
        return lambda parts, envelopes: slot_frame(spark, spec, activity, parts, num_partitions, envelopes)
    stock = saved_stock(spark, names, state_version)
    return lambda parts, envelopes: continued_frame(spec, activity, first_day, stock, parts, num_partitions, envelopes)
