"""Check a generated dataset against every invariant the generator promises, in SQL over duckdb.

Each invariant is one named check that counts violating rows (or keys) and shows up to five of
them, so an agent can read the report and know what is wrong and where. The heavy inventory
checks share a single windowed pass over inventory_snapshots, which duckdb streams and spills to a
temporary folder, so ~100M snapshot rows validate within a bounded memory limit.

Usage: ``python -m generator.validate <dataset-folder>`` (exit status 1 when a check fails).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import BaseModel, Field

from generator.manifest import MANIFEST_NAME
from generator.readers import DatasetNotFoundError, connect_dataset, dataset_format, duckdb_column_types
from generator.schema import TABLES

MAX_EXAMPLES = 5
#: The inventory pass runs over groups of stores of at most memory_limit / this many snapshot rows,
#: so its window sort and sales join fit the memory limit whatever the size of the dataset.
BYTES_PER_INVENTORY_ROW = 64
MIN_ROWS_PER_PART = 250_000


class CheckResult(BaseModel):
    """Outcome of one invariant."""

    name: str = Field(description="Stable identifier of the check, e.g. 'order_total'.")
    description: str = Field(description="What the check asserts and what one violation counts.")
    violations: int = Field(description="Number of violating rows or keys (0 when passed).")
    passed: bool = Field(description="True when there is no violation and the check ran.")
    examples: list[str] = Field(default_factory=list, description=f"Up to {MAX_EXAMPLES} keys of violating rows.")
    error: str | None = Field(None, description="Why the check could not run (then passed is false).")


class ValidationReport(BaseModel):
    """All checks of one dataset."""

    path: str = Field(description="Dataset folder that was validated.")
    format: str = Field(description="parquet, csv or delta.")
    passed: bool = Field(description="True when every check passed.")
    checks: list[CheckResult] = Field(description="One entry per invariant, in a stable order.")
    tables: dict[str, int] = Field(description="Row count of each table present.")

    def check(self, name: str) -> CheckResult:
        """The result of the check called `name` (KeyError when there is none)."""
        for result in self.checks:
            if result.name == name:
                return result
        raise KeyError(name)

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that did not pass."""
        return [result for result in self.checks if not result.passed]


@dataclass(frozen=True)
class _Check:
    """One invariant over the rows of its group's relation: `condition` is true for a violation."""

    name: str
    description: str
    condition: str
    key: tuple[str, ...]
    weight: str = "1"  # how much one violating row counts (a grouped row may stand for many)


@dataclass(frozen=True)
class _Group:
    """Checks evaluated together in one aggregate query over one relation (one scan).

    A relation with a `{part}` placeholder runs once per partition filter and the counts add up;
    partitions must be disjoint and in key order, so the first examples found are the smallest.
    """

    tables: tuple[str, ...]
    relation: str
    checks: tuple[_Check, ...]
    setup: tuple[str, ...] = ()  # statements run once before the group (e.g. a temp table)


