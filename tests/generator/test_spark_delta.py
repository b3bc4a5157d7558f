"""Real Delta Lake tables on local[2] Spark: the Delta behaviour the bundle's job relies on on Databricks.

First the Delta SQL itself (exact column types, NOT NULL, comments, table features, history,
RESTORE, RENAME, MERGE and the change data feed), then generate_to_spark's Delta swap on a tiny
dataset: a failure half-way through the swap restores the targets it replaced (in place, or
re-created for a changed schema) to their versions and drops the ones it created, and targets
that are not Delta tables are refused before anything is generated; last, how the tests get Delta
(the jars fetched with mvn, a pyspark they fit). tests/generator/test_spark.py covers the rest of
generate_to_spark on the same Delta session.
The session is the test session's shared Delta session (tests/conftest.py: delta_spark).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fetch_delta_jars import DELTA_VERSION, DeltaJarsMissing, fetch, jar_paths, require_jars
from pyspark.sql import SparkSession
from pyspark.sql import types as T
from spark_session import delta_conf
from spark_tables import FailingSql, fingerprints, tables_in

from generator import spark as gs
from generator.errors import OutputExistsError
from generator.schema import TABLE_NAMES, TABLES
from generator.spark import ddl
from generator.spark.target import STATE_TABLE
from generator.spec import DatasetSpec

SCHEMA = "retail_delta_test"
TINY = DatasetSpec(scale="small", scale_factor=0.1, days=2)


@pytest.fixture(scope="module")
def spark(delta_spark: SparkSession) -> SparkSession:
    """The shared Delta session, with this module's schema created."""
    delta_spark.sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    return delta_spark


def _history(spark: SparkSession, name: str) -> list[Any]:
    """DESCRIBE HISTORY, oldest commit first."""
    return sorted(spark.sql(f"DESCRIBE HISTORY {name}").collect(), key=lambda row: row.version)


def _detail(spark: SparkSession, name: str) -> Any:
    return spark.sql(f"DESCRIBE DETAIL {name}").first()


def _rows(spark: SparkSession, source: str) -> list[tuple[Any, ...]]:
    """The rows of `SELECT * FROM source`, sorted."""
    return sorted(tuple(row) for row in spark.sql(f"SELECT * FROM {source}").collect())


# --- Delta SQL on local Spark ------------------------------------------------------------------


def test_create_table_keeps_exact_types_not_null_and_comments(spark: SparkSession) -> None:
    name = f"{SCHEMA}.typed"
    spark.sql(
        f"CREATE TABLE {name} (id BIGINT NOT NULL COMMENT 'the key', price DECIMAL(10,2) NOT NULL, "
        "day DATE, at TIMESTAMP_NTZ NOT NULL COMMENT 'local time') USING DELTA COMMENT 'typed rows' "
        "TBLPROPERTIES ('delta.feature.timestampNtz' = 'supported')"
    )
    spark.sql(f"INSERT INTO {name} VALUES (1, 12.5, DATE'2025-03-01', TIMESTAMP_NTZ'2025-03-01 09:30:00')")

    fields = spark.table(name).schema.fields
    assert [(f.name, f.dataType, f.nullable) for f in fields] == [
        ("id", T.LongType(), False),
        ("price", T.DecimalType(10, 2), False),
        ("day", T.DateType(), True),
        ("at", T.TimestampNTZType(), False),
    ]
    assert [f.metadata.get("comment") for f in fields] == ["the key", None, None, "local time"]
    detail = _detail(spark, name)
    assert detail.format == "delta"
    assert detail.description == "typed rows"
    assert "timestampNtz" in detail.tableFeatures
    assert _rows(spark, name) == [(1, Decimal("12.50"), dt.date(2025, 3, 1), dt.datetime(2025, 3, 1, 9, 30))]
    with pytest.raises(Exception, match="DELTA_NOT_NULL_CONSTRAINT_VIOLATED"):
        spark.sql(f"INSERT INTO {name} VALUES (NULL, 1.0, NULL, TIMESTAMP_NTZ'2025-03-02 00:00:00')")
    assert spark.table(name).count() == 1  # the failed insert committed nothing


