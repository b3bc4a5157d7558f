"""load_to_postgres and upsert_changes against a real PostgreSQL 15 server that the tests start.

Every check reads the server's own catalog or data: types, keys, foreign keys (enforced by
PostgreSQL), indexes, comments, statistics; the loaded rows are read back with COPY TO and pass
the same invariant checks as the files. Failures part-way (a killed connection, a broken key, a
full disk, a cancel) must leave the previous schema exactly as it was and no staging schema.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.rows import dict_row

import generator.postgres.load as pg_load
from generator.manifest import MANIFEST_NAME
from generator.postgres import (
    LoadCancelled,
    LoadFailedError,
    LoadResult,
    PostgresConnectError,
    PostgresInputError,
    SchemaBusyError,
    SchemaExistsError,
    TableChanges,
    load_to_postgres,
    upsert_changes,
)
from generator.postgres.connection import advisory_lock_key
from generator.readers import DatasetNotFoundError, arrow_dataset, dataset_format, table_paths
from generator.rules import RuleError, RuleErrors
from generator.runner import run
from generator.schema import TABLES, TableDefinition
from generator.spec import DatasetSpec
from generator.validation import validate_dataset

SPEC = DatasetSpec(scale="small", scale_factor=0.1, days=7)
PASSWORD_MARK = "s3cret-Pa55word-for-tests"
DEFAULT_SCHEMAS = {"public", "information_schema", "pg_catalog", "pg_toast"}

# What each Arrow type of schema.py must be in PostgreSQL (written out, not computed by the loader).
EXPECTED_TYPES = {
    pa.int16(): "smallint",
    pa.int32(): "integer",
    pa.int64(): "bigint",
    pa.float64(): "double precision",
    pa.string(): "text",
    pa.date32(): "date",
    pa.timestamp("us"): "timestamp without time zone",
}


def expected_type(type_: pa.DataType) -> str:
    if pa.types.is_decimal(type_):
        return f"numeric({type_.precision},{type_.scale})"
    return EXPECTED_TYPES[type_]


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The small dataset in a format, generated once per module: datasets('csv')."""
    made: dict[str, Path] = {}

    def get(fmt: str = "parquet") -> Path:
        if fmt not in made:
            folder = tmp_path_factory.mktemp(f"pg-dataset-{fmt}") / "data"
            run(SPEC, folder, fmt=fmt, workers=1)
            made[fmt] = folder
        return made[fmt]

    return get


@pytest.fixture
def dataset(datasets: Callable[[str], Path]) -> Path:
    return datasets("parquet")


@pytest.fixture
def dsn(pg_server: Any, pg_database: str) -> str:
    return pg_server.dsn(pg_database)


@pytest.fixture
def db(pg_server: Any, pg_database: str) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection to the test's database (autocommit)."""
    with pg_server.connect(pg_database) as conn:
        yield conn


# -- helpers --------------------------------------------------------------------------------------


def schemas(conn: psycopg.Connection[Any]) -> set[str]:
    return {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace").fetchall()} - DEFAULT_SCHEMAS


def count(conn: psycopg.Connection[Any], schema: str, table: str) -> int:
    return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))).fetchone()[0]


def manifest_rows(folder: Path) -> dict[str, int]:
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    return {name: info["rows"] for name, info in manifest["tables"].items()}


def mark_previous(conn: psycopg.Connection[Any], schema: str = "retail") -> None:
    """Change the loaded schema so that a reload (or a half reload) would be visible."""
    conn.execute(sql.SQL("UPDATE {} SET name = 'PREVIOUS'").format(sql.Identifier(schema, "stores")))
    conn.execute(sql.SQL("CREATE TABLE {} (id int)").format(sql.Identifier(schema, "orders_previous_marker")))
    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, "orders_previous_marker")))


def assert_previous_untouched(conn: psycopg.Connection[Any], folder: Path, schema: str = "retail") -> None:
    assert schemas(conn) == {schema}, "a staging or retired schema was left behind"
    names = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))}
    assert names == set(TABLES)
    assert {name: count(conn, schema, name) for name in TABLES} == manifest_rows(folder)
    stores = conn.execute(sql.SQL("SELECT DISTINCT name FROM {}").format(sql.Identifier(schema, "stores"))).fetchall()
    assert stores == [("PREVIOUS",)]


def read_table(conn: psycopg.Connection[Any], schema: str, spec: TableDefinition) -> pa.Table:
    """One table read back with COPY TO (CSV), typed with the schema's Arrow types, in key order."""
    columns = sql.SQL(", ").join(sql.Identifier(f.name) for f in spec.schema)
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in spec.primary_key)
    statement = sql.SQL("COPY (SELECT {} FROM {} ORDER BY {}) TO STDOUT (FORMAT csv)").format(
        columns, sql.Identifier(schema, spec.name), keys
    )
    with conn.cursor().copy(statement) as copy:
        data = b"".join(bytes(block) for block in copy)
    return pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(column_names=spec.schema.names),
        convert_options=pa_csv.ConvertOptions(
            column_types=spec.schema, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    ).cast(spec.schema)


