"""What a Delta dataset's tables hold, recorded beside them in one small Delta table, `<prefix>retail_datagen_state`.

Why a table and not table properties: setting a property is a commit of its own on every table, and a
RESTORE would have to put it back too; the state table is one commit per run, written last, so a
run's tables and its record change together (all or nothing, see DeltaRollback). It holds one row per
activity chunk with the stock that chunk ended with (kind 'stock': part, StockState bytes), which an
incremental run continues, and one row with the dataset's manifest as JSON (kind 'manifest': the
same Manifest the local path writes as _manifest.json, with each table's Delta version):

    SELECT manifest FROM <catalog>.<schema>.retail_datagen_state WHERE kind = 'manifest'
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator import GENERATOR_NAME, __version__
from generator.errors import RevisionRefused
from generator.manifest import Manifest, RevisionRecord, TableChanges, TableManifest
from generator.plan import Chunk
from generator.spark.ddl import sql_string
from generator.spark.executors import PART_COLUMN, STOCK_COLUMN, assign_slots
from generator.spark.swap import DeltaRollback
from generator.spark.target import RunTables
from generator.spec import DatasetSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MANIFEST_KIND, STOCK_KIND = "manifest", "stock"
STATE_COLUMNS = (
    "`kind` STRING NOT NULL COMMENT 'manifest (the dataset manifest) or stock (one activity part)', "
    "`part` INT COMMENT 'The activity part whose stock the row holds; null for the manifest.', "
    "`manifest` STRING COMMENT 'The dataset manifest as JSON: parameters, rows and Delta version per table, runs.', "
    "`stock` BINARY COMMENT 'The stock the part ended with (numpy .npz): what an incremental run continues.'"
)
STATE_COMMENT = "What the retail-datagen tables beside it hold: written by each run, last; do not edit."


def read_manifest(spark: SparkSession, names: RunTables, mode: str) -> Manifest:
    """The dataset manifest the state table holds; RevisionRefused when it holds none that reads."""
    state = names.state()
    try:
        rows = spark.sql(f"SELECT manifest FROM {state} WHERE kind = '{MANIFEST_KIND}'").collect()
        return Manifest.from_dict(json.loads(rows[0][0]) if len(rows) == 1 else None)
    except Exception as exc:  # any unreadable state: what it says cannot be trusted
        raise RevisionRefused(
            f"mode={mode!r}: {state} holds no readable manifest ({type(exc).__name__}: {exc}); regenerate the "
            "tables with mode='overwrite'."
        ) from None


def stock_parts(spark: SparkSession, names: RunTables) -> set[int]:
    """The activity parts whose stock the state table holds."""
    rows = spark.sql(f"SELECT {PART_COLUMN} FROM {names.state()} WHERE kind = '{STOCK_KIND}'").collect()
    return {int(row[0]) for row in rows}


def saved_stock(spark: SparkSession, names: RunTables, version: int) -> DataFrame:
    """The (part, stock) rows of the state table as of `version` (pinned: the run rewrites the table)."""
    return spark.sql(
        f"SELECT {PART_COLUMN}, {STOCK_COLUMN} FROM {names.state()} VERSION AS OF {version} WHERE kind = '{STOCK_KIND}'"
    )


def content_version(spark: SparkSession, name: str) -> int:
    """The version whose rows a Delta table holds: its latest, or the one a chain of RESTOREs took it
    back to (a failed run restores the tables it changed, which adds versions but changes no row)."""
    rows = spark.sql(f"DESCRIBE HISTORY {name}").select("version", "operation", "operationParameters").collect()
    history = {int(row[0]): (row[1], dict(row[2] or {})) for row in rows}
    version = max(history)
    while history.get(version, ("", {}))[0] == "RESTORE" and history[version][1].get("version") is not None:
        version = int(history[version][1]["version"])
    return version


@dataclass(frozen=True)
class Commit:
    """The latest commit of a Delta table: its version and its operation's metrics (row and byte counts)."""

    version: int
    metrics: dict[str, int]

    @property
    def rows_inserted(self) -> int:
        return self.metrics.get("numTargetRowsInserted", self.metrics.get("numOutputRows", 0))

    @property
    def bytes_added(self) -> int:
        return self.metrics.get("numTargetBytesAdded", self.metrics.get("numOutputBytes", 0))

    @property
    def bytes_removed(self) -> int:
        return self.metrics.get("numTargetBytesRemoved", self.metrics.get("numRemovedBytes", 0))


def last_commit(spark: SparkSession, name: str) -> Commit:
    """The commit a run just made on `name` (DESCRIBE HISTORY; DESCRIBE DETAIL would cost a Spark job)."""
    row = spark.sql(f"DESCRIBE HISTORY {name} LIMIT 1").select("version", "operationMetrics").first()
    metrics = {key: int(value) for key, value in dict(row[1] or {}).items() if str(value).isdigit()}
    return Commit(int(row[0]), metrics)


def spark_manifest(
    spark: SparkSession,
    spec: DatasetSpec,
    tables: dict[str, TableManifest],
    chunks: Sequence[Chunk],
    num_partitions: int | None,
    run: tuple[int, str, dict[str, TableChanges], float],
    previous: Manifest | None,
) -> Manifest:
    """The manifest of the tables after a run (`run`: the dataset version it makes, its mode, its
    changes and its start on time.perf_counter), continuing `previous`'s runs."""
    version, mode, changes, started = run
    duration = round(time.perf_counter() - started, 3)
    activity = [chunk for chunk in chunks if chunk.kind == "activity"]
    return Manifest(
        generator_version=__version__,
        format="delta",
        parameters=spec.dataset_fields(),
        tables=tables,
        workers=len(assign_slots(activity, spec, num_partitions)),  # the activity family's tasks
        chunks=len(chunks),
        duration_sec=duration,
        versions={GENERATOR_NAME: __version__, "python": sys.version.split()[0], "spark": str(spark.version)},
        version=version,
        revisions=([] if previous is None else previous.revisions)
        + [RevisionRecord(version, mode, spec.dataset_fields(), changes, duration)],
    )


def write_state(
    spark: SparkSession, rollback: DeltaRollback, names: RunTables, stock_source: str, manifest: Manifest
) -> None:
    """Replace the state table's rows, in one commit, by the stock rows of `stock_source` (a table or
    view of part, stock) and the manifest."""
    state = names.state()
    select = (
        f"SELECT '{STOCK_KIND}', {PART_COLUMN}, CAST(NULL AS STRING), {STOCK_COLUMN} FROM {stock_source} "
        f"UNION ALL SELECT '{MANIFEST_KIND}', CAST(NULL AS INT), {sql_string(json.dumps(manifest.to_dict()))}, "
        "CAST(NULL AS BINARY)"
    )
    if rollback.touch(state):
        spark.sql(f"INSERT OVERWRITE TABLE {state} {select}")
        return
    spark.sql(f"CREATE TABLE {state} ({STATE_COLUMNS}) USING delta COMMENT {sql_string(STATE_COMMENT)}")
    spark.sql(f"INSERT INTO {state} {select}")
