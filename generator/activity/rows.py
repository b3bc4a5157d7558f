"""The activity tables as Arrow: a day's served orders numbered and totalled, then a block of days
turned into orders, order_items and inventory_snapshots rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from generator.activity.demand import DayLines, DayOrders
from generator.calendar import MICROS_PER_SECOND
from generator.catalog import PAYMENT_TYPES
from generator.money import apply_discount, cents_to_decimal
from generator.schema import INVENTORY_SNAPSHOTS, ORDER_ID_DAY, ORDER_ID_STORE, ORDER_ITEMS, ORDERS

#: Numpy columns of one table, by column name.
Columns = dict[str, np.ndarray]


def served_orders(
    orders: DayOrders, lines: DayLines, kept: np.ndarray, store_ids: np.ndarray, day_index: int
) -> tuple[Columns, Columns]:
    """The orders and lines of one day that stock could serve (an order losing every line is not
    placed), with order ids (store, day since the history started, sequence) and totals."""
    line_order = lines.order[kept]
    placed = np.zeros(len(orders.store), dtype=bool)
    placed[line_order] = True
    new_index = np.cumsum(placed) - 1
    line_order = new_index[line_order]
    store = orders.store[placed]
    sequence = np.arange(len(store)) - np.searchsorted(store, store) + 1
    store_id = store_ids[store]
    order_id = store_id * ORDER_ID_STORE + day_index * ORDER_ID_DAY + sequence

    qty = lines.qty[kept]
    unit_cents = lines.unit_cents[kept]
    extended = qty * unit_cents
    subtotal = np.bincount(line_order, weights=extended, minlength=len(order_id)).astype(np.int64)
    discount_bp = orders.discount_bp[placed]
    order_columns = {
        "order_id": order_id,
        "store_id": store_id,
        "customer_id": orders.customer[placed] + 1,
        "order_ts": orders.seconds[placed] * MICROS_PER_SECOND,
        "payment_type": orders.payment[placed],
        "discount_pct": discount_bp,
        "order_total": apply_discount(subtotal, discount_bp),
    }
    item_columns = {
        "order_id": order_id[line_order],
        "line_number": np.arange(len(line_order)) - np.searchsorted(line_order, line_order) + 1,
        "pair": lines.pair[kept],
        "promo_id": lines.promo_id[kept],
        "qty": qty,
        "list_price": lines.list_cents[kept],
        "unit_price": unit_cents,
        "extended_price": extended,
    }
    return order_columns, item_columns


def _joined(days: list[Columns]) -> Columns:
    return {name: np.concatenate([day[name] for day in days]) for name in days[0]} if days else {}


def orders_table(days: list[Columns]) -> pa.Table:
    """orders rows of a block of days."""
    if not days:
        return ORDERS.schema.empty_table()
    c = _joined(days)
    money = ORDERS.schema.field("order_total").type
    return pa.table(
        {
            "order_id": pa.array(c["order_id"], pa.int64()),
            "store_id": pa.array(c["store_id"], pa.int32()),
            "customer_id": pa.array(c["customer_id"], pa.int32()),
            "order_ts": pa.array(c["order_ts"], pa.int64()).cast(pa.timestamp("us")),
            "payment_type": pa.DictionaryArray.from_arrays(
                pa.array(c["payment_type"], pa.int8()), pa.array(PAYMENT_TYPES, pa.string())
            ).cast(pa.string()),
            "discount_pct": cents_to_decimal(c["discount_pct"], ORDERS.schema.field("discount_pct").type),
            "order_total": cents_to_decimal(c["order_total"], money),
        },
        schema=ORDERS.schema,
    )


def items_table(days: list[Columns], pair_product: np.ndarray) -> pa.Table:
    """order_items rows of a block of days."""
    if not days:
        return ORDER_ITEMS.schema.empty_table()
    c = _joined(days)
    money = ORDER_ITEMS.schema.field("unit_price").type
    return pa.table(
        {
            "order_id": pa.array(c["order_id"], pa.int64()),
            "line_number": pa.array(c["line_number"], pa.int16()),
            "product_id": pa.array(pair_product[c["pair"]] + 1, pa.int32()),
            "promo_id": pa.array(c["promo_id"], pa.int32(), mask=c["promo_id"] == 0),
            "qty": pa.array(c["qty"], pa.int16()),
            "list_price": cents_to_decimal(c["list_price"], money),
            "unit_price": cents_to_decimal(c["unit_price"], money),
            "extended_price": cents_to_decimal(c["extended_price"], ORDER_ITEMS.schema.field("extended_price").type),
        },
        schema=ORDER_ITEMS.schema,
    )


def inventory_table(days: list[Columns]) -> pa.Table:
    """inventory_snapshots rows of a block of days."""
    if not days:
        return INVENTORY_SNAPSHOTS.schema.empty_table()
    c = _joined(days)
    arrays = {name: pa.array(c[name].astype(np.int32)) for name in INVENTORY_SNAPSHOTS.schema.names}
    arrays["snapshot_date"] = arrays["snapshot_date"].cast(pa.date32())
    return pa.table(arrays, schema=INVENTORY_SNAPSHOTS.schema)