def _manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest as JSON, or None when the folder has none."""
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file():
        return None
    document = json.loads(manifest_path.read_text(encoding="utf-8"))
    return document if isinstance(document, dict) else None


def _window(manifest: dict[str, Any] | None) -> tuple[date, date] | None:
    """(start_date, end_date) from the manifest parameters, or None without them."""
    params = (manifest or {}).get("parameters") or {}
    try:
        return date.fromisoformat(str(params["start_date"])), date.fromisoformat(str(params["end_date"]))
    except (KeyError, ValueError):
        return None


def _manifest_counts_check(manifest: dict[str, Any] | None, tables: dict[str, int]) -> CheckResult:
    """Row counts found against the counts the manifest records."""
    name = "manifest_row_counts"
    if manifest is None:
        return CheckResult(
            name=name,
            description=f"SKIPPED: no {MANIFEST_NAME} (would check each table's row count against it).",
            violations=0,
            passed=True,
        )
    recorded = manifest.get("tables") or {}
    problems = []
    for table, rows in tables.items():
        entry = recorded.get(table)
        expected = entry.get("rows") if isinstance(entry, dict) else None
        if expected != rows:
            problems.append(f"{table}: manifest {expected if expected is not None else 'nothing'}, found {rows}")
    return CheckResult(
        name=name,
        description=f"Each table's row count equals tables.<table>.rows in {MANIFEST_NAME}; counts tables that differ.",
        violations=len(problems),
        passed=not problems,
        examples=problems[:MAX_EXAMPLES],
    )


def _null_condition(columns: Sequence[str]) -> str:
    return " OR ".join(f"{column} IS NULL" for column in columns)


def _sold_sql() -> str:
    """Units sold per store, product and order date."""
    return (
        "SELECT o.store_id, i.product_id, CAST(o.order_ts AS DATE) AS sale_date, SUM(i.qty) AS sold "
        "FROM order_items i JOIN orders o ON o.order_id = i.order_id "
        "GROUP BY o.store_id, i.product_id, CAST(o.order_ts AS DATE)"
    )


def _table_groups(present: Sequence[str]) -> list[_Group]:
    """Not-null, primary-key and single-row checks of each table, and foreign keys."""
    groups: list[_Group] = []
    row_checks: dict[str, list[_Check]] = {
        "products": [
            _Check(
                "product_prices",
                "products.base_price and unit_cost are both > 0 and unit_cost < base_price; counts products.",
                "NOT (base_price > 0 AND unit_cost > 0 AND unit_cost < base_price)",
                ("product_id",),
            )
        ],
        "promotions": [
            _Check(
                "promotion_dates",
                "promotions.start_date <= end_date; counts promotions.",
                "start_date > end_date",
                ("promo_id",),
            ),
            _Check(
                "promotion_discount_range",
                "promotions.discount_pct is strictly between 0 and 100; counts promotions.",
                "NOT (discount_pct > 0 AND discount_pct < 100)",
                ("promo_id",),
            ),
        ],
        "order_items": [
            _Check(
                "qty_positive",
                "order_items.qty > 0; counts lines.",
                "qty <= 0",
                ("order_id", "line_number"),
            ),
            _Check(
                "extended_price",
                "order_items.extended_price = qty * unit_price exactly (decimal arithmetic); counts lines.",
                "extended_price <> qty * unit_price",
                ("order_id", "line_number"),
            ),
        ],
    }
    for name in present:
        spec = TABLES[name]
        required = [f.name for f in spec.schema if not f.nullable]
        pk = spec.primary_key
        checks = [
            _Check(
                f"not_null_{name}",
                f"No null in the required columns of {name} (every column except "
                "order_items.promo_id); counts rows with at least one null.",
                _null_condition(required),
                pk,
            ),
            *row_checks.get(name, []),
        ]
        if name == "inventory_snapshots":
            continue  # its not-null and key checks run in the windowed inventory pass
        groups.append(_Group((name,), f"SELECT * FROM {name}", tuple(checks)))
        keys = ", ".join(pk)
        groups.append(
            _Group(
                (name,),
                f"SELECT {keys}, count(*) AS n FROM {name} GROUP BY {keys}",
                (
                    _Check(
                        f"pk_{name}",
                        f"Primary key ({keys}) of {name} is unique and not null; counts each "
                        "duplicated key once plus every row with a null key column.",
                        f"{_null_condition(pk)} OR n > 1",
                        pk,
                        weight=f"CASE WHEN {_null_condition(pk)} THEN n ELSE 1 END",
                    ),
                ),
            )
        )
    for table, column in (("products", "sku"), ("customers", "email")):
        if table in present:
            groups.append(
                _Group(
                    (table,),
                    f"SELECT {column}, count(*) AS n FROM {table} WHERE {column} IS NOT NULL GROUP BY {column}",
                    (
                        _Check(
                            f"unique_{table}_{column}",
                            f"{table}.{column} is unique; counts each duplicated value once.",
                            "n > 1",
                            (column,),
                        ),
                    ),
                )
            )
    for name in present:
        spec = TABLES[name]
        for column, (parent, parent_column) in spec.foreign_keys.items():
            if parent not in present:
                continue
            groups.append(
                _Group(
                    (name, parent),
                    f"SELECT c.* FROM {name} c ANTI JOIN {parent} p ON c.{column} = p.{parent_column} "
                    f"WHERE c.{column} IS NOT NULL",
                    (
                        _Check(
                            f"fk_{name}_{column}",
                            f"Every non-null {name}.{column} exists in {parent}.{parent_column} (nulls are "
                            f"reported by not_null_{name}); counts {name} rows.",
                            "true",
                            spec.primary_key + (column,),
                        ),
                    ),
                )
            )
    return groups


def _order_groups(window: tuple[date, date] | None) -> list[_Group]:
    """Order lines, order timing and order totals."""
    if window is None:
        window_check = _Check(
            "order_date_in_window",
            f"SKIPPED: no {MANIFEST_NAME}, so the date window is unknown (would check that "
            "CAST(order_ts AS DATE) lies within [start_date, end_date] of the manifest parameters).",
            "false",
            ("order_id",),
        )
    else:
        start, end = window
        window_check = _Check(
            "order_date_in_window",
            f"CAST(order_ts AS DATE) lies within the manifest window [{start}, {end}]; counts orders.",
            f"order_date NOT BETWEEN DATE '{start}' AND DATE '{end}'",
            ("order_id", "order_date"),
        )
    line_key = ("order_id", "line_number")
    return [
        _Group(
            ("orders", "order_items"),
            "SELECT o.order_id FROM orders o ANTI JOIN order_items i ON i.order_id = o.order_id",
            (
                _Check(
                    "orders_have_lines",
                    "Every order has at least one line; counts orders.",
                    "true",
                    ("order_id",),
                ),
            ),
        ),
        _Group(
            ("order_items",),
            "SELECT order_id, sum(n) AS n, min(line_number) AS first_line, max(line_number) AS last_line, "
            "max(n) AS max_repeat FROM (SELECT order_id, line_number, count(*) AS n FROM order_items "
            "GROUP BY order_id, line_number) GROUP BY order_id",
            (
                _Check(
                    "line_numbers_contiguous",
                    "The line_numbers of an order are exactly 1..k (start at 1, no gap, no repeat); counts orders.",
                    "NOT (first_line = 1 AND last_line = n AND max_repeat = 1)",
                    ("order_id",),
                ),
            ),
        ),
        _Group(
            ("order_items",),
            "SELECT order_id, max(n) AS max_repeat FROM (SELECT order_id, product_id, count(*) AS n "
            "FROM order_items WHERE product_id IS NOT NULL GROUP BY order_id, product_id) GROUP BY order_id",
            (
                _Check(
                    "product_once_per_order",
                    "A product appears on at most one line of an order; counts orders.",
                    "max_repeat > 1",
                    ("order_id",),
                ),
            ),
        ),
        _Group(
            ("orders", "customers", "stores"),
            "SELECT o.order_id, o.order_ts, CAST(o.order_ts AS DATE) AS order_date, c.signup_ts, s.opened_date "
            "FROM orders o LEFT JOIN customers c ON c.customer_id = o.customer_id "
            "LEFT JOIN stores s ON s.store_id = o.store_id",
            (
                _Check(
                    "order_after_signup",
                    "orders.order_ts >= customers.signup_ts of the order's customer; counts orders.",
                    "order_ts < signup_ts",
                    ("order_id", "order_ts", "signup_ts"),
                ),
                _Check(
                    "order_after_store_opened",
                    "CAST(orders.order_ts AS DATE) >= stores.opened_date of the order's store; counts orders.",
                    "order_date < opened_date",
                    ("order_id", "order_date", "opened_date"),
                ),
                window_check,
            ),
        ),
        _Group(
            ("orders", "order_items"),
            "SELECT o.order_id, o.order_total, "
            "CAST(o.order_total * 100 AS HUGEINT) AS total_cents, "
            "(CAST(l.subtotal * 100 AS HUGEINT) * (10000 - CAST(o.discount_pct * 100 AS INTEGER)) + 5000) "
            "// 10000 AS expected_cents "
            "FROM orders o JOIN (SELECT order_id, SUM(extended_price) AS subtotal FROM order_items "
            "GROUP BY order_id) l ON l.order_id = o.order_id",
            (
                _Check(
                    "order_total",
                    "orders.order_total = sum(extended_price) * (100 - discount_pct) / 100 rounded half-up to "
                    "the cent, exactly (checked in integer cents); counts orders.",
                    "total_cents <> expected_cents",
                    ("order_id", "order_total", "expected_cents"),
                ),
            ),
        ),
        _Group(
            ("promotions",),
            "SELECT promo_id, product_id, start_date, max(end_date) OVER (PARTITION BY product_id "
            "ORDER BY start_date, promo_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end "
            "FROM promotions",
            (
                _Check(
                    "promotion_no_overlap",
                    "A product has at most one active promotion on any day (no two promotion date ranges of "
                    "a product overlap); counts promotions that start before an earlier one ends.",
                    "start_date <= earlier_end",
                    ("promo_id", "product_id"),
                ),
            ),
        ),
        _Group(
            ("orders", "order_items", "promotions", "products"),
            "WITH lines AS (SELECT i.order_id, i.line_number, i.product_id, i.promo_id, i.unit_price, "
            "CAST(o.order_ts AS DATE) AS order_date FROM order_items i JOIN orders o ON o.order_id = i.order_id), "
            "active AS (SELECT l.order_id, l.line_number, count(*) AS n_active, "
            "min(p.discount_pct) AS active_discount, bool_or(p.promo_id = l.promo_id) AS line_promo_active "
            "FROM lines l JOIN promotions p ON p.product_id = l.product_id "
            "AND l.order_date BETWEEN p.start_date AND p.end_date GROUP BY l.order_id, l.line_number) "
            "SELECT l.*, a.n_active, a.line_promo_active, pr.base_price, "
            "CAST(l.unit_price * 100 AS BIGINT) AS price_cents, "
            "CASE WHEN a.n_active IS NULL THEN CAST(pr.base_price * 100 AS BIGINT) "
            "ELSE (CAST(pr.base_price * 100 AS BIGINT) * (10000 - CAST(a.active_discount * 100 AS BIGINT)) "
            "+ 5000) // 10000 END AS expected_cents "
            "FROM lines l LEFT JOIN active a ON a.order_id = l.order_id AND a.line_number = l.line_number "
            "LEFT JOIN products pr ON pr.product_id = l.product_id",
            (
                _Check(
                    "promotion_applied",
                    "order_items.promo_id is set exactly when a promotion of the line's product covers "
                    "CAST(order_ts AS DATE) (start_date <= day <= end_date), and then it is that promotion; "
                    "counts lines.",
                    "CASE WHEN promo_id IS NULL THEN n_active IS NOT NULL "
                    "ELSE NOT coalesce(line_promo_active, false) END",
                    line_key + ("product_id", "promo_id", "order_date"),
                ),
                _Check(
                    "unit_price",
                    "order_items.unit_price = base_price * (100 - discount_pct) / 100 rounded half-up to the "
                    "cent with the promotion active for the product on the order day, else base_price "
                    "(checked in integer cents); counts lines.",
                    "price_cents <> expected_cents",
                    line_key + ("unit_price", "expected_cents"),
                ),
            ),
        ),
    ]


def _inventory_group(window: tuple[date, date] | None) -> _Group:
    """All inventory checks in one pass: snapshots full-joined to daily sales, then LAG/LEAD per series."""
    spec = TABLES["inventory_snapshots"]
    required = [f.name for f in spec.schema if not f.nullable]
    key = ("store_id", "product_id", "snapshot_date")
    snap = "_snap IS NOT NULL"
    if window is None:
        window_check = _Check(
            "snapshot_in_window",
            f"SKIPPED: no {MANIFEST_NAME}, so the date window is unknown (would check that every "
            "snapshot_date lies within [start_date, end_date]).",
            "false",
            key,
        )
    else:
        start, end = window
        window_check = _Check(
            "snapshot_in_window",
            f"inventory_snapshots.snapshot_date lies within the manifest window [{start}, {end}]; "
            "counts snapshot rows.",
            f"{snap} AND snapshot_date NOT BETWEEN DATE '{start}' AND DATE '{end}'",
            key,
        )
    relation = (
        "WITH joined AS (SELECT s.*, x.store_id AS sale_store_id, x.product_id AS sale_product_id, "
        "x.sale_date, coalesce(x.sold, 0) AS sold "
        "FROM (SELECT *, true AS _snap FROM inventory_snapshots WHERE {part}) s "
        "FULL JOIN (SELECT * FROM _sold WHERE {part}) x ON x.store_id = s.store_id AND x.product_id = s.product_id "
        "AND x.sale_date = s.snapshot_date), "
        "series AS (SELECT *, "
        "lag(snapshot_date) OVER w AS prev_date, lead(snapshot_date) OVER w AS next_date, "
        "lead(on_hand) OVER w AS next_on_hand, lead(on_order) OVER w AS next_on_order "
        "FROM joined WINDOW w AS (PARTITION BY _snap, store_id, product_id ORDER BY snapshot_date)) "
        "SELECT series.* EXCLUDE (store_id, product_id, snapshot_date), "
        "coalesce(series.store_id, sale_store_id) AS store_id, "
        "coalesce(series.product_id, sale_product_id) AS product_id, "
        "coalesce(series.snapshot_date, sale_date) AS snapshot_date, "
        "st.opened_date, next_date = series.snapshot_date + 1 AS has_next, "
        "on_hand - sold + on_order AS position, next_on_order - on_order + received_qty AS placed "
        "FROM series LEFT JOIN stores st ON st.store_id = series.store_id"
    )
    pk_null = _null_condition(["snapshot_date", "store_id", "product_id"])
    checks = (
        _Check(
            "not_null_inventory_snapshots",
            "No null in the required columns of inventory_snapshots (all of them); counts rows.",
            f"{snap} AND ({_null_condition(required)})",
            key,
        ),
        _Check(
            "pk_inventory_snapshots",
            "Primary key (snapshot_date, store_id, product_id) of inventory_snapshots is unique and not "
            "null; counts each duplicated key once plus every row with a null key column.",
            f"{snap} AND (({pk_null}) OR (next_date = snapshot_date AND prev_date IS DISTINCT FROM snapshot_date))",
            key,
        ),
        _Check(
            "inventory_non_negative",
            "on_hand, on_order and received_qty are never negative; counts snapshot rows.",
            f"{snap} AND (on_hand < 0 OR on_order < 0 OR received_qty < 0)",
            key + ("on_hand", "on_order", "received_qty"),
        ),
        _Check(
            "inventory_no_oversell",
            "Units sold of a product at a store on a day (sum of order_items.qty by CAST(order_ts AS "
            "DATE)) never exceed the opening on_hand of that day; counts snapshot rows.",
            f"{snap} AND sold > on_hand",
            key + ("on_hand", "sold"),
        ),
        _Check(
            "inventory_flow",
            "For consecutive days d, d+1 of a (store, product): on_hand(d+1) = on_hand(d) - sold(d) + "
            "received_qty(d), where sold(d) sums order_items.qty of that store's orders on day d; "
            "counts day pairs.",
            f"{snap} AND has_next AND next_on_hand <> on_hand - sold + received_qty",
            key + ("on_hand", "sold", "received_qty", "next_on_hand"),
        ),
        _Check(
            "inventory_reorder_rule",
            "For consecutive days d, d+1: units placed on day d = on_order(d+1) - on_order(d) + "
            "received_qty(d) equal reorder_qty(d) when the end-of-day position on_hand(d) - sold(d) + "
            "on_order(d) <= reorder_point(d), else 0; counts day pairs.",
            f"{snap} AND has_next AND placed <> CASE WHEN position <= reorder_point THEN reorder_qty ELSE 0 END",
            key + ("position", "reorder_point", "reorder_qty", "placed"),
        ),
        _Check(
            "inventory_received_le_on_order",
            "received_qty(d) <= on_order(d): a delivery only brings units that were on order; counts snapshot rows.",
            f"{snap} AND received_qty > on_order",
            key + ("received_qty", "on_order"),
        ),
        _Check(
            "inventory_days_contiguous",
            "The snapshot dates of a (store, product) have no gap (every day from its first to its last "
            "snapshot); counts gaps.",
            f"{snap} AND next_date > snapshot_date + 1",
            key + ("next_date",),
        ),
        _Check(
            "sales_have_snapshot",
            "Every (store, product, day) with sales has an inventory_snapshots row: a store only sells "
            "what it carries; counts such (store, product, day) triples without a snapshot.",
            "_snap IS NULL",
            key + ("sold",),
        ),
        window_check,
        _Check(
            "snapshot_after_store_opened",
            "inventory_snapshots.snapshot_date >= stores.opened_date of its store; counts snapshot rows.",
            f"{snap} AND snapshot_date < opened_date",
            key + ("opened_date",),
        ),
    )
    return _Group(
        ("inventory_snapshots", "orders", "order_items", "stores"),
        relation,
        checks,
        setup=(f"CREATE OR REPLACE TEMP TABLE _sold AS {_sold_sql()}",),
    )


def _format_example(key: Sequence[str], values: object) -> str:
    """'name=value, ...' for one example key (a struct fetched as a dict)."""
    items = list(values.values()) if isinstance(values, dict) else [values]
    return ", ".join(f"{name}={value}" for name, value in zip(key, items, strict=True))


def _run_group(
    con: duckdb.DuckDBPyConnection, group: _Group, partitions: Sequence[str] = ("true",)
) -> list[CheckResult]:
    """Count the violations of every check of the group in one pass per partition; only where some
    check fails, a second pass (over the violating rows only) collects the smallest example keys."""
    flags = ", ".join(
        f"coalesce(({check.condition}), false) AS f{i}, {check.weight} AS w{i}" for i, check in enumerate(group.checks)
    )
    counts = ", ".join(f"coalesce(sum(w{i}) FILTER (WHERE f{i}), 0)" for i in range(len(group.checks)))
    violations = [0] * len(group.checks)
    examples: dict[int, list[object]] = {i: [] for i in range(len(group.checks))}
    try:
        for statement in group.setup:
            con.execute(statement)
        for part in partitions:
            flagged = f"(SELECT *, {flags} FROM ({group.relation.replace('{part}', part)}) AS g) AS flagged"
            row = con.execute(f"SELECT {counts} FROM {flagged}").fetchone()
            assert row is not None
            failing = [i for i, count in enumerate(row) if count]
            for i in failing:
                violations[i] += int(row[i])
            wanted = [i for i in failing if len(examples[i]) < MAX_EXAMPLES]
            if not wanted:
                continue
            selects = ", ".join(
                "min(struct_pack({keys}), {n}) FILTER (WHERE f{i})".format(
                    keys=", ".join(f"k{j} := {column}" for j, column in enumerate(group.checks[i].key)),
                    n=MAX_EXAMPLES,
                    i=i,
                )
                for i in wanted
            )
            where = " OR ".join(f"f{i}" for i in wanted)
            found = con.execute(f"SELECT {selects} FROM {flagged} WHERE {where}").fetchone()
            assert found is not None
            for i, values in zip(wanted, found, strict=True):
                examples[i] = (examples[i] + list(values or []))[:MAX_EXAMPLES]
    except (duckdb.Error, pa.ArrowException) as exc:
        message = str(exc).strip().splitlines()[0][:300]
        return [
            CheckResult(
                name=check.name,
                description=check.description,
                violations=0,
                passed=False,
                error=f"check could not run: {message}",
            )
            for check in group.checks
        ]
    return [
        CheckResult(
            name=check.name,
            description=check.description,
            violations=violations[i],
            passed=violations[i] == 0,
            examples=[_format_example(check.key, value) for value in examples[i]],
        )
        for i, check in enumerate(group.checks)
    ]


def _parse_bytes(text: str) -> int:
    """'256MB', '1GB', '1.5GiB' or '512 MiB' as bytes (1 GiB when it cannot be parsed)."""
    units = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
    units |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
    number = text.strip().lower()
    digits = number.rstrip("abcdefghijklmnopqrstuvwxyz ")
    unit = number[len(digits) :].strip()
    try:
        return int(float(digits) * units[unit])
    except (KeyError, ValueError):
        return 2**30


def _store_partitions(con: duckdb.DuckDBPyConnection, rows_per_part: int) -> list[str]:
    """Disjoint store_id ranges of about `rows_per_part` snapshot rows each, covering every value
    (below the first and above the last store too) plus null, in store order."""
    counts = con.execute(
        "SELECT store_id, count(*) FROM inventory_snapshots WHERE store_id IS NOT NULL "
        "GROUP BY store_id ORDER BY store_id"
    ).fetchall()
    if sum(n for _, n in counts) <= rows_per_part:
        return ["true"]
    bounds: list[int] = []
    in_part = 0
    for store_id, n in counts:
        if in_part and in_part + n > rows_per_part:
            bounds.append(int(store_id) - 1)
            in_part = 0
        in_part += n
    filters = []
    lower: int | None = None
    for upper in bounds:
        filters.append(f"store_id <= {upper}" if lower is None else f"store_id > {lower} AND store_id <= {upper}")
        lower = upper
    filters.append("store_id IS NOT NULL" if lower is None else f"store_id > {lower}")
    filters.append("store_id IS NULL")
    return filters


def _schema_check(con: duckdb.DuckDBPyConnection, name: str) -> CheckResult:
    """Columns and types of one table's view against schema.py."""
    expected = duckdb_column_types(TABLES[name])
    description = (
        f"Columns of {name} and their types match generator/schema.py; counts missing, extra or mistyped columns."
    )
    try:
        actual = {row[0]: row[1] for row in con.execute(f"DESCRIBE {name}").fetchall()}
    except (duckdb.Error, pa.ArrowException) as exc:
        message = str(exc).strip().splitlines()[0][:300]
        return CheckResult(
            name=f"schema_{name}",
            description=description,
            violations=0,
            passed=False,
            error=f"check could not run: {message}",
        )
    problems = [
        f"{column}: expected {type_}, got {actual.get(column, 'nothing (missing)')}"
        for column, type_ in expected.items()
        if actual.get(column) != type_
    ]
    problems += [f"{column}: unexpected column" for column in actual if column not in expected]
    return CheckResult(
        name=f"schema_{name}",
        description=description,
        violations=len(problems),
        passed=not problems,
        examples=problems[:MAX_EXAMPLES],
    )


