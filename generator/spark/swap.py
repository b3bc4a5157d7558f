"""All or nothing: a run's tables change together, and a failure half-way puts back what was already changed.

Delta targets keep their identity and history: each target's version is recorded before it is first
written (overwritten in place from the run's rows, with no staging copy), and a failure restores the
tables already written (RESTORE TABLE ... TO VERSION AS OF) and drops the ones that did not exist
(DeltaRollback, which incremental and merge runs use too). Other formats are staged and swapped by
renaming, keeping the old table under a retired name until the end so that a failure can rename it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from generator.errors import GenerationError
from generator.spark.ddl import columns_sql, create_table_sql, insert_sql, same_schema, spark_schema
from generator.spark.target import RunTables, delta_version, table_exists, table_properties

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SparkSwapError(GenerationError):
    """Swapping the staging tables in failed, and rolling the targets back failed too (details inside)."""


def change_feed_on(spark: SparkSession, name: str) -> bool:
    """Whether a Delta table records its change data feed (delta.enableChangeDataFeed)."""
    return table_properties(spark, name).get("delta.enableChangeDataFeed", "").lower() == "true"


class DeltaRollback:
    """All or nothing across Delta tables: records each table's version before the run first changes
    it (`touch`), and when the `with` block fails, restores every recorded table to that version
    (RESTORE TABLE ... TO VERSION AS OF) and drops the ones the run created, then re-raises."""

    def __init__(self, spark: SparkSession) -> None:
        self._spark = spark
        self._before: dict[str, int | None] = {}  # version before the run, None for a table it creates

    def touch(self, name: str) -> bool:
        """Record `name`'s version (once) before it is changed; whether it existed before the run."""
        if name not in self._before:
            exists = table_exists(self._spark, name)
            self._before[name] = delta_version(self._spark, name) if exists else None
        return self._before[name] is not None

    def __enter__(self) -> DeltaRollback:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, trace: object) -> None:
        if exc is None:
            return
        problems = []
        for name, version in reversed(self._before.items()):
            try:
                if version is None:
                    self._spark.sql(f"DROP TABLE IF EXISTS {name}")
                elif delta_version(self._spark, name) != version:
                    self._spark.sql(f"RESTORE TABLE {name} TO VERSION AS OF {version}")
            except Exception as undo:
                problems.append(f"{name} (restore to version {version}): {undo}")
        if problems:
            message = "the run failed and some tables could not be put back: " + "; ".join(problems)
            raise SparkSwapError(message) from exc


def overwrite_delta(spark: SparkSession, rollback: DeltaRollback, target: str, table: str, source: str) -> None:
    """Make the Delta table `target` hold the rows of `source` (a view with `table`'s columns), its version
    recorded first: overwritten in place, or created, or replaced (history kept) where its schema or
    change data feed is not this run's."""
    if not rollback.touch(target):
        spark.sql(create_table_sql("CREATE TABLE", target, table, "delta"))
        spark.sql(insert_sql(target, source, table))
    elif same_schema(spark.table(target).schema, spark_schema(table)) and change_feed_on(spark, target):
        spark.sql(f"INSERT OVERWRITE TABLE {target} SELECT {columns_sql(table)} FROM {source}")
    else:  # schema changed, no change feed (an older run's) or made by someone else: replace, history kept
        spark.sql(create_table_sql("CREATE OR REPLACE TABLE", target, table, "delta"))
        spark.sql(insert_sql(target, source, table))


def swap_rename(spark: SparkSession, names: RunTables, say: Callable[[str], None]) -> list[str]:
    """Rename each target to its retired name and its staging table to the target name."""
    steps: list[tuple[str, str]] = []  # (from, to) renames done, in order
    retired: list[str] = []

    def rename(source: str, destination: str) -> None:
        spark.sql(f"ALTER TABLE {source} RENAME TO {names.target.rename_target(destination)}")
        steps.append((source, destination))

    try:
        for table in names.tables:
            target = names.final(table)
            if table_exists(spark, target):
                rename(target, names.retired(table))
                retired.append(names.retired(table))
            rename(names.staging(table), target)
            say(f"{table}: swapped into {target}")
    except BaseException as exc:
        problems = []
        for source, destination in reversed(steps):
            try:
                spark.sql(f"ALTER TABLE {destination} RENAME TO {names.target.rename_target(source)}")
            except Exception as undo:
                problems.append(f"{destination} -> {source}: {undo}")
        if problems:
            raise SparkSwapError(
                "the swap failed and some targets could not be renamed back: " + "; ".join(problems)
            ) from exc
        raise
    return retired