def source_table(folder: Path, spec: TableDefinition) -> pa.Table:
    fmt = dataset_format(folder)
    table = arrow_dataset(table_paths(folder)[spec.name], fmt, spec).to_table().cast(spec.schema)
    return table.sort_by([(k, "ascending") for k in spec.primary_key])


def write_back(conn: psycopg.Connection[Any], schema: str, source: Path, target: Path) -> Path:
    """The loaded tables as a Parquet dataset folder with the source's manifest (format: parquet)."""
    for spec in TABLES.values():
        (target / spec.name).mkdir(parents=True)
        pq.write_table(read_table(conn, schema, spec), target / spec.name / "part-00000.parquet")
    manifest = json.loads((source / MANIFEST_NAME).read_text())
    manifest["format"] = "parquet"
    (target / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    return target


def constraint_defs(conn: psycopg.Connection[Any], schema: str, table: str) -> dict[str, tuple[str, bool]]:
    rows = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'f')",
        (f'"{schema}"."{table}"',),
    ).fetchall()
    return {name: (definition, valid) for name, definition, valid in rows}


def index_leading_columns(conn: psycopg.Connection[Any], schema: str, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
        "WHERE i.indrelid = %s::regclass",
        (f'"{schema}"."{table}"',),
    ).fetchall()
    return {row[0] for row in rows}


# -- loading: what lands --------------------------------------------------------------------------


def test_types_keys_indexes_comments_and_statistics_come_from_the_schema(
    dataset: Path, dsn: str, db: psycopg.Connection[Any]
) -> None:
    result = load_to_postgres(dataset, dsn)
    assert result.rows == manifest_rows(dataset)
    for name, spec in TABLES.items():
        regclass = f"retail.{name}"
        columns = db.execute(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull, col_description(attrelid, attnum) "
            "FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (regclass,),
        ).fetchall()
        assert [c[0] for c in columns] == spec.schema.names
        for (column, type_name, not_null, comment), field in zip(columns, spec.schema, strict=True):
            assert type_name == expected_type(field.type), (name, column)
            assert not_null is (not field.nullable), (name, column)
            assert comment == spec.column_description(column) and comment
        table_comment = db.execute("SELECT obj_description(%s::regclass, 'pg_class')", (regclass,)).fetchone()[0]
        assert table_comment == spec.description
        constraints = constraint_defs(db, "retail", name)
        assert constraints[f"{name}_pkey"] == (f"PRIMARY KEY ({', '.join(spec.primary_key)})", True)
        for column, (parent, parent_column) in spec.foreign_keys.items():
            definition = f"FOREIGN KEY ({column}) REFERENCES retail.{parent}({parent_column})"
            assert constraints[f"{name}_{column}_fkey"] == (definition, True)
        assert len(constraints) == 1 + len(spec.foreign_keys)
        assert set(spec.foreign_keys) <= index_leading_columns(db, "retail", name), (
            f"{name}: a foreign key lacks an index"
        )
    analyzed = db.execute("SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = 'retail'").fetchall()
    assert {row[0] for row in analyzed} == set(TABLES)
    comment = db.execute("SELECT obj_description('retail'::regnamespace, 'pg_namespace')").fetchone()[0]
    assert "retail-datagen" in comment and "scale small" in comment


def test_postgres_enforces_the_keys_after_the_load(dataset: Path, dsn: str, db: psycopg.Connection[Any]) -> None:
    load_to_postgres(dataset, dsn)
    item = db.execute("SELECT order_id, line_number FROM retail.order_items LIMIT 1").fetchone()
    with pytest.raises(pg_errors.ForeignKeyViolation):
        db.execute("INSERT INTO retail.order_items VALUES (%s, 99, 999999, NULL, 1, 1.00, 1.00, 1.00)", (item[0],))
    with pytest.raises(pg_errors.ForeignKeyViolation):
        db.execute("DELETE FROM retail.stores")
    with pytest.raises(pg_errors.UniqueViolation):
        db.execute("INSERT INTO retail.order_items SELECT * FROM retail.order_items LIMIT 1")
    with pytest.raises(pg_errors.NotNullViolation):
        db.execute("UPDATE retail.orders SET order_ts = NULL")
    with pytest.raises(pg_errors.NumericValueOutOfRange):
        db.execute("UPDATE retail.promotions SET discount_pct = 1000.00")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "delta", "duckdb"])
