"""validate_dataset: the consistent tiny dataset passes in every format, and each corruption fails
exactly the check(s) it should, with the right number of violations."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import generator.validation.validate as validate_module
from generator.validation import ValidationReport, validate_dataset
from tests.generator.conftest import order_line

FORMATS = ("parquet", "csv", "delta")
Rows = dict[str, list[dict[str, Any]]]
Mutation = Callable[[Rows], None]


def _find(rows: Rows, table: str, **match: Any) -> dict[str, Any]:
    """The single row of `table` whose columns equal `match`."""
    found = [row for row in rows[table] if all(row[k] == v for k, v in match.items())]
    assert len(found) == 1, (table, match, found)
    return found[0]


def _snapshot(rows: Rows, store: int, product: int, day: int) -> dict[str, Any]:
    return _find(rows, "inventory_snapshots", store_id=store, product_id=product, snapshot_date=date(2025, 12, day))


def _set(table: str, match: dict[str, Any], **values: Any) -> Mutation:
    def mutate(rows: Rows) -> None:
        _find(rows, table, **match).update(values)

    return mutate


def _set_snapshot(store: int, product: int, day: int, **values: Any) -> Mutation:
    def mutate(rows: Rows) -> None:
        _snapshot(rows, store, product, day).update(values)

    return mutate


def _append(table: str, row: dict[str, Any] | Callable[[Rows], dict[str, Any]]) -> Mutation:
    def mutate(rows: Rows) -> None:
        rows[table].append(row(rows) if callable(row) else row)

    return mutate


def _remove_snapshot(store: int, product: int, day: int) -> Mutation:
    def mutate(rows: Rows) -> None:
        rows["inventory_snapshots"].remove(_snapshot(rows, store, product, day))

    return mutate


def _copy_of(table: str, match: dict[str, Any], **changes: Any) -> Callable[[Rows], dict[str, Any]]:
    return lambda rows: {**_find(rows, table, **match), **changes}


def _all(*mutations: Mutation) -> Mutation:
    def mutate(rows: Rows) -> None:
        for mutation in mutations:
            mutation(rows)

    return mutate


def _promotion(promo_id: int, product: int, start: date, end: date, discount: str) -> dict[str, Any]:
    return {
        "promo_id": promo_id,
        "product_id": product,
        "start_date": start,
        "end_date": end,
        "promo_type": "flash_sale",
        "discount_pct": Decimal(discount),
    }


def _order(order_id: int, store: int, customer: int) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "store_id": store,
        "customer_id": customer,
        "order_ts": datetime(2025, 12, 30, 12, 0),
        "payment_type": "cash",
        "discount_pct": Decimal("0.00"),
        "order_total": Decimal("0.00"),
    }


O1, O2, O3, O4, O5 = 10000001, 10010001, 10030001, 20020001, 20030001
M = Decimal

#: id -> (corruption, {check: violations}); every other check must still pass.
CORRUPTIONS: dict[str, tuple[Mutation, dict[str, int]]] = {
    "null_required_column": (_set("orders", {"order_id": O2}, discount_pct=None), {"not_null_orders": 1}),
    "duplicate_store": (
        _append("stores", _copy_of("stores", {"store_id": 2}, name="Denver Copy")),
        {"pk_stores": 1},
    ),
    "duplicate_customer": (
        _append("customers", _copy_of("customers", {"customer_id": 1}, email="ann2@example.com")),
        {"pk_customers": 1},
    ),
    "duplicate_line_number": (
        _set("order_items", {"order_id": O1, "line_number": 2}, line_number=1),
        {"pk_order_items": 1, "line_numbers_contiguous": 1},
    ),
    "null_inventory_key": (
        _set_snapshot(1, 3, 29, product_id=None),
        {"not_null_inventory_snapshots": 1, "pk_inventory_snapshots": 1, "inventory_days_contiguous": 1},
    ),
    "duplicate_snapshot": (
        _append("inventory_snapshots", lambda rows: dict(_snapshot(rows, 1, 3, 29))),
        {"pk_inventory_snapshots": 1},
    ),
    "duplicate_sku": (_set("products", {"product_id": 3}, sku="SKU-0001"), {"unique_products_sku": 1}),
    "duplicate_email": (
        _set("customers", {"customer_id": 3}, email="bob@example.com"),
        {"unique_customers_email": 1},
    ),
    "unknown_customer": (_set("orders", {"order_id": O1}, customer_id=99), {"fk_orders_customer_id": 1}),
    "unknown_store": (
        _append("orders", _order(90020001, 9, 1)),
        {"fk_orders_store_id": 1, "orders_have_lines": 1},
    ),
    "orphan_line": (_append("order_items", order_line(99, 1, 1, 1, "10.00")), {"fk_order_items_order_id": 1}),
    "unknown_product_on_line": (
        _set("order_items", {"order_id": O5, "line_number": 1}, product_id=99),
        {"fk_order_items_product_id": 1, "sales_have_snapshot": 1},
    ),
    "unknown_promo_on_line": (
        _set("order_items", {"order_id": O2, "line_number": 1}, promo_id=7),
        {"fk_order_items_promo_id": 1, "promotion_applied": 1},
    ),
    "promotion_of_unknown_product": (
        _append("promotions", _promotion(2, 99, date(2025, 11, 1), date(2025, 11, 2), "10.00")),
        {"fk_promotions_product_id": 1},
    ),
    "snapshot_of_unknown_store": (
        _append("inventory_snapshots", lambda rows: {**_snapshot(rows, 1, 1, 31), "store_id": 9}),
        {"fk_inventory_snapshots_store_id": 1},
    ),
    "snapshot_of_unknown_product": (
        _append("inventory_snapshots", lambda rows: {**_snapshot(rows, 1, 1, 31), "product_id": 99}),
        {"fk_inventory_snapshots_product_id": 1},
    ),
    "order_without_lines": (_append("orders", _order(10020001, 1, 1)), {"orders_have_lines": 1}),
    "line_number_gap": (
        _set("order_items", {"order_id": O1, "line_number": 2}, line_number=3),
        {"line_numbers_contiguous": 1},
    ),
    "product_twice_in_order": (
        _all(
            _append("order_items", order_line(O5, 3, 2, 1, "4.90")),
            _set("orders", {"order_id": O5}, order_total=M("49.80")),
        ),
        {"product_once_per_order": 1},
    ),
    "order_before_signup": (
        _set("customers", {"customer_id": 3}, signup_ts=datetime(2026, 1, 1)),
        {"order_after_signup": 1},
    ),
    "order_before_store_opened": (
        _set("stores", {"store_id": 2}, opened_date=date(2025, 12, 31)),
        {"order_in_open_store": 1, "snapshot_while_trading": 2},
    ),
    "order_in_closed_store": (
        _set("stores", {"store_id": 2}, closed_date=date(2025, 12, 31)),
        {"order_in_open_store": 1, "snapshot_while_trading": 2},
    ),
    "closed_before_opened": (
        _set("stores", {"store_id": 1}, closed_date=date(2019, 1, 1)),
        {"store_dates": 1, "order_in_open_store": 3, "snapshot_while_trading": 12},
    ),
    "sale_of_discontinued_product": (
        _set("products", {"product_id": 3}, discontinued_date=date(2025, 12, 31)),
        {"product_on_sale": 1, "snapshot_while_trading": 1},
    ),
    "sale_before_launch": (
        _set("products", {"product_id": 1}, launched_date=date(2025, 12, 29), price_valid_from=date(2025, 12, 29)),
        {"product_on_sale": 1, "snapshot_while_trading": 1},
    ),
    "price_valid_before_launch": (
        _set("products", {"product_id": 2}, price_valid_from=date(2023, 1, 1)),
        {"product_dates": 1},
    ),
    "stale_list_price": (
        _set("order_items", {"order_id": O5, "line_number": 2}, list_price=M("5.10")),
        {"list_price_current": 1, "unit_price": 1, "list_price_one_per_day": 1},
    ),
    "cost_not_below_price": (_set("products", {"product_id": 1}, unit_cost=M("10.00")), {"product_prices": 1}),
    "zero_qty": (
        _all(
            _set("order_items", {"order_id": O5, "line_number": 2}, qty=0, extended_price=M("0.00")),
            _set("orders", {"order_id": O5}, order_total=M("40.00")),
        ),
        {"qty_positive": 1},
    ),
    "extended_price_off_by_a_cent": (
        _all(
            _set("order_items", {"order_id": O1, "line_number": 1}, extended_price=M("20.01")),
            _set("orders", {"order_id": O1}, order_total=M("45.01")),
        ),
        {"extended_price": 1},
    ),
    "order_total_rounded_half_even": (
        _set("orders", {"order_id": O3}, order_total=M("28.40")),  # 28.405 -> 28.41 half-up
        {"order_total": 1},
    ),
    "order_total_ignores_discount": (
        _set("orders", {"order_id": O2}, order_total=M("22.51")),
        {"order_total": 1},
    ),
    "promotion_ends_before_start": (
        _append("promotions", _promotion(2, 3, date(2025, 12, 20), date(2025, 12, 10), "10.00")),
        {"promotion_dates": 1},
    ),
    "promotion_discount_100": (
        _append("promotions", _promotion(2, 1, date(2025, 11, 1), date(2025, 11, 5), "100.00")),
        {"promotion_discount_range": 1},
    ),
    "overlapping_promotions": (
        _all(
            _append("promotions", _promotion(2, 3, date(2025, 12, 1), date(2025, 12, 10), "10.00")),
            _append("promotions", _promotion(3, 3, date(2025, 12, 5), date(2025, 12, 12), "20.00")),
        ),
        {"promotion_no_overlap": 1},
    ),
    "promotion_not_recorded": (
        _set("order_items", {"order_id": O4, "line_number": 1}, promo_id=None),
        {"promotion_applied": 1},
    ),
    "promotion_outside_its_dates": (
        _set("order_items", {"order_id": O3, "line_number": 2}, promo_id=1),
        {"promotion_applied": 1},
    ),
    "unit_price_rounded_half_even": (
        _all(
            _set("order_items", {"order_id": O4, "line_number": 1}, unit_price=M("4.16"), extended_price=M("8.32")),
            _set("orders", {"order_id": O4}, order_total=M("8.32")),
        ),
        {"unit_price": 1},
    ),
    "promotion_price_on_regular_day": (
        _all(
            _set("order_items", {"order_id": O3, "line_number": 2}, unit_price=M("4.17"), extended_price=M("4.17")),
            _set("orders", {"order_id": O3}, order_total=M("27.71")),  # 29.17 * 0.95 = 27.7115
        ),
        {"unit_price": 1},
    ),
    "negative_received_qty": (_set_snapshot(2, 1, 31, received_qty=-1), {"inventory_non_negative": 1}),
    "oversell": (
        _all(
            _set("order_items", {"order_id": O5, "line_number": 2}, qty=3, extended_price=M("14.70")),
            _set("orders", {"order_id": O5}, order_total=M("54.70")),
        ),
        {"inventory_no_oversell": 1},
    ),
    "stock_appears_from_nowhere": (
        _all(_set_snapshot(1, 2, 30, on_hand=6), _set_snapshot(1, 2, 31, on_hand=6)),
        {"inventory_flow": 1},
    ),
    "missed_reorder": (_set_snapshot(1, 2, 28, reorder_point=8), {"inventory_reorder_rule": 1}),
    "reorder_of_wrong_size": (
        _set_snapshot(2, 2, 31, on_order=5),
        {"inventory_reorder_rule": 1},
    ),
    "receipt_not_on_order": (_set_snapshot(2, 1, 31, received_qty=3), {"inventory_received_le_on_order": 1}),
    "snapshot_day_missing": (_remove_snapshot(1, 3, 29), {"inventory_days_contiguous": 1}),
    "sale_without_snapshot": (_remove_snapshot(1, 3, 31), {"sales_have_snapshot": 1}),
    "snapshot_before_store_opened": (
        _append("inventory_snapshots", lambda rows: {**_snapshot(rows, 2, 1, 30), "snapshot_date": date(2025, 12, 29)}),
        {"snapshot_while_trading": 1},
    ),
    "snapshot_before_window": (
        _append("inventory_snapshots", lambda rows: {**_snapshot(rows, 1, 1, 28), "snapshot_date": date(2025, 12, 27)}),
        {"snapshot_in_window": 1},
    ),
}


def _failures(report: ValidationReport) -> dict[str, int]:
    return {check.name: check.violations for check in report.checks if not check.passed}


@pytest.mark.parametrize("fmt", FORMATS)
def test_consistent_dataset_passes(fmt: str, rows: Rows, make_dataset: Callable[..., Path]) -> None:
    report = validate_dataset(make_dataset(rows, fmt))
    assert _failures(report) == {}
    assert report.passed and report.format == fmt
    assert report.tables == {name: len(table_rows) for name, table_rows in rows.items()}
    assert all(check.error is None and check.examples == [] for check in report.checks)
    names = [check.name for check in report.checks]
    assert len(names) == len(set(names)) == 62
    expected = {name for _, failing in CORRUPTIONS.values() for name in failing}
    assert expected <= set(names)


#: Corruptions that also go through csv and delta: nulls, decimals, timestamps, dates, strings, int16.
FORMAT_SENSITIVE = (
    "null_required_column",
    "null_inventory_key",
    "duplicate_email",
    "unknown_promo_on_line",
    "promotion_not_recorded",
    "extended_price_off_by_a_cent",
    "order_total_rounded_half_even",
    "unit_price_rounded_half_even",
    "order_before_signup",
    "order_before_store_opened",
    "order_in_closed_store",
    "sale_of_discontinued_product",
    "stale_list_price",
    "oversell",
    "missed_reorder",
    "sale_without_snapshot",
)
CASES = [(case, "parquet") for case in sorted(CORRUPTIONS)] + [
    (case, fmt) for case in FORMAT_SENSITIVE for fmt in ("csv", "delta")
]


@pytest.mark.parametrize(("case", "fmt"), CASES)
def test_each_corruption_fails_its_check(case: str, fmt: str, rows: Rows, make_dataset: Callable[..., Path]) -> None:
    mutate, expected = CORRUPTIONS[case]
    mutate(rows)
    report = validate_dataset(make_dataset(rows, fmt))
    assert _failures(report) == expected
    assert not report.passed
    for check in report.failed:
        assert check.error is None
        assert 1 <= len(check.examples) <= min(5, check.violations)


def test_manifest_window_is_enforced(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    report = validate_dataset(make_dataset(rows, "parquet", window=(date(2025, 12, 29), date(2025, 12, 31))))
    assert _failures(report) == {"order_date_in_window": 1, "snapshot_in_window": 3}
    assert report.check("order_date_in_window").examples == ["order_id=10000001, order_date=2025-12-28"]


def test_without_manifest_window_checks_are_skipped(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    report = validate_dataset(make_dataset(rows, "parquet", manifest=False))
    assert report.passed
    for name in ("order_date_in_window", "snapshot_in_window"):
        check = report.check(name)
        assert check.passed and check.description.startswith("SKIPPED")
        assert "_manifest.json" in check.description


def test_manifest_row_counts_are_compared(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    folder = make_dataset(rows, "csv")
    document = json.loads((folder / "_manifest.json").read_text())
    document["tables"]["orders"]["rows"] = 6
    (folder / "_manifest.json").write_text(json.dumps(document))
    report = validate_dataset(folder)
    assert _failures(report) == {"manifest_row_counts": 1}
    assert report.check("manifest_row_counts").examples == ["orders: manifest 6, found 5"]
    without = validate_dataset(make_dataset(rows, "csv", manifest=False)).check("manifest_row_counts")
    assert without.passed and without.description.startswith("SKIPPED")


def test_schema_mismatch_is_reported(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    folder = make_dataset(rows, "parquet")
    stores = pq.read_table(folder / "stores" / "part-00000.parquet")
    stores = stores.append_column("manager", pa.array(["Ann", "Bob"]))
    stores = stores.set_column(
        stores.schema.get_field_index("latitude"), "latitude", stores["latitude"].cast(pa.float32())
    )
    pq.write_table(stores, folder / "stores" / "part-00000.parquet")
    report = validate_dataset(folder)
    assert _failures(report) == {"schema_stores": 2}
    assert report.check("schema_stores").examples == [
        "latitude: expected DOUBLE, got FLOAT",
        "manager: unexpected column",
    ]


def test_missing_column_fails_schema_and_reports_errors(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    folder = make_dataset(rows, "parquet")
    products = pq.read_table(folder / "products" / "part-00000.parquet").drop_columns(["unit_cost"])
    pq.write_table(products, folder / "products" / "part-00000.parquet")
    report = validate_dataset(folder)
    failures = _failures(report)
    assert failures["schema_products"] == 1
    assert report.check("schema_products").examples == ["unit_cost: expected DECIMAL(10,2), got nothing (missing)"]
    broken = report.check("product_prices")
    assert not broken.passed and broken.error is not None and "unit_cost" in broken.error


def test_missing_table_skips_dependent_checks(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    folder = make_dataset(rows, "parquet")
    shutil.rmtree(folder / "promotions")
    report = validate_dataset(folder)
    assert _failures(report) == {"tables_present": 1}
    assert report.check("tables_present").examples == ["promotions"]
    names = {check.name for check in report.checks}
    assert not names & {"promotion_applied", "unit_price", "fk_order_items_promo_id", "pk_promotions"}
    assert "promotions" not in report.tables


def test_examples_are_capped_at_five(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    for product in rows["products"]:
        product["unit_cost"] = product["base_price"] * 2
    for snapshot in rows["inventory_snapshots"]:
        snapshot["received_qty"] += 1000  # every receipt exceeds on_order (and breaks the flow)
    report = validate_dataset(make_dataset(rows, "parquet"))
    prices = report.check("product_prices")
    assert prices.violations == 3 and prices.examples == ["product_id=1", "product_id=2", "product_id=3"]
    received = report.check("inventory_received_le_on_order")
    assert received.violations == 16 and len(received.examples) == 5
    assert received.examples[0].startswith("store_id=1, product_id=1, snapshot_date=2025-12-28")


@pytest.mark.parametrize(
    "case",
    ["duplicate_snapshot", "null_inventory_key", "snapshot_of_unknown_store", "unknown_product_on_line", "oversell"],
)
def test_inventory_pass_split_by_store_gives_the_same_report(
    case: str, rows: Rows, make_dataset: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a tiny memory budget the inventory checks run store group by store group; the counts
    and examples are the same as in one pass."""
    mutate, expected = CORRUPTIONS[case]
    mutate(rows)
    folder = make_dataset(rows, "parquet")
    whole = validate_dataset(folder)
    monkeypatch.setattr(validate_module, "MIN_ROWS_PER_PART", 1)
    monkeypatch.setattr(validate_module, "BYTES_PER_INVENTORY_ROW", 2**40)
    split = validate_dataset(folder)
    assert _failures(split) == _failures(whole) == expected
    assert [c.examples for c in split.checks] == [c.examples for c in whole.checks]
