"""Delta tables of the stand-in's Unity Catalog emulation, built and changed with SQL through the real SDK."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from databricks.sdk.service.sql import StatementParameterListItem

from .conftest import RunSql

STORES = pa.table(
    {
        "store_id": pa.array([1, 2, 3], pa.int16()),
        "name": pa.array(["North", "South", "East"]).dictionary_encode(),
        "floor_sqm": pa.array(
            [decimal.Decimal("120.50"), decimal.Decimal("98.25"), decimal.Decimal("310.00")], pa.decimal128(10, 2)
        ),
        "opened": pa.array([dt.date(2020, 1, 2), dt.date(2021, 6, 30), dt.date(2023, 11, 5)]),
    }
)
ORDERS = [
    pa.table(
        {
            "order_id": pa.array([10, 11], pa.int64()),
            "store_id": pa.array([1, 3], pa.int16()),
            "ordered_at": pa.array(
                [dt.datetime(2024, 1, 1, 9, 30), dt.datetime(2024, 1, 2, 17, 5)], pa.timestamp("us")
            ),
            "total": pa.array([19.99, 5.0]),
        }
    ),
    pa.table(
        {
            "order_id": pa.array([12], pa.int64()),
            "store_id": pa.array([2], pa.int16()),
            "ordered_at": pa.array([dt.datetime(2024, 1, 3, 8, 0)], pa.timestamp("us")),
            "total": pa.array([42.5]),
        }
    ),
]


def _upload(client: Any, path: str, table: pa.Table) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    buffer.seek(0)
    client.files.upload(path, buffer, overwrite=True)


def _upload_run(client: Any, volume: Any) -> str:
    """A run folder as the generator leaves it: one folder per table of part files, and a manifest."""
    run = f"{volume.path}/run-1"
    _upload(client, f"{run}/stores/part-00000.parquet", STORES)
    for i, part in enumerate(ORDERS):
        _upload(client, f"{run}/orders/part-{i:05d}.parquet", part)
    client.files.upload(f"{run}/_manifest.json", io.BytesIO(json.dumps({"tables": ["stores", "orders"]}).encode()))
    return run


def _rows(response: Any) -> list[list[str | None]]:
    return response.result.data_array or []


def test_parquet_in_a_volume_becomes_typed_delta_tables(
    standin: Any, workspace_client: Any, run_sql: RunSql, volume: Any
) -> None:
    run = _upload_run(workspace_client, volume)
    catalog = volume.catalog
    run_sql("CREATE SCHEMA IF NOT EXISTS retail COMMENT 'synthetic retail data'")
    run_sql("CREATE SCHEMA IF NOT EXISTS retail")  # twice is fine
    run_sql(
        "CREATE TABLE retail.stores__staging_1 ("
        "store_id SMALLINT NOT NULL COMMENT 'store key', name STRING NOT NULL COMMENT 'store name', "
        "floor_sqm DECIMAL(10,2) COMMENT 'sales floor', opened DATE) "
        "USING DELTA COMMENT 'one row per store' "
        "TBLPROPERTIES ('retail_datagen.seed' = '42', 'delta.appendOnly' = 'false')"
    )
    loaded = run_sql(
        "INSERT INTO retail.stores__staging_1 SELECT store_id, name, floor_sqm, opened "
        f"FROM read_files('{run}/stores', format => 'parquet')"
    )
    assert [c.name for c in loaded.manifest.schema.columns] == ["num_affected_rows", "num_inserted_rows"]
    assert _rows(loaded) == [["3", "3"]]
    run_sql("ALTER TABLE retail.stores__staging_1 ADD CONSTRAINT stores_pk PRIMARY KEY (store_id) RELY")
    run_sql(f"ALTER TABLE {catalog}.retail.stores__staging_1 RENAME TO {catalog}.retail.stores")

    run_sql(
        "CREATE TABLE retail.orders (order_id BIGINT NOT NULL, store_id SMALLINT NOT NULL, "
        "ordered_at TIMESTAMP_NTZ NOT NULL, total DECIMAL(12,2) NOT NULL) USING DELTA"
    )
    orders = run_sql(
        "INSERT INTO retail.orders SELECT order_id, store_id, ordered_at, CAST(total AS DECIMAL(12,2)) "
        f"FROM parquet.`{run}/orders`"
    )
    assert _rows(orders) == [["3", "3"]]  # both part files, not the manifest
    run_sql("ALTER TABLE retail.orders ADD CONSTRAINT orders_pk PRIMARY KEY (order_id)")
    run_sql(
        "ALTER TABLE retail.orders ADD CONSTRAINT orders_stores_fk "
        "FOREIGN KEY (store_id) REFERENCES retail.stores (store_id)"
    )
    run_sql("COMMENT ON TABLE retail.orders IS 'one row per order'")
    run_sql("ALTER TABLE retail.orders ALTER COLUMN total COMMENT 'order total, EUR'")

    joined = run_sql(
        "SELECT s.name, count(*) AS orders, sum(o.total) AS revenue FROM retail.orders o "
        "JOIN retail.stores s ON o.store_id = s.store_id GROUP BY s.name ORDER BY s.name"
    )
    assert _rows(joined) == [["East", "1", "5.00"], ["North", "1", "19.99"], ["South", "1", "42.50"]]
    typed = run_sql("SELECT * FROM retail.orders WHERE order_id = 10")
    assert _rows(typed) == [["10", "1", "2024-01-01T09:30:00.000", "19.99"]]

    stores = standin.uc.describe(f"{catalog}.retail.stores")
    assert [(c.name, c.type.text, c.nullable, c.comment) for c in stores.columns] == [
        ("store_id", "smallint", False, "store key"),
        ("name", "string", False, "store name"),
        ("floor_sqm", "decimal(10,2)", True, "sales floor"),
        ("opened", "date", True, None),
    ]
    assert stores.comment == "one row per store"
    assert stores.properties == {"retail_datagen.seed": "42", "delta.appendOnly": "false"}
    assert stores.constraints == ({"name": "stores_pk", "kind": "PRIMARY KEY", "columns": ["store_id"], "rely": True},)
    assert [v.operation for v in stores.versions] == ["CREATE TABLE", "WRITE"]
    assert standin.uc.rows(f"{catalog}.retail.stores").to_pylist() == [
        {"store_id": 1, "name": "North", "floor_sqm": decimal.Decimal("120.50"), "opened": dt.date(2020, 1, 2)},
        {"store_id": 2, "name": "South", "floor_sqm": decimal.Decimal("98.25"), "opened": dt.date(2021, 6, 30)},
        {"store_id": 3, "name": "East", "floor_sqm": decimal.Decimal("310.00"), "opened": dt.date(2023, 11, 5)},
    ]
    orders_meta = standin.uc.describe(f"{catalog}.retail.orders")
    assert orders_meta.comment == "one row per order"
    assert orders_meta.columns[3].comment == "order total, EUR"
    assert orders_meta.constraints[1] == {
        "name": "orders_stores_fk",
        "kind": "FOREIGN KEY",
        "columns": ["store_id"],
        "rely": False,
        "parent_table": f"{catalog}.retail.stores",
        "parent_columns": ["store_id"],
    }
    assert [v.operation for v in orders_meta.versions] == [
        "CREATE TABLE",
        "WRITE",
        "SET TBLPROPERTIES",
        "CHANGE COLUMN",
    ]
    assert standin.uc.tables(catalog, "retail") == ["orders", "stores"]


def test_history_time_travel_and_restore(standin: Any, run_sql: RunSql, volume: Any) -> None:
    run_sql("CREATE TABLE raw.t (id INT NOT NULL, label STRING) USING DELTA COMMENT 'first'")
    run_sql("INSERT INTO raw.t VALUES (1, 'a'), (2, 'b')")
    run_sql("INSERT OVERWRITE raw.t SELECT 3, 'c'")
    run_sql("ALTER TABLE raw.t ADD COLUMNS (extra DOUBLE)")
    run_sql("COMMENT ON TABLE raw.t IS 'second'")

    history = run_sql("DESCRIBE HISTORY raw.t")
    names = [c.name for c in history.manifest.schema.columns]
    assert names[:6] == ["version", "timestamp", "userId", "userName", "operation", "operationParameters"]
    rows = [dict(zip(names, r, strict=True)) for r in _rows(history)]
    assert [(r["version"], r["operation"]) for r in rows] == [
        ("4", "SET TBLPROPERTIES"),
        ("3", "ADD COLUMNS"),
        ("2", "WRITE"),
        ("1", "WRITE"),
        ("0", "CREATE TABLE"),
    ]
    assert json.loads(rows[2]["operationParameters"])["mode"] == "Overwrite"
    assert json.loads(rows[3]["operationParameters"])["mode"] == "Append"
    assert json.loads(rows[3]["operationMetrics"])["numOutputRows"] == "2"
    assert rows[0]["userName"] == standin.user_name and rows[0]["timestamp"].endswith("Z")
    assert _rows(run_sql("DESCRIBE HISTORY raw.t LIMIT 1"))[0][0] == "4"

    assert _rows(run_sql("SELECT id, label FROM raw.t VERSION AS OF 1 ORDER BY id")) == [["1", "a"], ["2", "b"]]
    assert _rows(run_sql("SELECT * FROM raw.t")) == [["3", "c", None]]
    missing = run_sql("SELECT * FROM raw.t VERSION AS OF 9", expect="FAILED")
    assert "Available versions: [0, 4]" in missing.status.error.message

    restored = run_sql("RESTORE TABLE raw.t TO VERSION AS OF 1")
    assert [c.name for c in restored.manifest.schema.columns][:2] == [
        "table_size_after_restore",
        "num_of_files_after_restore",
    ]
    assert _rows(run_sql("SELECT * FROM raw.t ORDER BY id")) == [["1", "a"], ["2", "b"]]  # data and schema of v1
    table = standin.uc.describe(f"{volume.catalog}.raw.t")
    assert [c.name for c in table.columns] == ["id", "label"]
    assert table.comment == "first"
    assert table.versions[-1].operation == "RESTORE" and table.versions[-1].version == 5
    assert run_sql("RESTORE TABLE raw.t TO VERSION AS OF 7", expect="FAILED").status.error.message.startswith(
        "[DELTA_CANNOT_RESTORE_TABLE_VERSION]"
    )
    assert standin.uc.rows(f"{volume.catalog}.raw.t", version=2).to_pylist() == [{"id": 3, "label": "c"}]


def test_not_null_is_enforced_and_a_failed_write_changes_nothing(standin: Any, run_sql: RunSql, volume: Any) -> None:
    run_sql("CREATE TABLE raw.prices (sku STRING NOT NULL, price DECIMAL(6,2) NOT NULL)")
    run_sql("INSERT INTO raw.prices VALUES ('a', 1.50)")
    failed = run_sql("INSERT INTO raw.prices VALUES ('b', 2.00), ('c', NULL)", expect="FAILED")
    assert failed.status.error.message.startswith(
        "[DELTA_NOT_NULL_CONSTRAINT_VIOLATED] NOT NULL constraint violated for column: price."
    )
    assert failed.status.sql_state == "23502"
    full_name = f"{volume.catalog}.raw.prices"
    assert standin.uc.rows(full_name).to_pylist() == [{"sku": "a", "price": decimal.Decimal("1.50")}]
    assert len(standin.uc.describe(full_name).versions) == 2

    overflow = run_sql("INSERT INTO raw.prices VALUES ('d', 12345.67)", expect="FAILED")
    assert overflow.status.error.message.startswith("[CAST_OVERFLOW_IN_TABLE_INSERT]")
    arity = run_sql("INSERT INTO raw.prices VALUES ('e')", expect="FAILED")
    assert arity.status.error.message.startswith("[INSERT_COLUMN_ARITY_MISMATCH.NOT_ENOUGH_DATA_COLUMNS]")
    unsafe = run_sql("INSERT INTO raw.prices SELECT 'f', 'cheap'", expect="FAILED")
    assert unsafe.status.error.message.startswith("[INCOMPATIBLE_DATA_FOR_TABLE.CANNOT_SAFELY_CAST]")
    assert '`price` "STRING" to "DECIMAL(6,2)"' in unsafe.status.error.message
    run_sql("ALTER TABLE raw.prices ALTER COLUMN price DROP NOT NULL")
    run_sql("INSERT INTO raw.prices (sku) VALUES ('g')")
    assert standin.uc.describe(full_name).columns[1].nullable is True
    refused = run_sql("ALTER TABLE raw.prices ALTER COLUMN price SET NOT NULL", expect="FAILED")
    assert "[DELTA_NOT_NULL_CONSTRAINT_VIOLATED]" in refused.status.error.message


def test_missing_objects_fail_with_databricks_errors(run_sql: RunSql, volume: Any) -> None:
    no_catalog = run_sql("SELECT * FROM nowhere.raw.t", expect="FAILED")
    assert no_catalog.status.error.message.startswith("[NO_SUCH_CATALOG_EXCEPTION] Catalog 'nowhere' was not found.")
    no_schema = run_sql("CREATE TABLE missing.t (a INT)", expect="FAILED")
    assert no_schema.status.error.message.startswith(f"[SCHEMA_NOT_FOUND] The schema `{volume.catalog}`.`missing`")
    no_table = run_sql("SELECT count(*) FROM raw.nothing", expect="FAILED")
    assert no_table.status.error.message.startswith(
        f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{volume.catalog}`.`raw`.`nothing`"
    )
    assert no_table.status.sql_state == "42P01"
    run_sql("DROP TABLE IF EXISTS raw.nothing")
    assert run_sql("DROP TABLE raw.nothing", expect="FAILED").status.error.message.startswith(
        "[TABLE_OR_VIEW_NOT_FOUND]"
    )
    no_path = run_sql(f"SELECT * FROM read_files('{volume.path}/none', format => 'parquet')", expect="FAILED")
    assert no_path.status.error.message.startswith(f"[PATH_NOT_FOUND] Path does not exist: {volume.path}/none.")
    column = run_sql("SELECT nope FROM range(1)", expect="FAILED")
    assert (
        column.status.error.message.startswith("[UNRESOLVED_COLUMN.WITH_SUGGESTION]")
        and "`id`" in column.status.error.message
    )
    run_sql("CREATE TABLE raw.t (a INT)")
    again = run_sql("CREATE TABLE raw.t (a INT)", expect="FAILED")
    assert again.status.error.message.startswith("[TABLE_OR_VIEW_ALREADY_EXISTS]")
    run_sql("CREATE TABLE IF NOT EXISTS raw.t (a INT)")
    provider = run_sql("CREATE TABLE raw.u (a INT) USING DELTAA", expect="FAILED")
    assert provider.status.error.message.startswith("[DATA_SOURCE_NOT_FOUND]")


def test_primary_and_foreign_keys_are_checked_as_unity_catalog_checks_them(run_sql: RunSql) -> None:
    run_sql("CREATE TABLE raw.parent (id INT NOT NULL, code STRING)")
    run_sql("CREATE TABLE raw.child (parent_id BIGINT, parent_code STRING)")
    nullable = run_sql("ALTER TABLE raw.parent ADD CONSTRAINT p_pk PRIMARY KEY (code)", expect="FAILED")
    assert "because its child column(s) `code` is nullable" in nullable.status.error.message
    no_pk = run_sql(
        "ALTER TABLE raw.child ADD CONSTRAINT c_fk FOREIGN KEY (parent_id) REFERENCES raw.parent (id)", expect="FAILED"
    )
    assert no_pk.status.error.message.startswith("[FOREIGN_KEY_NOT_REFERENCING_PRIMARY_KEY]")
    run_sql("ALTER TABLE raw.parent ADD CONSTRAINT p_pk PRIMARY KEY (id)")
    twice = run_sql("ALTER TABLE raw.parent ADD CONSTRAINT p_pk2 PRIMARY KEY (id)", expect="FAILED")
    assert twice.status.error.message.startswith("[MULTIPLE_PRIMARY_KEYS]")
    types = run_sql(
        "ALTER TABLE raw.child ADD CONSTRAINT c_fk FOREIGN KEY (parent_id) REFERENCES raw.parent (id)", expect="FAILED"
    )
    assert types.status.error.message.startswith("[FOREIGN_KEY_COLUMN_MISMATCH]")
    other_column = run_sql(
        "ALTER TABLE raw.child ADD CONSTRAINT c_fk FOREIGN KEY (parent_code) REFERENCES raw.parent (code)",
        expect="FAILED",
    )
    assert other_column.status.error.message.startswith("[FOREIGN_KEY_NOT_REFERENCING_PRIMARY_KEY]")
    missing = run_sql(
        "ALTER TABLE raw.child ADD CONSTRAINT c_fk FOREIGN KEY (nope) REFERENCES raw.parent (id)", expect="FAILED"
    )
    assert missing.status.error.message.startswith("[UNRESOLVED_COLUMN.WITH_SUGGESTION]")
    run_sql("CREATE TABLE raw.child2 (parent_id INT, CONSTRAINT c2_fk FOREIGN KEY (parent_id) REFERENCES raw.parent)")
    run_sql("INSERT INTO raw.child2 VALUES (99)")  # informational: not enforced
    run_sql("ALTER TABLE raw.child2 DROP CONSTRAINT c2_fk")
    run_sql("ALTER TABLE raw.child2 DROP CONSTRAINT IF EXISTS c2_fk")
    assert run_sql("ALTER TABLE raw.child2 DROP CONSTRAINT c2_fk", expect="FAILED").status.error.message.startswith(
        "[DELTA_CONSTRAINT_DOES_NOT_EXIST]"
    )


def test_merge_matches_columns_by_name_and_refuses_ambiguous_sources(
    run_sql: RunSql, standin: Any, volume: Any
) -> None:
    run_sql("CREATE TABLE raw.stock (sku STRING NOT NULL, qty INT NOT NULL)")
    run_sql("INSERT INTO raw.stock VALUES ('a', 1), ('b', 2)")
    merged = run_sql(
        "MERGE INTO raw.stock AS t USING (SELECT 5 AS qty, 'a' AS sku UNION ALL SELECT 7, 'c') AS s ON t.sku = s.sku "
        "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
    )
    names = [c.name for c in merged.manifest.schema.columns]
    assert dict(zip(names, _rows(merged)[0], strict=True)) == {
        "num_affected_rows": "2",
        "num_updated_rows": "1",
        "num_deleted_rows": "0",
        "num_inserted_rows": "1",
    }
    assert _rows(run_sql("SELECT sku, qty FROM raw.stock ORDER BY sku")) == [["a", "5"], ["b", "2"], ["c", "7"]]
    ambiguous = run_sql(
        "MERGE INTO raw.stock t USING (SELECT 'a' AS sku, 1 AS qty UNION ALL SELECT 'a', 2) s ON t.sku = s.sku "
        "WHEN MATCHED THEN UPDATE SET t.qty = s.qty",
        expect="FAILED",
    )
    assert ambiguous.status.error.message.startswith("[DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE]")
    assert _rows(run_sql("DELETE FROM raw.stock WHERE qty > 4")) == [["2"]]
    assert _rows(run_sql("UPDATE raw.stock SET qty = qty + 1")) == [["1"]]
    operations = [v.operation for v in standin.uc.describe(f"{volume.catalog}.raw.stock").versions]
    assert operations == ["CREATE TABLE", "WRITE", "MERGE", "DELETE", "UPDATE"]


def test_create_or_replace_and_ctas_keep_one_history(run_sql: RunSql, standin: Any, volume: Any) -> None:
    run_sql("CREATE TABLE raw.r (a INT NOT NULL, CONSTRAINT r_pk PRIMARY KEY (a)) USING DELTA")
    run_sql("CREATE OR REPLACE TABLE raw.r (a BIGINT, b STRING) USING DELTA COMMENT 'replaced'")
    copied = run_sql("CREATE OR REPLACE TABLE raw.r AS SELECT id AS a, 'x' AS b FROM range(4)")
    assert _rows(copied) == [["4", "4"]]
    table = standin.uc.describe(f"{volume.catalog}.raw.r")
    assert [v.operation for v in table.versions] == [
        "CREATE TABLE",
        "CREATE OR REPLACE TABLE",
        "CREATE OR REPLACE TABLE AS SELECT",
    ]
    assert [(c.name, c.type.text) for c in table.columns] == [("a", "bigint"), ("b", "string")]
    assert table.constraints == ()
    assert run_sql("SELECT count(*) FROM raw.r").result.data_array == [["4"]]


def test_information_schema_describes_tables_columns_and_constraints(run_sql: RunSql, volume: Any) -> None:
    run_sql("CREATE SCHEMA sales")
    run_sql(
        "CREATE TABLE sales.stores (id INT NOT NULL COMMENT 'key', name STRING, CONSTRAINT stores_pk PRIMARY KEY (id))"
    )
    run_sql(
        "CREATE TABLE sales.orders (id BIGINT NOT NULL, store_id INT, "
        "CONSTRAINT o_fk FOREIGN KEY (store_id) REFERENCES sales.stores (id))"
    )
    columns = run_sql(
        "SELECT table_name, column_name, ordinal_position, is_nullable, full_data_type, comment "
        "FROM information_schema.columns WHERE table_schema = 'sales' ORDER BY table_name, ordinal_position"
    )
    assert _rows(columns) == [
        ["orders", "id", "0", "NO", "bigint", None],
        ["orders", "store_id", "1", "YES", "int", None],
        ["stores", "id", "0", "NO", "int", "key"],
        ["stores", "name", "1", "YES", "string", None],
    ]
    constraints = run_sql(
        "SELECT tc.table_name, tc.constraint_type, k.column_name "
        f"FROM {volume.catalog}.information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage k USING (constraint_name) ORDER BY 1"
    )
    assert _rows(constraints) == [["orders", "FOREIGN KEY", "store_id"], ["stores", "PRIMARY KEY", "id"]]
    tables = run_sql(
        "SELECT table_catalog, table_name, table_type, data_source_format FROM system.information_schema.tables "
        f"WHERE table_catalog = '{volume.catalog}' ORDER BY table_name"
    )
    assert _rows(tables) == [
        [volume.catalog, "orders", "MANAGED", "DELTA"],
        [volume.catalog, "stores", "MANAGED", "DELTA"],
    ]
    unknown = run_sql("SELECT * FROM information_schema.nothing", expect="FAILED")
    assert unknown.status.error.message.startswith("[TABLE_OR_VIEW_NOT_FOUND]")
    assert _rows(run_sql("SHOW TABLES IN sales")) == [["sales", "orders", "false"], ["sales", "stores", "false"]]


def test_a_table_owned_by_another_user_can_be_read_but_not_changed(standin: Any, run_sql: RunSql, volume: Any) -> None:
    run_sql("CREATE TABLE raw.theirs (a INT)")
    run_sql("INSERT INTO raw.theirs VALUES (1)")
    standin.uc.set_owner(f"{volume.catalog}.raw.theirs", "someone.else@example.com")
    assert _rows(run_sql("SELECT a FROM raw.theirs")) == [["1"]]
    for sql in (
        "DROP TABLE raw.theirs",
        "CREATE OR REPLACE TABLE raw.theirs (a INT)",
        "ALTER TABLE raw.theirs RENAME TO raw.mine",
    ):
        failed = run_sql(sql, expect="FAILED")
        assert failed.status.error.message == (
            f"[INSUFFICIENT_PERMISSIONS] Insufficient privileges:\nUser is not an owner of Table "
            f"'{volume.catalog}.raw.theirs'. SQLSTATE: 42501"
        ), sql
    insert = run_sql("INSERT INTO raw.theirs VALUES (2)", expect="FAILED")
    assert "User does not have MODIFY on Table" in insert.status.error.message
    standin.uc.set_owner(volume.catalog, "someone.else@example.com")
    schema = run_sql("CREATE SCHEMA new_one", expect="FAILED")
    assert f"User does not have CREATE SCHEMA on Catalog '{volume.catalog}'" in schema.status.error.message


def test_the_request_catalog_and_schema_name_what_statements_mean(run_sql: RunSql, volume: Any) -> None:
    run_sql("CREATE TABLE t (a INT)", schema="raw")
    assert _rows(run_sql(f"SELECT count(*) FROM {volume.catalog}.raw.t", catalog="main")) == [["0"]]
    assert _rows(run_sql("SHOW TABLES", schema="raw")) == [["raw", "t", "false"]]
    wrong_catalog = run_sql("SELECT 1", catalog="nowhere", expect="FAILED")
    assert wrong_catalog.status.error.message.startswith("[NO_SUCH_CATALOG_EXCEPTION]")
    wrong_schema = run_sql("SELECT 1", schema="nothing", expect="FAILED")
    assert wrong_schema.status.error.message.startswith("[SCHEMA_NOT_FOUND]")


def test_describe_show_use_truncate_and_comments(run_sql: RunSql, standin: Any, volume: Any) -> None:
    run_sql(
        "CREATE TABLE raw.d (id INT NOT NULL COMMENT 'key', v STRING, CONSTRAINT d_pk PRIMARY KEY (id)) COMMENT 'dee'"
    )
    run_sql("INSERT INTO raw.d VALUES (1, 'x')")
    run_sql("COMMENT ON COLUMN raw.d.id IS NULL")
    run_sql("COMMENT ON SCHEMA raw IS 'landing zone'")
    extended = _rows(run_sql("DESCRIBE TABLE EXTENDED raw.d"))
    assert extended[:2] == [["id", "int", None], ["v", "string", None]]
    details = {r[0]: r[1] for r in extended[3:]}
    assert (details["Table"], details["Comment"], details["Provider"], details["Owner"]) == (
        "d",
        "dee",
        "delta",
        standin.user_name,
    )
    assert details["d_pk"] == "PRIMARY KEY (`id`)"
    detail = run_sql("DESCRIBE DETAIL raw.d")
    row = dict(zip([c.name for c in detail.manifest.schema.columns], _rows(detail)[0], strict=True))
    assert (row["format"], row["name"], row["description"], row["partitionColumns"]) == (
        "delta",
        f"{volume.catalog}.raw.d",
        "dee",
        "[]",
    )
    assert _rows(run_sql("SHOW SCHEMAS")) == [["default"], ["information_schema"], ["raw"]]
    assert [volume.catalog] in _rows(run_sql("SHOW CATALOGS"))
    run_sql("USE SCHEMA raw")
    assert run_sql("USE CATALOG nowhere", expect="FAILED").status.error.message.startswith(
        "[NO_SUCH_CATALOG_EXCEPTION]"
    )
    run_sql("TRUNCATE TABLE raw.d")
    assert _rows(run_sql("SELECT count(*) FROM raw.d")) == [["0"]]
    assert standin.uc.describe(f"{volume.catalog}.raw.d").versions[-1].operation == "TRUNCATE"
    assert standin.uc.schema(volume.catalog, "raw").comment == "landing zone"
    assert run_sql("DROP SCHEMA raw", expect="FAILED").status.error.message.startswith("[SCHEMA_NOT_EMPTY]")
    run_sql("DROP SCHEMA raw CASCADE")
    assert not volume.local.exists()


def test_identifier_clauses_by_name_inserts_and_globs(workspace_client: Any, run_sql: RunSql, volume: Any) -> None:
    run = _upload_run(workspace_client, volume)
    table = StatementParameterListItem(name="table", value=f"{volume.catalog}.raw.orders")
    run_sql("CREATE TABLE IDENTIFIER(:table) (total DOUBLE, order_id BIGINT NOT NULL, note STRING)", parameters=[table])
    by_name = run_sql(
        "INSERT INTO IDENTIFIER(:table) BY NAME SELECT order_id, total "
        f"FROM read_files('{run}/orders/part-0000*.parquet')",
        parameters=[table],
    )
    assert _rows(by_name) == [["3", "3"]]
    listed = run_sql("INSERT INTO IDENTIFIER('raw.orders') (order_id, note) VALUES (99, 'manual')")
    assert _rows(listed) == [["1", "1"]]
    rows = run_sql("SELECT order_id, total, note FROM raw.orders ORDER BY order_id")
    assert _rows(rows) == [["10", "19.99", None], ["11", "5.0", None], ["12", "42.5", None], ["99", None, "manual"]]
    one_part = run_sql(f"SELECT count(*) FROM read_files('{run}/orders/part-00001.parquet', format => 'parquet')")
    assert _rows(one_part) == [["1"]]
    unbound = run_sql("SELECT * FROM IDENTIFIER(:nothing)", expect="FAILED")
    assert unbound.status.error.message.startswith("[UNBOUND_SQL_PARAMETER]")
    unknown_option = run_sql(
        f"SELECT * FROM read_files('{run}/orders', format => 'parquet', header => true)", expect="FAILED"
    )
    assert unknown_option.status.error.message.startswith("[STANDIN_UNSUPPORTED_SQL]")
