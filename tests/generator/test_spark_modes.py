"""Incremental and merge runs of generate_to_spark on real Delta tables (the shared local[2] Delta session).

One dataset grows through the module, as a user's would: three days; an increment that fails in its
third table (every table restored); the same increment for real (equals one five-day run, row for
row, with the stock continued); its re-run (nothing written); refusals (a gap, another seed); a merge
into a bigger configuration with customers_history (keeps every row both share). Each run's changes
are read back from Delta's change data feed. The rows are compared with the local generator's fresh
runs, which tests/generator/test_spark.py shows equal to Spark's.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pyspark.sql import SparkSession
from spark_tables import FailingSql, fingerprints, run_views, tables_in

from generator import spark as gs
from generator.chunks import ChunkBuild
from generator.errors import RevisionRefused
from generator.manifest import Manifest
from generator.plan import plan
from generator.runner import run
from generator.schema import ALL_TABLES, TABLE_NAMES
from generator.spark import executors
from generator.spark.target import STATE_TABLE
from generator.spec import DatasetSpec
from tests.generator.conftest import dataset_rows

#: 2025-12-30 .. 2026-01-01, then two more days across the new year.
SHORT = DatasetSpec(scale="small", scale_factor=0.1, days=3, end_date=date(2026, 1, 1))
LONG = replace(SHORT, days=5, end_date=date(2026, 1, 3))
BIGGER = replace(LONG, scale_factor=0.2, customer_history=True)
SCHEMA = "retail_spark_modes"
TARGET = gs.SparkTarget.parse("spark_catalog", SCHEMA)
HOLDS_SHORT = "holds small x0.1, seed 42, 2025-12-30 to 2026-01-01 (3 days)"
HOLDS_LONG = "holds small x0.1, seed 42, 2025-12-30 to 2026-01-03 (5 days)"


@pytest.fixture(scope="module")
def spark(delta_spark: SparkSession) -> SparkSession:
    return delta_spark


def _name(table: str) -> str:
    return TARGET.table(table)


def _versions(spark: SparkSession, tables: tuple[str, ...] = (*TABLE_NAMES, STATE_TABLE)) -> dict[str, int]:
    return {t: int(spark.sql(f"DESCRIBE HISTORY {_name(t)} LIMIT 1").first().version) for t in tables}


def _rows(spark: SparkSession, table: str) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(row) for row in spark.table(_name(table)).collect())


def _local(spec: DatasetSpec, folder: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    """A fresh local run of `spec`, as multisets of rows per table."""
    run(spec, folder, workers=1)
    return {name: Counter(tuple(r.values()) for r in rows.to_pylist()) for name, rows in dataset_rows(folder).items()}


def _state_manifest(spark: SparkSession) -> Manifest:
    row = spark.sql(f"SELECT manifest FROM {_name(STATE_TABLE)} WHERE kind = 'manifest'").first()
    return Manifest.from_dict(json.loads(row[0]))


def _change_types(spark: SparkSession, table: str, version: int) -> Counter[str]:
    """What Delta's change data feed recorded for one commit of a table."""
    feed = spark.sql(f"SELECT _change_type FROM table_changes('{_name(table)}', {version}, {version})")
    return Counter(row[0] for row in feed.collect())


@pytest.fixture(scope="module")
def three_days(spark: SparkSession) -> gs.SparkGenerationResult:
    return gs.generate_to_spark(spark, SHORT, TARGET)


@pytest.fixture(scope="module")
def failed_increment(spark: SparkSession, three_days: gs.SparkGenerationResult) -> dict[str, Any]:
    """The increment, failing in the MERGE of its third table (customers: stores and products are merged)."""
    before = {"prints": fingerprints(spark, SCHEMA), "versions": _versions(spark), "tables": tables_in(spark, SCHEMA)}
    failing = FailingSql(spark, lambda q: q.startswith(f"MERGE INTO {_name('customers')}"))
    with pytest.raises(RuntimeError, match="injected failure") as caught:
        gs.generate_to_spark(failing, LONG, TARGET, mode="incremental", given={"end_date"})  # type: ignore[arg-type]
    return {"before": before, "executed": failing.executed, "error": caught.value}


@pytest.fixture(scope="module")
def grown(spark: SparkSession, failed_increment: dict[str, Any]) -> gs.SparkGenerationResult:
    """Two more days, after the failed attempt: the restored tables still continue."""
    return gs.generate_to_spark(spark, replace(SHORT, days=2), TARGET, mode="incremental", given={"days"})


