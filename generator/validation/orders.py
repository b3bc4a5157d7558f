"""Checks of orders and their lines: line numbering, timing, totals, promotions and the prices in force."""

from __future__ import annotations

from datetime import date

from generator.manifest import MANIFEST_NAME
from generator.validation.engine import Check, Group


def order_groups(window: tuple[date, date] | None) -> list[Group]:
    """Order lines, order timing and order totals."""
    if window is None:
        window_check = Check(
            "order_date_in_window",
            f"SKIPPED: no {MANIFEST_NAME}, so the date window is unknown (would check that "
            "CAST(order_ts AS DATE) lies within [start_date, end_date] of the manifest parameters).",
            "false",
            ("order_id",),
        )
    else:
        start, end = window
        window_check = Check(
            "order_date_in_window",
            f"CAST(order_ts AS DATE) lies within the manifest window [{start}, {end}]; counts orders.",
            f"order_date NOT BETWEEN DATE '{start}' AND DATE '{end}'",
            ("order_id", "order_date"),
        )
    line_key = ("order_id", "line_number")
    return [
        Group(
            ("orders", "order_items"),
            "SELECT o.order_id FROM orders o ANTI JOIN order_items i ON i.order_id = o.order_id",
            (
                Check(
                    "orders_have_lines",
                    "Every order has at least one line; counts orders.",
                    "true",
                    ("order_id",),
                ),
            ),
        ),
        Group(
            ("order_items",),
            "SELECT order_id, sum(n) AS n, min(line_number) AS first_line, max(line_number) AS last_line, "
            "max(n) AS max_repeat FROM (SELECT order_id, line_number, count(*) AS n FROM order_items "
            "GROUP BY order_id, line_number) GROUP BY order_id",
            (
                Check(
                    "line_numbers_contiguous",
                    "The line_numbers of an order are exactly 1..k (start at 1, no gap, no repeat); counts orders.",
                    "NOT (first_line = 1 AND last_line = n AND max_repeat = 1)",
                    ("order_id",),
                ),
            ),
        ),
        Group(
            ("order_items",),
            "SELECT order_id, max(n) AS max_repeat FROM (SELECT order_id, product_id, count(*) AS n "
            "FROM order_items WHERE product_id IS NOT NULL GROUP BY order_id, product_id) GROUP BY order_id",
            (
                Check(
                    "product_once_per_order",
                    "A product appears on at most one line of an order; counts orders.",
                    "max_repeat > 1",
                    ("order_id",),
                ),
            ),
        ),
        Group(
            ("orders", "customers", "stores"),
            "SELECT o.order_id, o.order_ts, CAST(o.order_ts AS DATE) AS order_date, c.signup_ts, s.opened_date, "
            "s.closed_date FROM orders o LEFT JOIN customers c ON c.customer_id = o.customer_id "
            "LEFT JOIN stores s ON s.store_id = o.store_id",
            (
                Check(
                    "order_after_signup",
                    "orders.order_ts >= customers.signup_ts of the order's customer; counts orders.",
                    "order_ts < signup_ts",
                    ("order_id", "order_ts", "signup_ts"),
                ),
                Check(
                    "order_in_open_store",
                    "CAST(orders.order_ts AS DATE) is on or after stores.opened_date of the order's store and "
                    "before its closed_date (if any); counts orders.",
                    "order_date < opened_date OR order_date >= closed_date",
                    ("order_id", "order_date", "opened_date", "closed_date"),
                ),
                window_check,
            ),
        ),
        Group(
            ("orders", "order_items"),
            "SELECT o.order_id, o.order_total, "
            "CAST(o.order_total * 100 AS HUGEINT) AS total_cents, "
            "(CAST(l.subtotal * 100 AS HUGEINT) * (10000 - CAST(o.discount_pct * 100 AS INTEGER)) + 5000) "
            "// 10000 AS expected_cents "
            "FROM orders o JOIN (SELECT order_id, SUM(extended_price) AS subtotal FROM order_items "
            "GROUP BY order_id) l ON l.order_id = o.order_id",
            (
                Check(
                    "order_total",
                    "orders.order_total = sum(extended_price) * (100 - discount_pct) / 100 rounded half-up to "
                    "the cent, exactly (checked in integer cents); counts orders.",
                    "total_cents <> expected_cents",
                    ("order_id", "order_total", "expected_cents"),
                ),
            ),
        ),
        Group(
            ("promotions",),
            "SELECT promo_id, product_id, start_date, max(end_date) OVER (PARTITION BY product_id "
            "ORDER BY start_date, promo_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end "
            "FROM promotions",
            (
                Check(
                    "promotion_no_overlap",
                    "A product has at most one active promotion on any day (no two promotion date ranges of "
                    "a product overlap); counts promotions that start before an earlier one ends.",
                    "start_date <= earlier_end",
                    ("promo_id", "product_id"),
                ),
            ),
        ),
        Group(
            ("orders", "order_items", "promotions", "products"),
            "WITH lines AS (SELECT i.order_id, i.line_number, i.product_id, i.promo_id, i.list_price, i.unit_price, "
            "CAST(o.order_ts AS DATE) AS order_date FROM order_items i JOIN orders o ON o.order_id = i.order_id), "
            "active AS (SELECT l.order_id, l.line_number, count(*) AS n_active, "
            "min(p.discount_pct) AS active_discount, bool_or(p.promo_id = l.promo_id) AS line_promo_active "
            "FROM lines l JOIN promotions p ON p.product_id = l.product_id "
            "AND l.order_date BETWEEN p.start_date AND p.end_date GROUP BY l.order_id, l.line_number) "
            "SELECT l.*, a.n_active, a.line_promo_active, pr.base_price, pr.price_valid_from, pr.launched_date, "
            "pr.discontinued_date, CAST(l.unit_price * 100 AS BIGINT) AS price_cents, "
            "CASE WHEN a.n_active IS NULL THEN CAST(l.list_price * 100 AS BIGINT) "
            "ELSE (CAST(l.list_price * 100 AS BIGINT) * (10000 - CAST(a.active_discount * 100 AS BIGINT)) "
            "+ 5000) // 10000 END AS expected_cents "
            "FROM lines l LEFT JOIN active a ON a.order_id = l.order_id AND a.line_number = l.line_number "
            "LEFT JOIN products pr ON pr.product_id = l.product_id",
            (
                Check(
                    "promotion_applied",
                    "order_items.promo_id is set exactly when a promotion of the line's product covers "
                    "CAST(order_ts AS DATE) (start_date <= day <= end_date), and then it is that promotion; "
                    "counts lines.",
                    "CASE WHEN promo_id IS NULL THEN n_active IS NOT NULL "
                    "ELSE NOT coalesce(line_promo_active, false) END",
                    line_key + ("product_id", "promo_id", "order_date"),
                ),
                Check(
                    "unit_price",
                    "order_items.unit_price = list_price * (100 - discount_pct) / 100 rounded half-up to the "
                    "cent with the promotion active for the product on the order day, else list_price "
                    "(checked in integer cents); counts lines.",
                    "price_cents <> expected_cents",
                    line_key + ("list_price", "unit_price", "expected_cents"),
                ),
                Check(
                    "list_price_current",
                    "order_items.list_price = products.base_price for orders on or after the product's "
                    "price_valid_from (the price then in force); counts lines.",
                    "order_date >= price_valid_from AND list_price <> base_price",
                    line_key + ("order_date", "list_price", "base_price", "price_valid_from"),
                ),
                Check(
                    "product_on_sale",
                    "Lines sell a product only from its launched_date and before its discontinued_date (if "
                    "any); counts lines.",
                    "order_date < launched_date OR order_date >= discontinued_date",
                    line_key + ("product_id", "order_date", "launched_date", "discontinued_date"),
                ),
            ),
        ),
        Group(
            ("orders", "order_items"),
            "SELECT i.product_id, CAST(o.order_ts AS DATE) AS order_date, count(DISTINCT i.list_price) AS prices "
            "FROM order_items i JOIN orders o ON o.order_id = i.order_id GROUP BY ALL",
            (
                Check(
                    "list_price_one_per_day",
                    "All lines of a product on one day have the same list_price (a price change takes effect "
                    "for a whole day); counts (product, day) pairs.",
                    "prices > 1",
                    ("product_id", "order_date"),
                ),
            ),
        ),
    ]