def validate_dataset(
    path: str | Path,
    *,
    memory_limit: str = "1GB",
    threads: int | None = None,
    temp_directory: str | Path | None = None,
) -> ValidationReport:
    """Run every check on the dataset at `path` (DatasetNotFoundError when it is not a dataset).

    duckdb uses `threads` (default: every core) within `memory_limit` (pyarrow's scan buffers come
    on top) and spills to `temp_directory` (default: a fresh folder under the system temp folder).
    """
    folder = Path(path).expanduser()
    fmt = dataset_format(folder)
    manifest = _manifest(folder)
    window = _window(manifest)
    con = connect_dataset(
        folder,
        memory_limit=memory_limit,
        threads=threads or os.cpu_count() or 2,
        temp_directory=temp_directory,
        preserve_insertion_order=False,
    )
    try:
        present = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        present = [name for name in TABLES if name in present]
        missing = [name for name in TABLES if name not in present]
        checks = [
            CheckResult(
                name="tables_present",
                description="All seven tables are present; checks that need a missing table are skipped; "
                "counts missing tables.",
                violations=len(missing),
                passed=not missing,
                examples=missing[:MAX_EXAMPLES],
            )
        ]
        tables: dict[str, int] = {}
        for name in present:
            checks.append(_schema_check(con, name))
            try:
                tables[name] = int(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0])  # type: ignore[index]
            except (duckdb.Error, pa.ArrowException):
                tables[name] = -1
        checks.append(_manifest_counts_check(manifest, tables))
        for group in _table_groups(present) + _order_groups(window):
            if all(table in present for table in group.tables):
                checks.extend(_run_group(con, group))
        inventory = _inventory_group(window)
        if all(table in present for table in inventory.tables):
            rows_per_part = max(MIN_ROWS_PER_PART, _parse_bytes(memory_limit) // BYTES_PER_INVENTORY_ROW)
            try:
                partitions = _store_partitions(con, rows_per_part)
            except (duckdb.Error, pa.ArrowException):
                partitions = ["true"]  # the group itself reports the error
            checks.extend(_run_group(con, inventory, partitions))
    finally:
        con.close()
    return ValidationReport(
        path=str(folder),
        format=fmt,
        passed=all(check.passed for check in checks),
        checks=checks,
        tables=tables,
    )


def _render(report: ValidationReport) -> str:
    """A plain-text table of the checks, then a summary that describes each failed check."""
    lines = [f"Dataset {report.path} ({report.format})"]
    lines.append("Rows: " + ", ".join(f"{name}={rows:,}" for name, rows in report.tables.items()))
    width = max(len(check.name) for check in report.checks)
    lines.append(f"{'status':6}  {'check':{width}}  {'violations':>10}  examples / error")
    for check in report.checks:
        status = "ok" if check.passed else "FAIL"
        detail = check.error or "; ".join(check.examples)
        lines.append(f"{status:6}  {check.name:{width}}  {check.violations:>10,}  {detail}")
    failed = report.failed
    lines.append(
        "PASSED: all checks hold."
        if not failed
        else f"FAILED: {len(failed)} of {len(report.checks)} checks: " + ", ".join(c.name for c in failed)
    )
    for check in failed:
        lines.append(f"  {check.name}: {check.description}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: validate a dataset folder, print the checks, exit 1 when one fails."""
    parser = argparse.ArgumentParser(
        prog="python -m generator.validate", description="Check a generated dataset against its invariants."
    )
    parser.add_argument("path", type=Path, help="Dataset folder (holds _manifest.json and table folders).")
    parser.add_argument("--memory-limit", default="1GB", help="duckdb memory limit (default 1GB).")
    parser.add_argument("--threads", type=int, default=None, help="duckdb threads (default: every core).")
    parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
    args = parser.parse_args(argv)
    try:
        report = validate_dataset(args.path, memory_limit=args.memory_limit, threads=args.threads)
    except DatasetNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.model_dump_json(indent=2) if args.json else _render(report))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