def test_insert_overwrite_history_and_restore(spark: SparkSession) -> None:
    name = f"{SCHEMA}.versions"
    spark.sql(f"CREATE TABLE {name} (id INT NOT NULL, label STRING) USING DELTA")
    spark.sql(f"INSERT INTO {name} VALUES (1, 'a'), (2, 'b')")
    spark.sql(f"INSERT INTO {name} VALUES (3, 'c')")
    spark.sql(f"INSERT OVERWRITE TABLE {name} VALUES (9, 'z')")
    assert _rows(spark, name) == [(9, "z")]
    history = _history(spark, name)
    assert [(row.version, row.operation, row.operationParameters.get("mode")) for row in history] == [
        (0, "CREATE TABLE", None),
        (1, "WRITE", "Append"),
        (2, "WRITE", "Append"),
        (3, "WRITE", "Overwrite"),
    ]

    spark.sql(f"RESTORE TABLE {name} TO VERSION AS OF 2")
    assert _rows(spark, name) == [(1, "a"), (2, "b"), (3, "c")]
    last = _history(spark, name)[-1]
    assert (last.version, last.operation, last.operationParameters["version"]) == (4, "RESTORE", "2")
    assert _rows(spark, f"{name} VERSION AS OF 3") == [(9, "z")]  # time travel still sees the overwrite


def test_rename_keeps_the_table_and_its_history(spark: SparkSession) -> None:
    old, new = f"{SCHEMA}.before_rename", f"{SCHEMA}.after_rename"
    spark.sql(f"CREATE TABLE {old} (id INT NOT NULL) USING DELTA")
    spark.sql(f"INSERT INTO {old} VALUES (1), (2)")
    table_id = _detail(spark, old).id

    spark.sql(f"ALTER TABLE {old} RENAME TO {new}")
    assert not spark.catalog.tableExists(old)
    assert _detail(spark, new).id == table_id
    assert [row.operation for row in _history(spark, new)] == ["CREATE TABLE", "WRITE"]
    assert _rows(spark, new) == [(1,), (2,)]


def test_merge_updates_inserts_and_deletes(spark: SparkSession) -> None:
    name = f"{SCHEMA}.merged"
    spark.sql(f"CREATE TABLE {name} (id INT NOT NULL, qty INT NOT NULL) USING DELTA")
    spark.sql(f"INSERT INTO {name} VALUES (1, 10), (2, 20), (3, 30)")
    spark.createDataFrame([(1, 11), (2, 0), (4, 40)], "id INT, qty INT").createOrReplaceTempView("merge_source")

    spark.sql(
        f"MERGE INTO {name} AS t USING merge_source AS s ON t.id = s.id "
        "WHEN MATCHED AND s.qty = 0 THEN DELETE "
        "WHEN MATCHED THEN UPDATE SET t.qty = s.qty "
        "WHEN NOT MATCHED THEN INSERT (id, qty) VALUES (s.id, s.qty)"
    )
    assert _rows(spark, name) == [(1, 11), (3, 30), (4, 40)]
    merge = _history(spark, name)[-1]
    assert merge.operation == "MERGE"
    metrics = merge.operationMetrics
    assert (metrics["numTargetRowsUpdated"], metrics["numTargetRowsInserted"], metrics["numTargetRowsDeleted"]) == (
        "1",
        "1",
        "1",
    )


def test_change_data_feed_records_every_kind_of_change(spark: SparkSession) -> None:
    name = f"{SCHEMA}.changes"
    spark.sql(
        f"CREATE TABLE {name} (id INT NOT NULL, qty INT NOT NULL) USING DELTA "
        "TBLPROPERTIES (delta.enableChangeDataFeed = true)"
    )
    spark.sql(f"INSERT INTO {name} VALUES (1, 10), (2, 20)")  # version 1
    spark.sql(f"UPDATE {name} SET qty = 11 WHERE id = 1")  # version 2
    spark.sql(f"DELETE FROM {name} WHERE id = 2")  # version 3

    changes = spark.sql(f"SELECT id, qty, _change_type, _commit_version FROM table_changes('{name}', 1)")
    assert sorted(tuple(row) for row in changes.collect()) == [
        (1, 10, "insert", 1),
        (1, 10, "update_preimage", 2),
        (1, 11, "update_postimage", 2),
        (2, 20, "delete", 3),
        (2, 20, "insert", 1),
    ]


# --- generate_to_spark's Delta swap ------------------------------------------------------------


