"""The inventory checks in one pass: snapshots full-joined to daily sales, then LAG/LEAD per series."""

from __future__ import annotations

from datetime import date

from generator.manifest import MANIFEST_NAME
from generator.schema import TABLES
from generator.validation.engine import Check, Group, null_condition


def _sold_sql() -> str:
    """Units sold per store, product and order date."""
    return (
        "SELECT o.store_id, i.product_id, CAST(o.order_ts AS DATE) AS sale_date, SUM(i.qty) AS sold "
        "FROM order_items i JOIN orders o ON o.order_id = i.order_id "
        "GROUP BY o.store_id, i.product_id, CAST(o.order_ts AS DATE)"
    )


def inventory_group(window: tuple[date, date] | None) -> Group:
    """All inventory checks in one pass: snapshots full-joined to daily sales, then LAG/LEAD per series."""
    table = TABLES["inventory_snapshots"]
    required = [f.name for f in table.schema if not f.nullable]
    key = ("store_id", "product_id", "snapshot_date")
    snap = "_snap IS NOT NULL"
    if window is None:
        window_check = Check(
            "snapshot_in_window",
            f"SKIPPED: no {MANIFEST_NAME}, so the date window is unknown (would check that every "
            "snapshot_date lies within [start_date, end_date]).",
            "false",
            key,
        )
    else:
        start, end = window
        window_check = Check(
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
        "st.opened_date, st.closed_date, pr.launched_date, pr.discontinued_date, "
        "next_date = series.snapshot_date + 1 AS has_next, "
        "on_hand - sold + on_order AS position, next_on_order - on_order + received_qty AS placed "
        "FROM series LEFT JOIN stores st ON st.store_id = series.store_id "
        "LEFT JOIN products pr ON pr.product_id = series.product_id"
    )
    pk_null = null_condition(["snapshot_date", "store_id", "product_id"])
    checks = (
        Check(
            "not_null_inventory_snapshots",
            "No null in the required columns of inventory_snapshots (all of them); counts rows.",
            f"{snap} AND ({null_condition(required)})",
            key,
        ),
        Check(
            "pk_inventory_snapshots",
            "Primary key (snapshot_date, store_id, product_id) of inventory_snapshots is unique and not "
            "null; counts each duplicated key once plus every row with a null key column.",
            f"{snap} AND (({pk_null}) OR (next_date = snapshot_date AND prev_date IS DISTINCT FROM snapshot_date))",
            key,
        ),
        Check(
            "inventory_non_negative",
            "on_hand, on_order and received_qty are never negative; counts snapshot rows.",
            f"{snap} AND (on_hand < 0 OR on_order < 0 OR received_qty < 0)",
            key + ("on_hand", "on_order", "received_qty"),
        ),
        Check(
            "inventory_no_oversell",
            "Units sold of a product at a store on a day (sum of order_items.qty by CAST(order_ts AS "
            "DATE)) never exceed the opening on_hand of that day; counts snapshot rows.",
            f"{snap} AND sold > on_hand",
            key + ("on_hand", "sold"),
        ),
        Check(
            "inventory_flow",
            "For consecutive days d, d+1 of a (store, product): on_hand(d+1) = on_hand(d) - sold(d) + "
            "received_qty(d), where sold(d) sums order_items.qty of that store's orders on day d; "
            "counts day pairs.",
            f"{snap} AND has_next AND next_on_hand <> on_hand - sold + received_qty",
            key + ("on_hand", "sold", "received_qty", "next_on_hand"),
        ),
        Check(
            "inventory_reorder_rule",
            "For consecutive days d, d+1: units placed on day d = on_order(d+1) - on_order(d) + "
            "received_qty(d) equal reorder_qty(d) when the end-of-day position on_hand(d) - sold(d) + "
            "on_order(d) <= reorder_point(d), else 0; counts day pairs.",
            f"{snap} AND has_next AND placed <> CASE WHEN position <= reorder_point THEN reorder_qty ELSE 0 END",
            key + ("position", "reorder_point", "reorder_qty", "placed"),
        ),
        Check(
            "inventory_received_le_on_order",
            "received_qty(d) <= on_order(d): a delivery only brings units that were on order; counts snapshot rows.",
            f"{snap} AND received_qty > on_order",
            key + ("received_qty", "on_order"),
        ),
        Check(
            "inventory_days_contiguous",
            "The snapshot dates of a (store, product) have no gap (every day from its first to its last "
            "snapshot); counts gaps.",
            f"{snap} AND next_date > snapshot_date + 1",
            key + ("next_date",),
        ),
        Check(
            "sales_have_snapshot",
            "Every (store, product, day) with sales has an inventory_snapshots row: a store only sells "
            "what it carries; counts such (store, product, day) triples without a snapshot.",
            "_snap IS NULL",
            key + ("sold",),
        ),
        window_check,
        Check(
            "snapshot_while_trading",
            "A snapshot exists only while its store is open (opened_date <= day < closed_date) and its product "
            "on sale (launched_date <= day < discontinued_date); counts snapshot rows.",
            f"{snap} AND (snapshot_date < opened_date OR snapshot_date >= closed_date "
            "OR snapshot_date < launched_date OR snapshot_date >= discontinued_date)",
            key + ("opened_date", "closed_date", "launched_date", "discontinued_date"),
        ),
    )
    return Group(
        ("inventory_snapshots", "orders", "order_items", "stores", "products"),
        relation,
        checks,
        setup=(f"CREATE OR REPLACE TEMP TABLE _sold AS {_sold_sql()}",),
    )
