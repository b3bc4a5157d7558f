"""Generated datasets hold every invariant of the core and behave like a retailer's data.

Invariants are checked by the validator (itself tested against corrupted data in
test_validate.py) and, for the central ones, independently here with duckdb and pyarrow.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from generator.config import GenerateOptions
from generator.readers import connect_dataset
from generator.runner import generate
from generator.validation import validate_dataset

# A window long enough for weekly patterns, reorders, promotions, stock-outs and new stores.
BEHAVIOUR = {"scale": "medium", "scale_factor": 0.5, "days": 56, "seed": 7}


@pytest.fixture(scope="module")
def behaviour_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("behaviour") / "data"
    generate(GenerateOptions(output_dir=path, **BEHAVIOUR))
    return path


@pytest.fixture(scope="module")
def con(behaviour_dataset: Path) -> duckdb.DuckDBPyConnection:
    return connect_dataset(behaviour_dataset)


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    return con.execute(sql).fetchone()[0]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "delta"])
def test_every_invariant_holds_in_every_format(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / fmt
    generate(GenerateOptions(output_dir=path, format=fmt, scale_factor=0.5, days=30, seed=3))
    report = validate_dataset(path)
    failed = {check.name: (check.violations, check.examples) for check in report.checks if not check.passed}
    assert report.passed, failed
    assert len(report.checks) >= 20


def test_every_invariant_holds_on_a_long_window(behaviour_dataset: Path) -> None:
    report = validate_dataset(behaviour_dataset)
    assert report.passed, [(c.name, c.violations, c.examples) for c in report.checks if not c.passed]


def test_the_window_exercises_what_the_invariants_are_about(con: duckdb.DuckDBPyConnection) -> None:
    """The invariants are not vacuous: promotions apply, reorders arrive, stock runs out, stores open."""
    assert scalar(con, "SELECT count(*) FROM order_items WHERE promo_id IS NOT NULL") > 500
    assert scalar(con, "SELECT count(*) FROM inventory_snapshots WHERE received_qty > 0") > 1000
    assert scalar(con, "SELECT count(*) FROM inventory_snapshots WHERE on_hand = 0") > 0
    assert scalar(con, "SELECT count(*) FROM orders WHERE discount_pct > 0") > 100
    first_day = scalar(con, "SELECT min(snapshot_date) FROM inventory_snapshots")
    assert scalar(con, f"SELECT count(*) FROM stores WHERE opened_date > DATE '{first_day}'") >= 1


def test_keys_and_totals_independently(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) - count(DISTINCT order_id) FROM orders") == 0
    assert scalar(con, "SELECT count(*) - count(DISTINCT sku) FROM products") == 0
    assert scalar(con, "SELECT count(*) - count(DISTINCT email) FROM customers") == 0
    assert scalar(con, "SELECT count(*) FROM products WHERE unit_cost >= base_price") == 0
    assert scalar(con, "SELECT count(*) FROM order_items WHERE extended_price <> qty * unit_price") == 0
    mismatched = """
        SELECT count(*) FROM orders o JOIN (
            SELECT order_id, sum(extended_price) AS subtotal FROM order_items GROUP BY order_id) s USING (order_id)
        WHERE CAST(round(s.subtotal * (100 - o.discount_pct) / 100 + 0.0000001, 2) AS DECIMAL(12, 2)) <> o.order_total
    """
    assert scalar(con, mismatched) == 0
    orphans = "SELECT count(*) FROM order_items i LEFT JOIN orders o USING (order_id) WHERE o.order_id IS NULL"
    assert scalar(con, orphans) == 0
    gaps = """
        SELECT count(*) FROM (SELECT order_id, max(line_number) AS k, count(*) AS n,
                              count(DISTINCT product_id) AS p FROM order_items GROUP BY order_id)
        WHERE k <> n OR p <> n
    """
    assert scalar(con, gaps) == 0


def test_stock_never_negative_and_follows_sales(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT min(on_hand) FROM inventory_snapshots") >= 0
    broken = """
        WITH sold AS (
            SELECT o.store_id, i.product_id, CAST(o.order_ts AS DATE) AS d, sum(i.qty) AS units
            FROM order_items i JOIN orders o USING (order_id) GROUP BY ALL),
        days AS (
            SELECT s.*, coalesce(sold.units, 0) AS units,
                   lead(on_hand) OVER (PARTITION BY s.store_id, s.product_id ORDER BY snapshot_date) AS next_on_hand
            FROM inventory_snapshots s LEFT JOIN sold
              ON sold.store_id = s.store_id AND sold.product_id = s.product_id AND sold.d = s.snapshot_date)
        SELECT count(*) FROM days
        WHERE units > on_hand OR (next_on_hand IS NOT NULL AND next_on_hand <> on_hand - units + received_qty)
    """
    assert scalar(con, broken) == 0


def test_weekday_and_time_of_day_patterns(con: duckdb.DuckDBPyConnection) -> None:
    per_weekday = dict(
        con.execute(
            "SELECT isodow(order_ts), count(*) / count(DISTINCT CAST(order_ts AS DATE)) FROM orders GROUP BY 1"
        ).fetchall()
    )
    assert per_weekday[6] > 1.2 * per_weekday[1]  # Saturdays are busier than Mondays
    hours = dict(con.execute("SELECT hour(order_ts), count(*) FROM orders GROUP BY 1").fetchall())
    assert min(hours) >= 7 and max(hours) <= 21  # store hours 07:00-22:00
    assert hours[18] > 2 * hours[7]  # evening rush beats opening hour


def test_product_popularity_is_skewed(con: duckdb.DuckDBPyConnection) -> None:
    share = scalar(
        con,
        """
        WITH units AS (SELECT product_id, sum(qty) AS u FROM order_items GROUP BY 1),
             ranked AS (SELECT u, row_number() OVER (ORDER BY u DESC) AS r, count(*) OVER () AS n FROM units)
        SELECT sum(u) FILTER (WHERE r <= n / 10) / sum(u) FROM ranked
        """,
    )
    assert share > 0.35  # the top tenth of products sells over a third of the units


def test_promotions_lift_the_promoted_products_sales(con: duckdb.DuckDBPyConnection) -> None:
    lift = scalar(
        con,
        """
        WITH promo_days AS (
            SELECT p.product_id, d::DATE AS d FROM promotions p,
                   generate_series(p.start_date, p.end_date, INTERVAL 1 DAY) AS t(d)),
        daily AS (
            SELECT i.product_id, CAST(o.order_ts AS DATE) AS d, sum(i.qty) AS units
            FROM order_items i JOIN orders o USING (order_id)
            WHERE i.product_id IN (SELECT product_id FROM promotions) GROUP BY ALL),
        grid AS (
            SELECT s.product_id, s.snapshot_date AS d, coalesce(max(daily.units), 0) AS units,
                   bool_or(pd.product_id IS NOT NULL) AS promoted
            FROM (SELECT DISTINCT product_id, snapshot_date FROM inventory_snapshots
                  WHERE product_id IN (SELECT product_id FROM promotions)) s
            LEFT JOIN daily ON daily.product_id = s.product_id AND daily.d = s.snapshot_date
            LEFT JOIN promo_days pd ON pd.product_id = s.product_id AND pd.d = s.snapshot_date
            GROUP BY ALL)
        SELECT avg(units) FILTER (WHERE promoted) / avg(units) FILTER (WHERE NOT promoted) FROM grid
        """,
    )
    assert lift > 1.3


def test_customers_mostly_shop_in_their_home_region(con: duckdb.DuckDBPyConnection) -> None:
    share = scalar(
        con,
        """
        SELECT avg(CASE WHEN c.home_region = s.region THEN 1 ELSE 0 END)
        FROM orders o JOIN customers c USING (customer_id) JOIN stores s ON s.store_id = o.store_id
        """,
    )
    assert share > 0.8


def test_segments_differ_in_frequency_and_basket(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        WITH baskets AS (SELECT order_id, count(*) AS lines FROM order_items GROUP BY 1)
        SELECT c.segment,
               count(*) / any_value(n.customers) AS orders_per_customer,
               avg(b.lines) AS lines_per_order,
               avg(o.order_total / b.lines) AS value_per_line
        FROM orders o JOIN customers c USING (customer_id) JOIN baskets b USING (order_id)
        JOIN (SELECT segment, count(*) AS customers FROM customers GROUP BY 1) n ON n.segment = c.segment
        GROUP BY c.segment
        """
    ).fetchall()
    by_segment = {segment: (freq, lines, value) for segment, freq, lines, value in rows}
    assert set(by_segment) == {"casual", "loyal", "bargain", "premium"}
    assert by_segment["loyal"][0] > 2 * by_segment["casual"][0]
    assert by_segment["loyal"][1] > by_segment["casual"][1] + 0.8
    assert by_segment["premium"][2] > by_segment["bargain"][2]