def test_loaded_tables_equal_the_files_and_pass_every_invariant(
    fmt: str, datasets: Callable[[str], Path], dsn: str, db: psycopg.Connection[Any], tmp_path: Path
) -> None:
    folder = datasets(fmt)
    load_to_postgres(folder, dsn, schema=f"retail_{fmt}")
    copy = write_back(db, f"retail_{fmt}", folder, tmp_path / "read-back")
    report = validate_dataset(copy)
    assert report.passed, [c for c in report.checks if not c.passed]
    assert report.tables == manifest_rows(folder)
    files = datasets("parquet")  # the same rows in every format (a DuckDB file has no table folders to read)
    for spec in TABLES.values():
        loaded = pq.read_table(copy / spec.name / "part-00000.parquet")
        assert loaded.equals(source_table(files if fmt == "duckdb" else folder, spec)), spec.name


def test_result_progress_and_logs_never_show_the_password(
    dataset: Path, pg_server: Any, pg_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    role = pg_server.create_role(f"loader_{pg_database}", PASSWORD_MARK)
    with pg_server.connect(pg_database) as conn:
        conn.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(sql.Identifier(pg_database), sql.Identifier(role))
        )
    caplog.set_level(logging.DEBUG)
    events: list[tuple[int, int, str]] = []
    result = load_to_postgres(
        dataset,
        f"postgresql://{role}:{PASSWORD_MARK}@{pg_server.host}:{pg_server.port}/{pg_database}",
        progress=lambda done, total, message: events.append((done, total, message)),
    )
    assert isinstance(result, LoadResult)
    assert (result.host, result.port, result.database, result.user) == (
        pg_server.host,
        pg_server.port,
        pg_database,
        role,
    )
    assert result.total_rows == sum(manifest_rows(dataset).values()) and result.rows_per_sec > 0
    assert events[-1][0] == events[-1][1] == result.total_rows
    assert [done for done, _, _ in events] == sorted(done for done, _, _ in events)
    for name in TABLES:
        assert any(message.startswith(f"{name}: ") and "copied" in message for _, _, message in events), name
    with pytest.raises(PostgresConnectError) as failed:
        load_to_postgres(dataset, pg_server.dsn(pg_database, user=role, password=PASSWORD_MARK + "x"))
    assert "password authentication failed" in str(failed.value)
    shown = repr(result) + str(events) + str(failed.value) + caplog.text
    assert PASSWORD_MARK not in shown
    assert "loading" in caplog.text  # the log did record the load


def test_pg_environment_variables_are_used_without_a_dsn(
    dataset: Path, pg_server: Any, pg_database: str, monkeypatch: pytest.MonkeyPatch, db: psycopg.Connection[Any]
) -> None:
    for key, value in pg_server.environment(pg_database).items():
        monkeypatch.setenv(key, value)
    result = load_to_postgres(dataset, schema="from_env")
    assert result.database == pg_database and count(db, "from_env", "orders") == result.rows["orders"]
    monkeypatch.setenv("PGPASSWORD", PASSWORD_MARK)
    with pytest.raises(PostgresConnectError) as failed:
        load_to_postgres(dataset, schema="from_env2")
    assert "PGPASSWORD" in str(failed.value) and PASSWORD_MARK not in str(failed.value)


# -- overwrite, leftovers, locking ----------------------------------------------------------------


def test_an_existing_schema_is_refused_without_overwrite_and_replaced_with_it(
    dataset: Path, dsn: str, db: psycopg.Connection[Any]
) -> None:
    first = load_to_postgres(dataset, dsn)
    assert first.replaced_previous is False
    mark_previous(db)
    with pytest.raises(SchemaExistsError, match="overwrite"):
        load_to_postgres(dataset, dsn)
    assert_previous_untouched(db, dataset)
    second = load_to_postgres(dataset, dsn, overwrite=True)
    assert second.replaced_previous is True
    assert schemas(db) == {"retail"}
    assert db.execute("SELECT count(*) FROM retail.stores WHERE name = 'PREVIOUS'").fetchone()[0] == 0
    assert count(db, "retail", "order_items") == second.rows["order_items"]


def test_a_schema_holding_other_objects_is_never_replaced(dataset: Path, dsn: str, db: psycopg.Connection[Any]) -> None:
    db.execute("CREATE SCHEMA mine")
    db.execute("CREATE TABLE mine.notes (note text)")
    db.execute("INSERT INTO mine.notes VALUES ('keep me')")
    with pytest.raises(SchemaExistsError, match="notes"):
        load_to_postgres(dataset, dsn, schema="mine", overwrite=True)
    assert db.execute("SELECT note FROM mine.notes").fetchall() == [("keep me",)]
    assert schemas(db) == {"mine"}
    db.execute("CREATE SCHEMA viewed")
    db.execute("CREATE VIEW viewed.v AS SELECT 1 AS one")
    with pytest.raises(SchemaExistsError, match="v"):
        load_to_postgres(dataset, dsn, schema="viewed", overwrite=True)


def test_an_empty_existing_schema_is_filled_without_overwrite(
    dataset: Path, dsn: str, db: psycopg.Connection[Any]
) -> None:
    db.execute("CREATE SCHEMA retail")
    result = load_to_postgres(dataset, dsn)
    assert result.replaced_previous is True
    assert count(db, "retail", "orders") == result.rows["orders"]


