"""What the Spark tests watch and break to check generate_to_spark's all-or-nothing writes: a content
fingerprint of the seven target tables, the tables of a schema, and a session whose SQL fails on cue."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from generator.schema import ALL_TABLES
from generator.spark.ddl import qualified_name

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def fingerprints(spark: SparkSession, schema: str, prefix: str = "") -> dict[str, tuple[int, int]]:
    """Rows and a hash sum per existing target table `<schema>.<prefix><table>`: changes whenever
    the content does."""
    from pyspark.sql import functions as F

    prints = {}
    for table in ALL_TABLES:
        name = qualified_name(None, schema, f"{prefix}{table}")
        if spark.catalog.tableExists(name):
            frame = spark.table(name)
            row = frame.agg(F.count(F.lit(1)), F.sum(F.hash(*frame.columns).cast("bigint"))).first()
            prints[table] = (int(row[0]), int(row[1] or 0))
    return prints


def tables_in(spark: SparkSession, schema: str) -> set[str]:
    """Names of the tables in `schema` (staging and retired tables included; not the session's
    temporary views, which SHOW TABLES lists in every schema)."""
    return {row.tableName for row in spark.sql(f"SHOW TABLES IN {schema}").collect() if not row.isTemporary}


def run_views(spark: SparkSession) -> list[str]:
    """The temporary views a run left behind (a run's MERGE sources are named retail_datagen_<token>_...)."""
    return [row.viewName for row in spark.sql("SHOW VIEWS").collect() if row.viewName.startswith("retail_datagen_")]


class FailingSql:
    """A SparkSession stand-in whose sql() raises for the statements `fails` picks; logs every statement."""

    def __init__(self, session: SparkSession, fails: Callable[[str], bool]) -> None:
        self._session = session
        self._fails = fails
        self.executed: list[str] = []

    def sql(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self.executed.append(query)
        if self._fails(query):
            raise RuntimeError(f"injected failure on: {query}")
        return self._session.sql(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)
