"""connect_dataset: one typed view per table in every format, format detection, and the lockdown."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from generator.manifest import MANIFEST_NAME
from generator.readers import (
    DatasetNotFoundError,
    connect_dataset,
    dataset_format,
    duckdb_column_types,
    table_paths,
)
from generator.schema import TABLES

FORMATS = ("parquet", "csv", "delta")
Rows = dict[str, list[dict[str, Any]]]


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in TABLES}  # type: ignore[index]


@pytest.mark.parametrize("fmt", FORMATS)
def test_views_have_schema_types_and_rows(fmt: str, rows: Rows, make_dataset: Callable[..., Path]) -> None:
    folder = make_dataset(rows, fmt)
    con = connect_dataset(folder)
    assert _counts(con) == {name: len(table_rows) for name, table_rows in rows.items()}
    for name, spec in TABLES.items():
        described = {r[0]: r[1] for r in con.execute(f"DESCRIBE {name}").fetchall()}
        assert described == duckdb_column_types(spec), name
    total, promo = con.execute("SELECT order_total, discount_pct FROM orders WHERE order_id = 10030001").fetchone()  # type: ignore[misc]
    assert (total, promo) == (Decimal("28.41"), Decimal("5.00"))
    assert con.execute("SELECT count(*) FROM order_items WHERE promo_id IS NULL").fetchone() == (7,)
    ts = con.execute("SELECT signup_ts FROM customers WHERE customer_id = 3").fetchone()
    assert ts == (dt.datetime(2025, 12, 29, 10, 0),)
    assert dataset_format(folder) == fmt
    assert list(table_paths(folder)) == list(TABLES)


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_detected_without_manifest(fmt: str, rows: Rows, make_dataset: Callable[..., Path]) -> None:
    folder = make_dataset(rows, fmt, manifest=False)
    assert not (folder / MANIFEST_NAME).exists()
    assert dataset_format(folder) == fmt
    assert _counts(connect_dataset(folder))["inventory_snapshots"] == 16


def test_only_present_tables_get_views(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    folder = make_dataset(rows, "parquet")
    shutil.rmtree(folder / "promotions")
    con = connect_dataset(folder)
    assert "promotions" not in table_paths(folder)
    with pytest.raises(duckdb.CatalogException):
        con.execute("SELECT * FROM promotions")
    assert con.execute("SELECT count(*) FROM stores").fetchone() == (2,)


def test_csv_types_come_from_schema(tmp_path: Path) -> None:
    """Header-only files are typed, 'T' and space timestamps both parse, decimals stay exact."""
    folder = tmp_path / "ds"
    (folder / "orders").mkdir(parents=True)
    (folder / "orders" / "part-00000.csv").write_text(
        "order_id,store_id,customer_id,order_ts,payment_type,discount_pct,order_total\n"
        "10000001,1,2,2025-12-31T08:15:00,cash,5,12.3\n"
        "10000002,1,3,2025-12-31 09:00:00,card,0.00,0.10\n",
        encoding="utf-8",
    )
    (folder / "orders" / "part-00001.csv").write_text("", encoding="utf-8")  # empty file: skipped
    pa_csv.write_csv(TABLES["order_items"].schema.empty_table(), folder / "order_items.csv")  # not a table
    (folder / "order_items").mkdir()
    pa_csv.write_csv(TABLES["order_items"].schema.empty_table(), folder / "order_items" / "part-00000.csv")
    con = connect_dataset(folder)
    assert dataset_format(folder) == "csv"
    assert con.execute("SELECT order_ts, discount_pct, order_total FROM orders ORDER BY order_id").fetchall() == [
        (dt.datetime(2025, 12, 31, 8, 15), Decimal("5.00"), Decimal("12.30")),
        (dt.datetime(2025, 12, 31, 9, 0), Decimal("0.00"), Decimal("0.10")),
    ]
    described = {r[0]: r[1] for r in con.execute("DESCRIBE order_items").fetchall()}
    assert described == duckdb_column_types(TABLES["order_items"])
    assert con.execute("SELECT count(*) FROM order_items").fetchone() == (0,)
    # exact decimal arithmetic works on the typed columns
    assert con.execute("SELECT sum(order_total) * 3 FROM orders").fetchone() == (Decimal("37.20"),)


def test_csv_null_and_empty_strings_round_trip(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(
        [
            {"store_id": 1, "name": "", "region": None, "city": "NULL", "state": "TX"},
        ],
        schema=pa.schema(
            [
                TABLES["stores"].schema.field(n).with_nullable(True)
                for n in ("store_id", "name", "region", "city", "state")
            ]
        ),
    )
    (tmp_path / "stores").mkdir()
    pa_csv.write_csv(table, tmp_path / "stores" / "part-00000.csv")
    con = connect_dataset(tmp_path)
    assert con.execute("SELECT name, region, city FROM stores").fetchone() == ("", None, "NULL")


@pytest.mark.parametrize(
    "make_path",
    [
        lambda tmp: tmp / "missing",
        lambda tmp: _touch(tmp / "a_file.parquet"),
        lambda tmp: tmp,  # empty folder
        lambda tmp: _touch(tmp / "notes" / "readme.txt").parent.parent,  # unrelated content
        lambda tmp: _touch(tmp / "stores" / "readme.txt").parent.parent,  # table folder, no data
    ],
    ids=["missing", "file", "empty", "unrelated", "no-data"],
)
def test_non_dataset_folder_is_refused(make_path: Callable[[Path], Path], tmp_path: Path) -> None:
    path = make_path(tmp_path)
    with pytest.raises(DatasetNotFoundError) as info:
        connect_dataset(path)
    message = str(info.value)
    assert str(path) in message
    assert MANIFEST_NAME in message and "part-NNNNN.parquet" in message
    assert isinstance(info.value, ValueError)


def test_bad_manifest_is_refused(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    folder = make_dataset(rows, "parquet")
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["format"] = "xlsx"
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(DatasetNotFoundError, match="unknown format 'xlsx'"):
        connect_dataset(folder)
    (folder / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(DatasetNotFoundError, match="cannot be read"):
        dataset_format(folder)


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x", encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_connection_is_locked_down(fmt: str, rows: Rows, make_dataset: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_dataset(rows, fmt)
    con = connect_dataset(folder)
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    target = tmp_path / "x.csv"
    data_file = next(p for p in sorted(folder.rglob("*.*")) if p.suffix in (".parquet", ".csv"))
    secret = [1, 2, 3]  # a replacement scan must not reach Python variables  # noqa: F841
    statements = [
        f"COPY orders TO '{target}'",
        f"COPY orders TO '{data_file}' (FORMAT parquet)",
        f"COPY (SELECT 1 AS a) TO '{folder / 'orders' / 'evil.parquet'}' (FORMAT parquet)",
        f"ATTACH '{tmp_path / 'other.db'}' AS other",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        f"SELECT * FROM read_parquet('{data_file}')",
        "SELECT * FROM glob('/etc/*')",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SELECT * FROM secret",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "RESET lock_configuration",
        "SET python_enable_replacements = true",
        "SET memory_limit = '64GB'",
        f"SET temp_directory = '{tmp_path}'",
    ]
    for statement in statements:
        with pytest.raises(duckdb.Error):
            con.execute(statement).fetchall()
    assert not target.exists() and not (tmp_path / "other.db").exists()
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before
    # the views still work after all of that
    assert con.execute(
        "SELECT count(*) FROM order_items i JOIN orders o USING (order_id) JOIN stores s USING (store_id)"
    ).fetchone() == (9,)
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('enable_external_access', 'lock_configuration', 'temp_directory', 'memory_limit', 'threads')"
        ).fetchall()
    )
    assert settings["enable_external_access"] == "false"
    assert settings["lock_configuration"] == "true"
    assert settings["threads"] == "2"
    assert not Path(settings["temp_directory"]).resolve().is_relative_to(folder.resolve())


def test_large_query_spills_outside_dataset(rows: Rows, make_dataset: Callable[..., Path], tmp_path: Path) -> None:
    folder = make_dataset(rows, "parquet")
    spill = tmp_path / "spill"
    con = connect_dataset(folder, memory_limit="64MB", threads=1, temp_directory=spill)
    # a sort far larger than the memory limit has to go through the temp folder
    result = con.execute(
        "SELECT count(*) FROM (SELECT i, row_number() OVER (ORDER BY hash(i)) AS r "
        "FROM range(6000000) t(i)) WHERE r = i"
    ).fetchone()
    assert result is not None
    assert spill.is_dir()  # it did spill, into the folder given
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    con.close()
    assert not spill.exists()  # duckdb removes the folder it created
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before