def test_leftovers_of_a_killed_load_are_dropped_by_the_next_one(
    dataset: Path, dsn: str, db: psycopg.Connection[Any]
) -> None:
    db.execute("CREATE SCHEMA retail__staging_deadbeef")
    db.execute("CREATE TABLE retail__staging_deadbeef.orders (x int)")
    db.execute("COMMENT ON SCHEMA retail__staging_deadbeef IS 'retail-datagen:staging:retail'")
    db.execute("CREATE SCHEMA retail__retired_deadbeef")
    db.execute("COMMENT ON SCHEMA retail__retired_deadbeef IS 'retail-datagen:retired:retail'")
    db.execute("CREATE SCHEMA retail__staging_someone_elses")  # no marker: not ours, left alone
    db.execute("CREATE SCHEMA other__staging_cafebabe")
    db.execute("COMMENT ON SCHEMA other__staging_cafebabe IS 'retail-datagen:staging:other'")  # another target
    load_to_postgres(dataset, dsn)
    assert schemas(db) == {"retail", "retail__staging_someone_elses", "other__staging_cafebabe"}


def test_a_reader_of_the_old_schema_does_not_block_the_swap(
    dataset: Path,
    dsn: str,
    pg_server: Any,
    pg_database: str,
    db: psycopg.Connection[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load_to_postgres(dataset, dsn)
    monkeypatch.setattr(pg_load, "RETIRED_DROP_LOCK_TIMEOUT", "200ms")
    with pg_server.connect(pg_database, autocommit=False) as reader:
        reader.execute("SELECT count(*) FROM retail.orders").fetchone()  # holds a lock on the old table
        result = load_to_postgres(dataset, dsn, overwrite=True)
        assert result.replaced_previous
        retired = schemas(db) - {"retail"}
        assert len(retired) == 1 and "__retired_" in retired.pop()  # could not be dropped under the reader
        reader.rollback()
    load_to_postgres(dataset, dsn, overwrite=True)
    assert schemas(db) == {"retail"}  # the next load dropped it


def test_two_loads_into_one_schema_never_interleave(
    dataset: Path, feed_dataset: Path, dsn: str, db: psycopg.Connection[Any]
) -> None:
    entered, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def hold(done: int, total: int, message: str) -> None:
        entered.set()
        release.wait(60)

    def first() -> None:
        try:
            outcome["result"] = load_to_postgres(dataset, dsn, progress=hold)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert entered.wait(60)
        staging_before = schemas(db)
        with pytest.raises(SchemaBusyError, match=r"another session \(session pid \d+"):
            load_to_postgres(dataset, dsn, overwrite=True)
        with pytest.raises(SchemaBusyError):
            upsert_changes(_feed(feed_dataset, {"customers": [(1, "insert", _customer(999_001))]}), dsn)
        assert schemas(db) == staging_before and len(staging_before) == 1  # only the first load's staging
        other = load_to_postgres(dataset, dsn, schema="another")  # another schema is not blocked
        assert other.schema == "another"
    finally:
        release.set()
        thread.join(120)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].rows == manifest_rows(dataset)
    assert schemas(db) == {"retail", "another"}


def test_the_lock_key_is_stable_across_processes_and_differs_per_schema() -> None:
    code = "from generator.postgres.connection import advisory_lock_key; print(advisory_lock_key('retail'))"
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2", "random")
    }
    assert keys == {str(advisory_lock_key("retail"))}
    assert advisory_lock_key("retail") != advisory_lock_key("retail2")
    assert -(2**63) <= advisory_lock_key("retail") < 2**63


# -- failures part-way leave the previous schema ---------------------------------------------------


@pytest.mark.parametrize("victims", ["copy", "all"])
def test_a_connection_killed_during_copy_leaves_the_previous_schema(
    victims: str, dataset: Path, dsn: str, pg_server: Any, pg_database: str, db: psycopg.Connection[Any]
) -> None:
    load_to_postgres(dataset, dsn)
    mark_previous(db)
    killed: list[bool] = []
    pattern = "retail-datagen load%" if victims == "copy" else "retail-datagen%"

    def kill(done: int, total: int, message: str) -> None:
        if message.startswith("order_items") and "copied" in message and not killed:
            with pg_server.connect(pg_database) as admin:
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name LIKE %s AND (query LIKE 'COPY%%order_items%%' OR %s)",
                    (pattern, victims == "all"),
                ).fetchall()
            killed.extend(row[0] for row in rows)

    with pytest.raises(LoadFailedError, match="connection was lost") as failed:
        load_to_postgres(dataset, dsn, overwrite=True, batch_rows=50, progress=kill)
    assert killed == [True] if victims == "copy" else sum(killed) >= 2  # the control connection died too
    assert "Nothing was changed" in str(failed.value)
    assert_previous_untouched(db, dataset)
    load_to_postgres(dataset, dsn, overwrite=True)  # the lock is free again and the next load works
    assert schemas(db) == {"retail"}