def test_a_fresh_run_records_what_the_tables_hold(three_days: gs.SparkGenerationResult, spark: SparkSession) -> None:
    manifest = _state_manifest(spark)
    assert (three_days.mode, three_days.version, manifest.version, manifest.format) == ("overwrite", 0, 0, "delta")
    assert manifest.parameters == SHORT.dataset_fields()
    assert {t: e.rows for t, e in manifest.tables.items()} == three_days.rows
    assert {t: e.delta_version for t, e in manifest.tables.items()} == _versions(spark, TABLE_NAMES)
    parts = spark.sql(f"SELECT part FROM {_name(STATE_TABLE)} WHERE kind = 'stock'").collect()
    assert sorted(row[0] for row in parts) == [c.part for c in plan(SHORT) if c.kind == "activity"]
    properties = spark.sql(f"DESCRIBE DETAIL {_name('orders')}").first().properties
    assert properties["delta.enableChangeDataFeed"] == "true"


def test_a_failure_in_the_third_table_restores_every_table(
    failed_increment: dict[str, Any], spark: SparkSession
) -> None:
    before, executed = failed_increment["before"], failed_increment["executed"]
    merges = [q.split()[2] for q in executed if q.startswith("MERGE INTO")]
    assert merges == [_name("stores"), _name("products"), _name("customers")]  # the third one failed
    restores = [q for q in executed if q.startswith("RESTORE")]
    assert restores == [
        f"RESTORE TABLE {_name(t)} TO VERSION AS OF {before['versions'][t]}" for t in ("products", "stores")
    ]
    assert fingerprints(spark, SCHEMA) == before["prints"]
    assert tables_in(spark, SCHEMA) == before["tables"]
    now = _versions(spark)
    assert {t: now[t] for t in ("customers", "promotions", "orders", STATE_TABLE)} == {
        t: before["versions"][t] for t in ("customers", "promotions", "orders", STATE_TABLE)
    }  # never committed to
    assert _state_manifest(spark).parameters == SHORT.dataset_fields()
    assert run_views(spark) == []  # the MERGE sources are dropped too


def test_an_increment_equals_one_longer_run(
    grown: gs.SparkGenerationResult, spark: SparkSession, tmp_path: Path
) -> None:
    expected = _local(LONG, tmp_path / "long")
    for table in TABLE_NAMES:
        assert _rows(spark, table) == expected[table], table
    assert (grown.mode, grown.version, grown.no_op) == ("incremental", 1, False)
    assert grown.rows == {t: sum(expected[t].values()) for t in TABLE_NAMES}
    manifest = _state_manifest(spark)
    assert manifest.parameters == LONG.dataset_fields()
    assert [r.mode for r in manifest.revisions] == ["overwrite", "incremental"]
    assert run_views(spark) == []


def test_an_increment_appends_the_facts_and_merges_the_dimensions_one_commit_each(
    grown: gs.SparkGenerationResult, three_days: gs.SparkGenerationResult, spark: SparkSession
) -> None:
    manifest = _state_manifest(spark)
    for table in TABLE_NAMES:
        history = spark.sql(f"DESCRIBE HISTORY {_name(table)} LIMIT 1").first()
        version = manifest.tables[table].delta_version
        assert history.version == version, table
        assert history.operation == ("WRITE" if table in executors.ACTIVITY_TABLES else "MERGE"), table
        change = grown.changes[table]
        recorded = Counter(insert=change.inserts, delete=change.deletes)
        recorded.update(update_preimage=change.updates, update_postimage=change.updates)
        assert _change_types(spark, table, version) == +recorded, table  # the feed holds exactly the run's changes
        if table in executors.ACTIVITY_TABLES:
            assert change.inserts == grown.rows[table] - three_days.rows[table] > 0, table
            assert change.updates == change.deletes == 0, table


def test_a_rerun_of_the_increment_is_a_no_op(grown: gs.SparkGenerationResult, spark: SparkSession) -> None:
    before, prints = _versions(spark), fingerprints(spark, SCHEMA)
    again = gs.generate_to_spark(spark, LONG, TARGET, mode="incremental", given={"end_date"})
    assert again.no_op and again.version == 1 and again.rows == grown.rows
    assert _versions(spark) == before
    assert fingerprints(spark, SCHEMA) == prints


@pytest.mark.parametrize(
    ("requested", "given", "named"),
    [
        (replace(LONG, end_date=date(2026, 1, 2)), {"end_date"}, "end_date='2026-01-02'"),
        (replace(LONG, seed=7, days=1), {"seed", "days"}, "seed=7"),
    ],
    ids=["gap", "other-seed"],
)
def test_a_gap_or_another_seed_is_refused_naming_what_the_tables_hold(
    grown: gs.SparkGenerationResult, spark: SparkSession, requested: DatasetSpec, given: set[str], named: str
) -> None:
    before = _versions(spark)
    with pytest.raises(RevisionRefused) as refused:
        gs.generate_to_spark(spark, requested, TARGET, mode="incremental", given=given)
    message = str(refused.value)
    assert named in message and "must be" in message
    assert f"the dataset in `spark_catalog`.`{SCHEMA}` {HOLDS_LONG}" in message
    assert _versions(spark) == before


