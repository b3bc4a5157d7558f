"""Where a Spark run writes: the target tables, checked before Spark is touched, and their state.

A SparkTarget names `<catalog>.<schema>.<prefix><table>` (or `<schema>.<...>`, or bare names in local
mode); its parts pass the rules of `generator.rules` once, when it is made.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator import name_rules, rules
from generator.errors import GenerationError, OutputExistsError
from generator.schema import OPTIONAL_TABLES, TABLE_NAMES
from generator.spark.ddl import qualified_name, quote

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: Catalog name of Spark's built-in session catalog (the local metastore).
SESSION_CATALOG = "spark_catalog"
#: Environment variable set on Databricks Runtime drivers; there Delta is always the table format.
DATABRICKS_RUNTIME_ENV = "DATABRICKS_RUNTIME_VERSION"
#: The table beside a Delta dataset's tables that records what they hold (see generator.spark.state).
STATE_TABLE = "retail_datagen_state"
#: How Databricks says that a privilege is missing (error class, error code).
PERMISSION_MARKERS = ("INSUFFICIENT_PERMISSIONS", "PERMISSION_DENIED")
#: What to do about a refused table write, wherever the tables are written from.
TABLE_PRIVILEGES_HINT = (
    "Creating these tables needs USE CATALOG, USE SCHEMA and CREATE TABLE, and replacing one needs its ownership: "
    "ask the owner of the schema or table for them, or choose a schema you own."
)


class SparkTargetError(GenerationError):
    """A target table cannot be replaced (not a Delta table where Delta is written)."""


@dataclass(frozen=True)
class SparkTarget:
    """The checked names of a run's destination (catalog and schema as Unity Catalog stores them)."""

    catalog: str | None = None
    schema: str | None = None
    table_prefix: str = ""

    @classmethod
    def parse(cls, catalog: object = None, schema: object = None, table_prefix: object = "") -> SparkTarget:
        """A target from raw names; RuleErrors lists every refused one (a catalog needs a schema)."""
        checks: dict[str, tuple[rules.Rule, object]] = {"table_prefix": (name_rules.TABLE_PREFIX, table_prefix)}
        if catalog is not None:
            checks["catalog"] = (name_rules.UC_NAME, catalog)
        if schema is not None:
            checks["schema"] = (name_rules.UC_NAME, schema)
        elif catalog is not None:
            raise rules.refusal("schema", None, "a schema name", "a catalog was given without one")
        return cls(**rules.check_all(**checks))

    def table(self, table: str, suffix: str = "") -> str:
        """The quoted full name of `<prefix><table><suffix>`."""
        return qualified_name(self.catalog, self.schema, f"{self.table_prefix}{table}{suffix}")

    @property
    def namespace(self) -> str | None:
        """The quoted schema (with its catalog), or None for bare table names."""
        if self.schema is None:
            return None
        return qualified_name(self.catalog, None, self.schema) if self.catalog else quote(self.schema)

    def describe(self) -> str:
        """How messages name the dataset: its schema, and its table prefix when there is one."""
        where = self.namespace or "the current schema"
        return f"{where} (tables {self.table_prefix}*)" if self.table_prefix else where

    def rename_target(self, full: str) -> str:
        """The name to give ALTER TABLE ... RENAME TO: Spark's session catalog takes at most two
        parts there, other catalogs (Unity Catalog) the full three."""
        if self.catalog and self.catalog != SESSION_CATALOG:
            return full
        return full.split(".", 1)[1] if self.catalog else full


@dataclass(frozen=True)
class RunTables:
    """Full names of one run's targets, staging and retired tables (the token keeps runs apart), and which
    tables the run writes: the seven, then the optional ones its spec asks for."""

    target: SparkTarget
    token: str
    tables: tuple[str, ...] = TABLE_NAMES

    def final(self, table: str) -> str:
        return self.target.table(table)

    def staging(self, table: str) -> str:
        return self.target.table(table, f"__staging_{self.token}")

    def retired(self, table: str) -> str:
        return self.target.table(table, f"__retired_{self.token}")

    def state(self) -> str:
        """The state table: the manifest and the stock an increment continues."""
        return self.target.table(STATE_TABLE)

    def view(self, part: str) -> str:
        """A temporary view of this run (a MERGE source): session-local, so unqualified."""
        return quote(f"retail_datagen_{self.token}_{part}")


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


def table_exists(spark: SparkSession, name: str) -> bool:
    return bool(spark.catalog.tableExists(name))


def is_delta(spark: SparkSession, name: str) -> bool:
    try:
        row = spark.sql(f"DESCRIBE DETAIL {name}").select("format").first()
    except Exception:  # a view, or a table the Delta commands do not know
        return False
    return row is not None and str(row[0]).lower() == "delta"


def table_properties(spark: SparkSession, name: str) -> dict[str, str]:
    """A Delta table's properties (DESCRIBE DETAIL)."""
    row = spark.sql(f"DESCRIBE DETAIL {name}").select("properties").first()
    return dict(row[0] or {}) if row is not None else {}


def delta_version(spark: SparkSession, name: str) -> int:
    row = spark.sql(f"DESCRIBE HISTORY {name} LIMIT 1").select("version").first()
    if row is None:
        raise SparkTargetError(f"{name} has no Delta history; cannot record a version to restore")
    return int(row[0])


def check_targets(spark: SparkSession, names: RunTables, fmt: str, overwrite: bool) -> None:
    """Refuse, before generating, targets we must not (overwrite false) or cannot replace."""
    existing = [names.final(t) for t in names.tables if table_exists(spark, names.final(t))]
    if existing and not overwrite:
        raise OutputExistsError(
            f"overwrite is false and {len(existing)} target table(s) already exist ({', '.join(existing)}); "
            "pass overwrite=true to replace them, or choose another schema or table prefix."
        )
    if fmt == "delta":
        foreign = [name for name in existing if not is_delta(spark, name)]
        if foreign:
            raise SparkTargetError(
                f"{', '.join(foreign)} exist but are not Delta tables, so they cannot be replaced with a restore "
                "point; drop or rename them, or choose another schema or table prefix."
            )


def drop_quietly(spark: SparkSession, tables: Sequence[str]) -> None:
    """Drop tables if they exist; a failure is logged, never raised (the data is already decided)."""
    for name in tables:
        try:
            spark.sql(f"DROP TABLE IF EXISTS {name}")
        except Exception as exc:
            log.warning("could not drop %s (%s); drop it by hand", name, exc)


def say_stale_tables(spark: SparkSession, names: RunTables, say: Callable[[str], None]) -> None:
    """Say which optional tables an earlier run left that this run's dataset does not hold (they are
    left as they were: the run never deletes a table it did not write)."""
    stale = [names.final(t) for t in OPTIONAL_TABLES if t not in names.tables and table_exists(spark, names.final(t))]
    if stale:
        say(f"{', '.join(stale)} left as it was: it comes from an earlier run (this one has no such table)")