def _with_extra_rows(source: Path, target: Path, table: str, rows: pa.Table) -> Path:
    shutil.copytree(source, target)
    pq.write_table(rows, target / table / "part-99999.parquet")
    return target


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("orders", r"table orders: the data breaks its primary key \(order_id\).*is duplicated"),
        ("order_items", r"table order_items: the data breaks a foreign key.*product_id.*999999"),
        ("stores", r"table stores: a value does not fit its column.*null"),
    ],
)
def test_a_broken_key_in_one_table_leaves_the_previous_schema(
    table: str, expected: str, dataset: Path, dsn: str, db: psycopg.Connection[Any], tmp_path: Path
) -> None:
    load_to_postgres(dataset, dsn)
    mark_previous(db)
    rows = source_table(dataset, TABLES[table]).slice(0, 1)
    if table == "order_items":
        rows = rows.set_column(1, "line_number", pa.array([99], pa.int16()))
        rows = rows.set_column(2, "product_id", pa.array([999_999], pa.int32()))
    if table == "stores":  # a null in a NOT NULL column
        rows = pa.Table.from_pylist(
            [{**rows.to_pylist()[0], "store_id": 999, "name": None}],
            schema=pa.schema([f.with_nullable(True) for f in TABLES["stores"].schema]),
        )
    broken = _with_extra_rows(dataset, tmp_path / "broken", table, rows)
    with pytest.raises(LoadFailedError, match=expected) as failed:
        load_to_postgres(broken, dsn, overwrite=True)
    assert "Nothing was changed" in str(failed.value)
    assert_previous_untouched(db, dataset)


def test_a_full_disk_leaves_the_previous_schema(
    dataset: Path, dsn: str, pg_server: Any, pg_database: str, db: psycopg.Connection[Any]
) -> None:
    load_to_postgres(dataset, dsn)
    mark_previous(db)
    with pg_server.small_tablespace(f"tiny_{pg_database}", size_kib=160) as tablespace:
        db.execute(
            sql.SQL("ALTER DATABASE {} SET default_tablespace = {}").format(
                sql.Identifier(pg_database), sql.Identifier(tablespace)
            )
        )
        try:
            with pytest.raises(LoadFailedError, match="ran out of disk space") as failed:
                load_to_postgres(dataset, dsn, overwrite=True)
            assert "No space left on device" in str(failed.value)
            assert_previous_untouched(db, dataset)
            in_tablespace = db.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE t.spcname = %s",
                (tablespace,),
            ).fetchone()[0]
            assert in_tablespace == 0  # the staging tables were dropped, their space is free again
        finally:
            db.execute(sql.SQL("ALTER DATABASE {} RESET default_tablespace").format(sql.Identifier(pg_database)))


def test_cancel_between_batches_leaves_the_previous_schema(
    dataset: Path, dsn: str, db: psycopg.Connection[Any]
) -> None:
    load_to_postgres(dataset, dsn)
    mark_previous(db)
    cancel = threading.Event()
    with pytest.raises(LoadCancelled, match="cancelled"):
        load_to_postgres(dataset, dsn, overwrite=True, batch_rows=50, cancel=cancel, progress=lambda *_: cancel.set())
    assert_previous_untouched(db, dataset)


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema", ['re"tail', "re.tail", "re tail", "1retail", "", "r" * 64, "pg_retail", "rétail", None, 7]
)
def test_bad_schema_names_are_refused_before_connecting(schema: object, dataset: Path) -> None:
    with pytest.raises(RuleErrors, match=r"schema=.*\[A-Za-z_\]\[A-Za-z0-9_\]\*") as refused:
        load_to_postgres(dataset, "host=127.0.0.1 port=1", schema=schema)  # type: ignore[arg-type]
    assert [error.field for error in refused.value.errors] == ["schema"]


def test_schema_names_are_lower_cased_and_63_bytes_fit(dataset: Path, dsn: str, db: psycopg.Connection[Any]) -> None:
    long_name = "R" * 63
    assert load_to_postgres(dataset, dsn, schema="Retail_Mixed").schema == "retail_mixed"
    assert load_to_postgres(dataset, dsn, schema=long_name).schema == long_name.lower()
    assert schemas(db) == {"retail_mixed", long_name.lower()}


@pytest.mark.parametrize(
    "bad_dsn",
    [
        f"host=127.0.0.1 password={PASSWORD_MARK} port",
        f"host='127.0.0.1 password={PASSWORD_MARK}",
        f"postgresql://me:{PASSWORD_MARK}@127.0.0.1/db?no_such_option=1",
        f"hostname=127.0.0.1 password={PASSWORD_MARK}",
    ],
)
def test_a_malformed_connection_string_is_refused_with_the_password_masked(bad_dsn: str, dataset: Path) -> None:
    with pytest.raises(PostgresInputError) as refused:
        load_to_postgres(dataset, bad_dsn)
    message = str(refused.value)
    assert isinstance(refused.value, RuleError) and refused.value.field == "dsn"
    assert message.startswith("dsn=") and "key=value" in message and "PGHOST" in message
    assert PASSWORD_MARK not in message


