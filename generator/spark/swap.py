"""All or nothing: the staging tables replace the targets only together, and a failure half-way
puts back what was already replaced.

Delta targets keep their identity and history: each target's version is recorded, the table is
overwritten from its staging table, and a failure restores the tables already replaced (RESTORE
TABLE ... TO VERSION AS OF) and drops the ones that did not exist. Other formats swap by renaming,
keeping the old table under a retired name until the end so that a failure can rename it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from generator.errors import GenerationError
from generator.spark.ddl import columns_sql, create_table_sql, same_schema, spark_schema
from generator.spark.target import RunTables, delta_version, table_exists

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SparkSwapError(GenerationError):
    """Swapping the staging tables in failed, and rolling the targets back failed too (details inside)."""


def swap_in(spark: SparkSession, names: RunTables, fmt: str, say: Callable[[str], None]) -> list[str]:
    """Replace every target by its staging table; on failure put back what was replaced, re-raise.
    Returns the retired tables to drop (renaming swap only)."""
    if fmt == "delta":
        swap_delta(spark, names, say)
        return []
    return swap_rename(spark, names, say)


def swap_delta(spark: SparkSession, names: RunTables, say: Callable[[str], None]) -> None:
    """Overwrite each Delta target from its staging table, recording versions to restore."""
    done: list[tuple[str, int | None]] = []  # (target, version before the swap, None if it was created)
    try:
        for table in names.tables:
            target, staging = names.final(table), names.staging(table)
            columns = columns_sql(table)
            if table_exists(spark, target):
                done.append((target, delta_version(spark, target)))
                if same_schema(spark.table(target).schema, spark_schema(table)):
                    spark.sql(f"INSERT OVERWRITE TABLE {target} SELECT {columns} FROM {staging}")
                else:  # schema changed (or made by someone else): replace it, history kept
                    spark.sql(create_table_sql("CREATE OR REPLACE TABLE", target, table, "delta"))
                    spark.sql(f"INSERT INTO {target} SELECT {columns} FROM {staging}")
            else:
                done.append((target, None))
                spark.sql(create_table_sql("CREATE TABLE", target, table, "delta"))
                spark.sql(f"INSERT INTO {target} SELECT {columns} FROM {staging}")
            say(f"{table}: swapped into {target}")
    except BaseException as exc:
        problems = []
        for target, version in reversed(done):
            try:
                if version is None:
                    spark.sql(f"DROP TABLE IF EXISTS {target}")
                elif delta_version(spark, target) != version:
                    spark.sql(f"RESTORE TABLE {target} TO VERSION AS OF {version}")
            except Exception as undo:
                problems.append(f"{target} (restore to version {version}): {undo}")
        if problems:
            raise SparkSwapError(
                "the swap failed and some targets could not be put back: " + "; ".join(problems)
            ) from exc
        raise


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