def test_swap_failure_restores_replaced_targets_and_drops_created_ones(spark: SparkSession) -> None:
    """Targets as the swap finds them after someone changed stores' schema and dropped products:
    stores is replaced (new schema), products created, customers and promotions overwritten in
    place, then orders fails; every replaced table goes back to its version, products is dropped."""
    prefix = "swap_"
    name = {t: ddl.qualified_name(None, SCHEMA, f"{prefix}{t}") for t in TABLE_NAMES}
    first = gs.generate_to_spark(spark, TINY, gs.SparkTarget.parse(schema=SCHEMA, table_prefix=prefix))
    assert first.format == "delta"  # detected from the session's extension and catalog
    original = fingerprints(spark, SCHEMA, prefix)
    spark.sql(f"CREATE OR REPLACE TABLE {name['stores']} (store_id INT NOT NULL) USING DELTA")
    spark.sql(f"INSERT INTO {name['stores']} VALUES (7)")
    spark.sql(f"DROP TABLE {name['products']}")
    kept = [t for t in TABLE_NAMES if t != "products"]
    versions = {t: _history(spark, name[t])[-1].version for t in kept}
    ids = {t: _detail(spark, name[t]).id for t in kept}

    # The swap runs in TABLE_NAMES order: stores, products, customers, promotions, then orders fails.
    failing = FailingSql(spark, lambda q: q.startswith(f"INSERT OVERWRITE TABLE {name['orders']}"))
    with pytest.raises(RuntimeError, match="injected failure"):
        gs.generate_to_spark(failing, TINY, gs.SparkTarget.parse(schema=SCHEMA, table_prefix=prefix))  # type: ignore[arg-type]
    restores = [q for q in failing.executed if q.startswith("RESTORE")]
    assert restores == [
        f"RESTORE TABLE {name[t]} TO VERSION AS OF {versions[t]}" for t in ("promotions", "customers", "stores")
    ]
    assert f"DROP TABLE IF EXISTS {name['products']}" in failing.executed
    assert not spark.catalog.tableExists(name["products"])  # created by the swap, so dropped again

    assert _rows(spark, name["stores"]) == [(7,)]  # back to the changed table, schema and all
    assert [f.name for f in spark.table(name["stores"]).schema.fields] == ["store_id"]
    assert [row.operation for row in _history(spark, name["stores"])][-3:] == [
        "CREATE OR REPLACE TABLE",  # the swap replaced the table whose schema changed ...
        "WRITE",
        "RESTORE",  # ... within its history, so RESTORE could take it back
    ]
    for table in ("customers", "promotions"):
        history = _history(spark, name[table])
        assert [(row.operation, row.operationParameters.get("mode")) for row in history[-2:]] == [
            ("WRITE", "Overwrite"),  # overwritten in place ...
            ("RESTORE", None),  # ... and restored
        ]
    untouched = {t: p for t, p in fingerprints(spark, SCHEMA, prefix).items() if t != "stores"}
    assert untouched == {t: p for t, p in original.items() if t not in ("stores", "products")}
    assert {t: _detail(spark, name[t]).id for t in kept} == ids  # the same tables, not new ones
    left = {t for t in tables_in(spark, SCHEMA) if t.startswith(prefix)}
    assert left == {f"{prefix}{t}" for t in (*kept, STATE_TABLE)}  # and no staging table (the state: untouched)


def test_non_delta_targets_are_refused_before_generating(spark: SparkSession) -> None:
    prefix = "legacy_"
    legacy = ddl.qualified_name(None, SCHEMA, f"{prefix}stores")
    spark.sql(f"CREATE TABLE {legacy} ({ddl.column_ddl('stores')}) USING parquet")
    with pytest.raises(gs.SparkTargetError, match="not Delta tables"):
        gs.generate_to_spark(spark, TINY, gs.SparkTarget.parse(schema=SCHEMA, table_prefix=prefix))
    with pytest.raises(OutputExistsError, match="overwrite is false"):
        gs.generate_to_spark(spark, TINY, gs.SparkTarget.parse(schema=SCHEMA, table_prefix=prefix), overwrite=False)
    assert {t for t in tables_in(spark, SCHEMA) if t.startswith(prefix)} == {f"{prefix}stores"}  # nothing staged
    assert _detail(spark, legacy).format == "parquet"
    assert [f.name for f in spark.table(legacy).schema] == TABLES["stores"].schema.names


# --- How the tests get Delta -------------------------------------------------------------------


def test_missing_jars_fail_with_the_command_that_fetches_them(tmp_path: Path) -> None:
    with pytest.raises(DeltaJarsMissing, match=r"fetch them with `python tests/fetch_delta_jars.py`") as caught:
        require_jars(tmp_path)
    assert all(str(path) in str(caught.value) for path in jar_paths(tmp_path))


def test_fetch_copies_the_jars_with_maven(tmp_path: Path) -> None:
    folder = tmp_path / "jars"
    assert fetch(folder) == jar_paths(folder)
    with zipfile.ZipFile(folder / f"delta-spark_2.13-{DELTA_VERSION}.jar") as jar:
        assert "io/delta/sql/DeltaSparkSessionExtension.class" in jar.namelist()
    assert require_jars(folder) == jar_paths(folder)


def test_a_pyspark_the_jars_do_not_fit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyspark

    monkeypatch.setattr(pyspark, "__version__", "4.3.0")
    with pytest.raises(RuntimeError, match=r"pyspark 4.3.0 is installed but the Delta jars are built for Spark 4.0"):
        delta_conf(tmp_path, cores=2)