def test_an_unreachable_or_silent_server_fails_fast_with_what_to_do(dataset: Path, pg_server: Any) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(PostgresConnectError, match=r"Connection refused.*check host and port") as refused:
        load_to_postgres(dataset, f"host=127.0.0.1 port={port} user=x password={PASSWORD_MARK}")
    assert f"127.0.0.1:{port}" in str(refused.value) and PASSWORD_MARK not in str(refused.value)
    with socket.socket() as silent:  # accepts TCP (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(PostgresConnectError, match=r"timeout expired.*connect_timeout=1 s") as timed_out:
            load_to_postgres(dataset, f"host=127.0.0.1 port={port} password={PASSWORD_MARK}", connect_timeout=1)
    assert PASSWORD_MARK not in str(timed_out.value)


def test_a_wrong_password_or_a_missing_database_is_reported_and_nothing_is_written(
    dataset: Path, pg_server: Any, pg_database: str, db: psycopg.Connection[Any]
) -> None:
    with pytest.raises(PostgresConnectError, match="password authentication failed.*check the password") as wrong:
        load_to_postgres(dataset, pg_server.dsn(pg_database, user="postgres", password=PASSWORD_MARK))
    assert PASSWORD_MARK not in str(wrong.value)
    with pytest.raises(PostgresConnectError, match=r'database "no_such_db" does not exist.*CREATE DATABASE') as absent:
        load_to_postgres(dataset, pg_server.dsn("no_such_db"))
    assert pg_server.password not in str(absent.value)
    assert schemas(db) == set()


def test_a_user_without_create_on_the_database_is_told_so(
    dataset: Path, pg_server: Any, pg_database: str, db: psycopg.Connection[Any]
) -> None:
    role = pg_server.create_role(f"reader_{pg_database}", PASSWORD_MARK)
    with pytest.raises(LoadFailedError, match="permission denied.*needs CREATE on the database"):
        load_to_postgres(dataset, pg_server.dsn(pg_database, user=role, password=PASSWORD_MARK))
    assert schemas(db) == set()


def test_a_folder_that_is_not_a_dataset_is_refused(dataset: Path, tmp_path: Path, dsn: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    partial = tmp_path / "partial"
    shutil.copytree(dataset, partial)
    shutil.rmtree(partial / "promotions")
    for folder, reason in [
        (tmp_path / "missing", "does not exist"),
        (tmp_path / "empty", "no table folder"),
        (tmp_path / "file.txt", "a file"),
        (partial, "promotions are missing"),
    ]:
        with pytest.raises(DatasetNotFoundError, match=reason):
            load_to_postgres(folder, dsn)


@pytest.mark.parametrize(
    ("option", "value"),
    [("workers", 0), ("workers", 99), ("batch_rows", 0), ("connect_timeout", 0), ("overwrite", "yes")],
)
def test_bad_numbers_are_refused_naming_the_field(option: str, value: object, dataset: Path) -> None:
    with pytest.raises(RuleErrors, match=rf"^{option}=") as refused:
        load_to_postgres(dataset, "host=127.0.0.1 port=1", **{option: value})  # type: ignore[arg-type]
    assert [error.field for error in refused.value.errors] == [option]


def test_several_bad_parameters_are_reported_together_and_a_password_is_never_shown(dataset: Path) -> None:
    with pytest.raises(RuleErrors) as refused:
        load_to_postgres(dataset, "host=127.0.0.1 port=1", schema="a.b", workers=0, batch_rows=-1)
    assert [error.field for error in refused.value.errors] == ["schema", "workers", "batch_rows"]
    with pytest.raises(PostgresInputError) as hidden:
        load_to_postgres(dataset, "host=127.0.0.1 port=1", password=12345678)  # type: ignore[arg-type]
    assert hidden.value.field == "password" and "12345678" not in str(hidden.value)


def test_the_command_line_loads_refuses_and_masks(dataset: Path, pg_server: Any, pg_database: str) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "generator.cli", "load-postgres", str(dataset), *args],
            capture_output=True,
            text=True,
            timeout=300,
        )

    dsn = pg_server.dsn(pg_database)
    loaded = cli("--dsn", dsn, "--schema", "from_cli")
    assert loaded.returncode == 0, loaded.stderr
    assert "rows into schema from_cli" in loaded.stdout and "order_items" in loaded.stdout
    again = cli("--dsn", dsn, "--schema", "from_cli")
    assert again.returncode == 1 and "overwrite" in again.stderr
    assert cli("--dsn", dsn, "--schema", "from_cli", "--overwrite").returncode == 0
    bad = cli("--dsn", f"host=x password={PASSWORD_MARK} port", "--schema", "from_cli")
    assert bad.returncode == 2 and "dsn=" in bad.stderr
    assert PASSWORD_MARK not in bad.stderr + bad.stdout and pg_server.password not in loaded.stdout + loaded.stderr