def test_revisions_need_delta_tables_with_a_record(spark: SparkSession) -> None:
    with pytest.raises(RevisionRefused, match="mode='merge' needs Delta tables .* this session writes parquet"):
        gs.generate_to_spark(spark, SHORT, TARGET, mode="merge", table_format="parquet")
    spark.sql("CREATE SCHEMA IF NOT EXISTS retail_spark_unrecorded")
    other = gs.SparkTarget.parse(schema="retail_spark_unrecorded")
    spark.sql(f"CREATE TABLE IF NOT EXISTS {other.table('stores')} (store_id INT) USING delta")
    with pytest.raises(RevisionRefused, match="holds `retail_spark_unrecorded`.`stores` but no record of what"):
        gs.generate_to_spark(spark, SHORT, other, mode="incremental")
    assert tables_in(spark, "retail_spark_unrecorded") == {"stores"}


def test_a_merge_into_a_bigger_configuration_keeps_every_shared_row(
    grown: gs.SparkGenerationResult, spark: SparkSession, tmp_path: Path
) -> None:
    before = {t: _rows(spark, t) for t in TABLE_NAMES}
    merged = gs.generate_to_spark(spark, BIGGER, TARGET, mode="merge", given={"scale_factor", "customer_history"})
    expected = _local(BIGGER, tmp_path / "bigger")
    assert set(merged.rows) == set(expected) == {*TABLE_NAMES, "customers_history"}
    for table in expected:
        assert _rows(spark, table) == expected[table], table
    assert (merged.mode, merged.version) == ("merge", 2)
    manifest = _state_manifest(spark)
    for table in TABLE_NAMES:
        kept = before[table] & expected[table]  # the rows both histories hold ...
        version = manifest.tables[table].delta_version
        feed = spark.sql(f"SELECT * FROM table_changes('{_name(table)}', {version}, {version})")
        touched = feed.where("_change_type IN ('update_preimage', 'delete')").collect()
        assert not kept & Counter(tuple(row)[: len(ALL_TABLES[table].schema)] for row in touched), table
        # ... were neither updated nor deleted (at another scale only stores and products keep rows, below)
    for table in ("stores", "products"):  # prefix-stable: every row of the smaller dataset is kept
        assert before[table] <= expected[table], table
        assert merged.changes[table].updates == merged.changes[table].deletes == 0
    assert merged.changes["customers"].deletes == 0
    history = spark.sql(f"DESCRIBE HISTORY {_name('customers_history')}").collect()
    assert [row.operation for row in sorted(history, key=lambda r: r.version)] == ["CREATE TABLE", "WRITE"]
    assert manifest.parameters == BIGGER.dataset_fields()


# --- The executors' side of an increment, without Spark ----------------------------------------------


def test_continuing_the_saved_stock_gives_the_new_days_of_the_longer_history() -> None:
    """Several activity parts, each continued from the stock its first run ended with, give exactly the
    rows that one run over the longer window gives for the new days (the seam is invisible)."""
    short = DatasetSpec(scale="medium", days=2, end_date=date(2025, 12, 31))
    long = replace(short, days=4, end_date=date(2026, 1, 2))
    chunks = [c for c in plan(long) if c.kind == "activity"]
    assert len(chunks) >= 2
    stock_rows = []
    for chunk in chunks:
        build = ChunkBuild(chunk, short)
        for _ in build:
            pass
        assert build.stock is not None
        stock_rows.append((chunk.part, build.stock.to_bytes()))
    stocks = pa.record_batch(
        [pa.array([p for p, _ in stock_rows], pa.int32()), pa.array([s for _, s in stock_rows], pa.binary())],
        schema=executors.STOCK_SCHEMA,
    )
    table = "inventory_snapshots"
    by_part = {c.part: c for c in chunks}
    continued = executors.continue_parts(long, by_part, short.last_day + 1, (table,), False, iter([stocks]))
    once = executors.build_slots(long, [chunks], (table,), False, iter([pa.record_batch([pa.array([0])], ["id"])]))
    new_days = pa.Table.from_batches(list(once)).filter(pc.field("snapshot_date") >= pa.scalar(date(2026, 1, 1)))
    assert pa.Table.from_batches(list(continued)).equals(new_days)
    assert new_days.num_rows > 0
