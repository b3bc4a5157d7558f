"""A tiny hand-made dataset that satisfies every invariant, writable as parquet, csv or delta.

Window 2025-12-28..2025-12-31; store 2 opens on 2025-12-30; prices are in force from 2025-06-01;
promotion 1 (product 2, 15% off, 2025-12-29..30) turns 4.90 into 4.17 (4.165 rounded half-up);
order 10030001 totals 28.41 (29.90 less 5% = 28.405, half-up); store 1 reorders 10 units of
product 1 on 12-28 that arrive at the end of 12-29; store 2 reorders 6 units of product 2 on 12-30.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from generator.manifest import FileEntry, Manifest, TableManifest
from generator.readers import arrow_dataset, dataset_format, table_paths
from generator.schema import ALL_TABLES, TABLES

Rows = dict[str, list[dict[str, Any]]]

START = date(2025, 12, 28)
END = date(2025, 12, 31)
FORMATS = ("parquet", "csv", "delta")


def _d(day: int) -> date:
    return date(2025, 12, day)


def _m(value: str) -> Decimal:
    return Decimal(value)


#: The base price of each product of the tiny dataset, in force all through the window.
LIST_PRICES = {1: "10.00", 2: "4.90", 3: "25.00"}


def order_line(order_id: int, line: int, product: int, qty: int, price: str, promo: int | None = None) -> dict:
    """An order_items row: `price` is the unit price, the list price that of the product (LIST_PRICES)."""
    return {
        "order_id": order_id,
        "line_number": line,
        "product_id": product,
        "promo_id": promo,
        "qty": qty,
        "list_price": _m(LIST_PRICES.get(product, price)),
        "unit_price": _m(price),
        "extended_price": qty * _m(price),
    }


def _series(store: int, product: int, first_day: int, rule: tuple[int, int, int], days: list[tuple]) -> list:
    """Snapshot rows of one (store, product): days are (on_hand, on_order, received_qty)."""
    safety, point, qty = rule
    return [
        {
            "snapshot_date": _d(first_day + i),
            "store_id": store,
            "product_id": product,
            "on_hand": on_hand,
            "on_order": on_order,
            "safety_stock": safety,
            "reorder_point": point,
            "reorder_qty": qty,
            "received_qty": received,
        }
        for i, (on_hand, on_order, received) in enumerate(days)
    ]


def build_rows() -> Rows:
    """Rows of every table of the consistent tiny dataset (fresh copies on each call)."""
    stores = [
        {
            "store_id": 1,
            "name": "Austin Downtown",
            "region": "Southwest",
            "city": "Austin",
            "state": "TX",
            "latitude": 30.27,
            "longitude": -97.74,
            "opened_date": date(2020, 1, 1),
            "closed_date": None,
        },
        {
            "store_id": 2,
            "name": "Denver Central",
            "region": "West",
            "city": "Denver",
            "state": "CO",
            "latitude": 39.74,
            "longitude": -104.99,
            "opened_date": _d(30),
            "closed_date": None,
        },
    ]
    products = [
        {
            "product_id": 1,
            "sku": "SKU-0001",
            "name": "Coffee Beans",
            "category": "Grocery",
            "brand": "Acme",
            "base_price": _m("10.00"),
            "unit_cost": _m("6.00"),
            "launched_date": date(2024, 1, 1),
            "discontinued_date": None,
            "price_valid_from": date(2025, 6, 1),
        },
        {
            "product_id": 2,
            "sku": "SKU-0002",
            "name": "Tea Bags",
            "category": "Grocery",
            "brand": "Acme",
            "base_price": _m("4.90"),
            "unit_cost": _m("2.50"),
            "launched_date": date(2024, 1, 1),
            "discontinued_date": None,
            "price_valid_from": date(2025, 6, 1),
        },
        {
            "product_id": 3,
            "sku": "SKU-0003",
            "name": "Kettle",
            "category": "Home",
            "brand": "Boil",
            "base_price": _m("25.00"),
            "unit_cost": _m("15.00"),
            "launched_date": date(2024, 1, 1),
            "discontinued_date": None,
            "price_valid_from": date(2025, 6, 1),
        },
    ]

    def customer(cid: int, first: str, signup: datetime) -> dict:
        return {
            "customer_id": cid,
            "first_name": first,
            "last_name": "Doe",
            "email": f"{first.lower()}@example.com",
            "segment": "casual",
            "signup_ts": signup,
            "home_region": "Southwest",
            "home_city": "Austin",
        }

    customers = [
        customer(1, "Ann", datetime(2024, 5, 1, 12, 0)),
        customer(2, "Bob", datetime(2025, 1, 15, 9, 30)),
        customer(3, "Cy", datetime(2025, 12, 29, 10, 0)),
    ]
    promotions = [
        {
            "promo_id": 1,
            "product_id": 2,
            "start_date": _d(29),
            "end_date": _d(30),
            "promo_type": "weekly_ad",
            "discount_pct": _m("15.00"),
        }
    ]

    def order(oid: int, store: int, cust: int, ts: datetime, discount: str, total: str) -> dict:
        return {
            "order_id": oid,
            "store_id": store,
            "customer_id": cust,
            "order_ts": ts,
            "payment_type": "cash",
            "discount_pct": _m(discount),
            "order_total": _m(total),
        }

    orders = [
        order(10000001, 1, 1, datetime(2025, 12, 28, 9, 15), "0.00", "45.00"),
        order(10010001, 1, 2, datetime(2025, 12, 29, 14, 30), "5.00", "21.38"),
        order(10030001, 1, 3, datetime(2025, 12, 31, 11, 0), "5.00", "28.41"),
        order(20020001, 2, 1, datetime(2025, 12, 30, 10, 0), "0.00", "8.34"),
        order(20030001, 2, 2, datetime(2025, 12, 31, 16, 45), "0.00", "44.90"),
    ]
    order_items = [
        order_line(10000001, 1, 1, 2, "10.00"),
        order_line(10000001, 2, 3, 1, "25.00"),
        order_line(10010001, 1, 2, 3, "4.17", promo=1),
        order_line(10010001, 2, 1, 1, "10.00"),
        order_line(10030001, 1, 3, 1, "25.00"),
        order_line(10030001, 2, 2, 1, "4.90"),
        order_line(20020001, 1, 2, 2, "4.17", promo=1),
        order_line(20030001, 1, 1, 4, "10.00"),
        order_line(20030001, 2, 2, 1, "4.90"),
    ]
    inventory = [
        # store 1 sells p1: 2 on 28, 1 on 29; position 7-2+0=5 <= 5 on 28 -> 10 ordered, received end of 29
        *_series(1, 1, 28, (2, 5, 10), [(7, 0, 0), (5, 10, 10), (14, 0, 0), (14, 0, 0)]),
        # p2: 3 on 29, 1 on 31
        *_series(1, 2, 28, (1, 3, 12), [(8, 0, 0), (8, 0, 0), (5, 0, 0), (5, 0, 0)]),
        # p3: 1 on 28, 1 on 31
        *_series(1, 3, 28, (0, 1, 4), [(3, 0, 0), (2, 0, 0), (2, 0, 0), (2, 0, 0)]),
        # store 2 opens on 30; p1: 4 on 31
        *_series(2, 1, 30, (1, 2, 6), [(6, 0, 0), (6, 0, 0)]),
        # p2: 2 on 30 (position 2 <= 2 -> 6 ordered), 1 on 31
        *_series(2, 2, 30, (1, 2, 6), [(4, 0, 0), (2, 6, 0)]),
    ]
    return copy.deepcopy(
        {
            "stores": stores,
            "products": products,
            "customers": customers,
            "promotions": promotions,
            "orders": orders,
            "order_items": order_items,
            "inventory_snapshots": inventory,
        }
    )


def _nullable(schema: pa.Schema) -> pa.Schema:
    """The schema with every field nullable, so tests can write corrupt nulls in every format."""
    return pa.schema([field.with_nullable(True) for field in schema])


def arrow_tables(rows: Rows) -> dict[str, pa.Table]:
    """Arrow tables with the schema.py types (fields made nullable)."""
    return {
        name: pa.Table.from_pylist(table_rows, schema=_nullable(TABLES[name].schema))
        for name, table_rows in rows.items()
    }


def write_dataset(
    rows: Rows | dict[str, pa.Table],
    folder: Path,
    fmt: str,
    *,
    manifest: bool = True,
    window: tuple[date, date] = (START, END),
) -> Path:
    """Write the tables in `fmt` under `folder` (one part file or Delta table per table) plus a manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        name: (value if isinstance(value, pa.Table) else arrow_tables({name: value})[name])
        for name, value in rows.items()
    }
    entries: dict[str, TableManifest] = {}
    for name, table in tables.items():
        table_dir = folder / name
        if fmt == "delta":
            from deltalake import write_deltalake

            write_deltalake(str(table_dir), table)
            files = sorted(table_dir.glob("*.parquet"))
        else:
            table_dir.mkdir()
            path = table_dir / f"part-00000.{fmt}"
            if fmt == "parquet":
                pq.write_table(table, path)
            else:
                pa_csv.write_csv(table, path)
            files = [path]
        file_entries = [
            FileEntry(
                path=str(f.relative_to(folder)), rows=table.num_rows if len(files) == 1 else 0, bytes=f.stat().st_size
            )
            for f in files
        ]
        entries[name] = TableManifest(rows=table.num_rows, bytes=sum(e.bytes for e in file_entries), files=file_entries)
    if manifest:
        start, end = window
        document = Manifest(
            generator_version="0.1.0",
            format=fmt,
            parameters={
                "scale": "small",
                "scale_factor": 1.0,
                "days": (end - start).days + 1,
                "seed": 42,
                "end_date": end.isoformat(),
                "start_date": start.isoformat(),
            },
            tables=entries,
            workers=1,
            chunks=1,
            duration_sec=0.0,
            versions={},
        )
        document.write(folder)
    return folder


def dataset_rows(folder: Path) -> dict[str, pa.Table]:
    """Every table of a dataset, in the table's schema, sorted by all of its columns (a multiset)."""
    fmt = dataset_format(folder)
    found = {}
    for name, table_folder in table_paths(folder).items():
        definition = ALL_TABLES[name]
        rows = arrow_dataset(table_folder, fmt, definition).to_table().select(definition.schema.names)
        rows = rows.cast(definition.schema)
        found[name] = rows.sort_by([(column, "ascending") for column in definition.schema.names])
    return found


@pytest.fixture
def rows() -> Rows:
    """A fresh copy of the consistent tiny dataset's rows."""
    return build_rows()


@pytest.fixture
def make_dataset(tmp_path: Path) -> Callable[..., Path]:
    """Write rows as a dataset in a new folder under tmp_path: make_dataset(rows, fmt, **options)."""
    counter = iter(range(1_000_000))

    def make(rows: Rows | dict[str, pa.Table], fmt: str = "parquet", **options: Any) -> Path:
        return write_dataset(rows, tmp_path / f"ds{next(counter)}-{fmt}", fmt, **options)

    return make