# -- change feeds -----------------------------------------------------------------------------------


def changes(inserted: int, updated: int, deleted: int, ignored: int) -> TableChanges:
    return TableChanges(inserted=inserted, updated=updated, deleted=deleted, preimages_ignored=ignored)


def _customer(customer_id: int, **changes: Any) -> dict[str, Any]:
    from datetime import datetime

    return {
        "customer_id": customer_id,
        "first_name": "New",
        "last_name": "Customer",
        "email": f"new{customer_id}@example.com",
        "segment": "loyal",
        "signup_ts": datetime(2020, 1, 1, 9, 0),
        "home_region": "West",
        "home_city": "Denver",
        **changes,
    }


def _feed(dataset: Path, changes: dict[str, list[tuple[int, str, dict[str, Any]]]]) -> Path:
    """Write ``_changes/<table>/v<version>/part-00000.parquet`` by hand: (version, change type, row)."""
    for table, entries in changes.items():
        spec = TABLES[table]
        schema = pa.schema(
            [f.with_nullable(True) for f in spec.schema]
            + [pa.field("_change_type", pa.string()), pa.field("_commit_version", pa.int64())]
        )
        for version in sorted({v for v, _, _ in entries}):
            rows = [{**row, "_change_type": kind, "_commit_version": v} for v, kind, row in entries if v == version]
            folder = dataset / "_changes" / table / f"v{version}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "part-00000.parquet")
    return dataset


@pytest.fixture
def feed_dataset(dataset: Path, tmp_path: Path) -> Path:
    """A copy of the dataset whose change feed the test writes."""
    return Path(shutil.copytree(dataset, tmp_path / "with-feed"))


def _row(db: psycopg.Connection[Any], query: str, *params: Any) -> dict[str, Any]:
    with db.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(query, params).fetchone()  # type: ignore[return-value]


def test_upsert_changes_applies_inserts_updates_and_deletes_in_key_order(
    feed_dataset: Path, dsn: str, db: psycopg.Connection[Any]
) -> None:
    load_to_postgres(feed_dataset, dsn)
    kept = _row(db, "SELECT * FROM retail.orders ORDER BY order_id LIMIT 1")
    gone = _row(db, "SELECT * FROM retail.orders ORDER BY order_id DESC LIMIT 1")
    gone_items = db.execute("SELECT * FROM retail.order_items WHERE order_id = %s", (gone["order_id"],)).fetchall()
    item = _row(db, "SELECT * FROM retail.order_items WHERE order_id = %s LIMIT 1", kept["order_id"])
    new_customer = 900_001
    new_order = {**kept, "order_id": 990_000_001, "customer_id": new_customer, "payment_type": "cash"}
    new_item = {**item, "order_id": new_order["order_id"], "line_number": 1}
    spec_items = TABLES["order_items"].schema.names
    _feed(
        feed_dataset,
        {
            "customers": [(1, "insert", _customer(new_customer))],
            "orders": [
                (1, "insert", new_order),
                (1, "update_preimage", {**kept, "payment_type": "PREIMAGE"}),
                (1, "update_postimage", {**kept, "payment_type": "gift_card"}),
                (2, "update_postimage", {**new_order, "discount_pct": Decimal("7.50")}),
                (2, "delete", gone),
            ],
            "order_items": [(1, "insert", new_item)]
            + [(2, "delete", dict(zip(spec_items, values, strict=True))) for values in gone_items],
        },
    )
    steps: list[tuple[int, int, str]] = []
    result = upsert_changes(feed_dataset, dsn, progress=lambda *event: steps.append(event))
    assert result.versions == [1, 2]
    assert result.tables["customers"] == changes(1, 0, 0, 0)
    assert result.tables["orders"] == changes(1, 1, 1, 1)
    assert result.tables["order_items"] == changes(1, 0, len(gone_items), 0)
    assert steps[-1][0] == steps[-1][1] == 9
    assert _row(db, "SELECT payment_type FROM retail.orders WHERE order_id = %s", kept["order_id"]) == {
        "payment_type": "gift_card"
    }
    assert _row(
        db, "SELECT discount_pct, customer_id FROM retail.orders WHERE order_id = %s", new_order["order_id"]
    ) == {
        "discount_pct": Decimal("7.50"),
        "customer_id": new_customer,
    }
    assert count(db, "retail", "orders") == manifest_rows(feed_dataset)["orders"]  # one in, one out
    assert (
        db.execute("SELECT count(*) FROM retail.order_items WHERE order_id = %s", (gone["order_id"],)).fetchone()[0]
        == 0
    )
    again = upsert_changes(feed_dataset, dsn)  # the same feed again changes nothing more
    assert again.tables["orders"] == changes(0, 2, 0, 1)
    assert again.tables["order_items"] == changes(0, 1, 0, 0)