def test_orders_follow_signups_and_openings(con: duckdb.DuckDBPyConnection) -> None:
    early = """
        SELECT count(*) FROM orders o JOIN customers c USING (customer_id) JOIN stores s ON s.store_id = o.store_id
        WHERE o.order_ts <= c.signup_ts OR CAST(o.order_ts AS DATE) < s.opened_date
    """
    assert scalar(con, early) == 0
    # Customers who signed up inside the window do order, later.
    assert (
        scalar(
            con,
            "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) "
            "WHERE c.signup_ts >= (SELECT min(order_ts) FROM orders)",
        )
        > 0
    )


def test_volumes_match_the_presets(tmp_path: Path) -> None:
    manifest = generate(GenerateOptions(output_dir=tmp_path / "small"))
    rows = {name: table.rows for name, table in manifest.tables.items()}
    assert (rows["stores"], rows["products"], rows["customers"]) == (10, 200, 2000)
    assert 3_600 <= rows["orders"] <= 4_400  # "~4K orders" in the default 14 days
    assert rows["inventory_snapshots"] <= 10 * 200 * 14
    longer = generate(GenerateOptions(output_dir=tmp_path / "longer", days=28))
    assert 1.8 < longer.tables["orders"].rows / rows["orders"] < 2.2  # a daily rate: twice the days


def test_columns_have_real_types(behaviour_dataset: Path) -> None:
    orders = ds.dataset(behaviour_dataset / "orders").schema
    assert str(orders.field("order_ts").type) == "timestamp[us]"
    assert str(orders.field("order_total").type) == "decimal128(12, 2)"
    snapshots = ds.dataset(behaviour_dataset / "inventory_snapshots").schema
    assert str(snapshots.field("snapshot_date").type) == "date32[day]"
    items = ds.dataset(behaviour_dataset / "order_items").schema
    assert str(items.field("qty").type) == "int16"