def test_upsert_changes_applies_only_the_versions_asked_for(
    feed_dataset: Path, dsn: str, db: psycopg.Connection[Any]
) -> None:
    load_to_postgres(feed_dataset, dsn)
    _feed(
        feed_dataset,
        {
            "customers": [
                (1, "insert", _customer(900_002, segment="casual")),
                (2, "update_postimage", _customer(900_002, segment="premium")),
            ]
        },
    )
    assert upsert_changes(feed_dataset, dsn, versions=[1]).versions == [1]
    assert _row(db, "SELECT segment FROM retail.customers WHERE customer_id = 900002") == {"segment": "casual"}
    upsert_changes(feed_dataset, dsn, versions=[2])
    assert _row(db, "SELECT segment FROM retail.customers WHERE customer_id = 900002") == {"segment": "premium"}


def test_a_change_that_breaks_a_key_applies_nothing(feed_dataset: Path, dsn: str, db: psycopg.Connection[Any]) -> None:
    load_to_postgres(feed_dataset, dsn)
    item = _row(db, "SELECT * FROM retail.order_items LIMIT 1")
    _feed(
        feed_dataset,
        {
            "customers": [(1, "insert", _customer(900_003))],
            "order_items": [(1, "insert", {**item, "order_id": 123, "line_number": 1})],  # no such order
        },
    )
    with pytest.raises(LoadFailedError, match=r"foreign key.*order_id.*123.*rolled back"):
        upsert_changes(feed_dataset, dsn)
    assert db.execute("SELECT count(*) FROM retail.customers WHERE customer_id = 900003").fetchone()[0] == 0
    assert count(db, "retail", "order_items") == manifest_rows(feed_dataset)["order_items"]


def test_a_bad_feed_is_refused_before_connecting(feed_dataset: Path, dsn: str) -> None:
    unreachable = "host=127.0.0.1 port=1"
    with pytest.raises(DatasetNotFoundError, match="has no change feed"):
        upsert_changes(feed_dataset, unreachable)
    _feed(feed_dataset, {"customers": [(1, "upsert", _customer(900_004))]})
    with pytest.raises(
        PostgresInputError, match=r"customers/v1/part-00000.parquet column _change_type='upsert'"
    ) as bad:
        upsert_changes(feed_dataset, unreachable)
    assert "insert, update_preimage, update_postimage, delete" in str(bad.value)
    _feed(feed_dataset, {"customers": [(3, "insert", _customer(900_004))]})
    (feed_dataset / "_changes" / "customers" / "v3").rename(feed_dataset / "_changes" / "customers" / "v4")
    shutil.rmtree(feed_dataset / "_changes" / "customers" / "v1")
    with pytest.raises(PostgresInputError, match=r"_commit_version=\[3\].*4 \(its folder's version\)"):
        upsert_changes(feed_dataset, unreachable)
    shutil.rmtree(feed_dataset / "_changes" / "customers")
    folder = feed_dataset / "_changes" / "orders" / "v1"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table({"order_id": [1], "_change_type": ["delete"], "_commit_version": [1]}), folder / "part-0.parquet"
    )
    with pytest.raises(PostgresInputError, match=r"columns.*missing \['store_id'"):
        upsert_changes(feed_dataset, unreachable)


def test_upsert_into_a_schema_that_was_never_loaded_is_refused(
    feed_dataset: Path, dsn: str, db: psycopg.Connection[Any]
) -> None:
    _feed(feed_dataset, {"customers": [(1, "insert", _customer(900_005))]})
    with pytest.raises(PostgresInputError, match="no table customers"):
        upsert_changes(feed_dataset, dsn, schema="never_loaded")
    assert schemas(db) == set()


def test_an_increment_upserted_equals_the_grown_dataset(dsn: str, db: psycopg.Connection[Any], tmp_path: Path) -> None:
    """The feed of a real incremental run (not a hand-written one) brings the loaded schema to the grown files."""
    folder = tmp_path / "growing"
    run(SPEC, folder, workers=1)
    load_to_postgres(folder, dsn)
    run(replace(SPEC, days=2), folder, workers=1, mode="incremental", given={"days"})
    result = upsert_changes(folder, dsn)
    assert result.versions == [1]
    assert result.tables["orders"].inserted > 0
    for spec in TABLES.values():
        assert read_table(db, "retail", spec).equals(source_table(folder, spec)), spec.name
    run(replace(SPEC, days=1), folder, workers=1, mode="incremental", given={"days"})
    applied = subprocess.run(
        [sys.executable, "-m", "generator.cli", "load-postgres", str(folder), "--dsn", dsn, "--changes"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert applied.returncode == 0, applied.stderr
    assert "change feed versions 1, 2 applied to schema retail" in applied.stdout  # re-applying 1 changes nothing
    for spec in TABLES.values():
        assert read_table(db, "retail", spec).equals(source_table(folder, spec)), spec.name
