"""The activity tables as Arrow: a day's served orders numbered and totalled, then a block of days
turned into orders, order_items or inventory_snapshots rows by the types of the table's schema."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from generator.activity.demand import DayLines, DayOrders
from generator.calendar import MICROS_PER_SECOND
from generator.catalog import PAYMENT_TYPES
from generator.money import apply_discount, cents_to_decimal
from generator.schema import ORDER_ID_DAY, ORDER_ID_STORE, TableDefinition

#: Numpy columns of one table, by column name.
Columns = dict[str, np.ndarray]


def served_orders(
    orders: DayOrders,
    lines: DayLines,
    kept: np.ndarray,
    store_ids: np.ndarray,
    pair_product: np.ndarray,
    day_index: int,
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
        "product_id": pair_product[lines.pair[kept]] + 1,
        "promo_id": lines.promo_id[kept],
        "qty": qty,
        "list_price": lines.list_cents[kept],
        "unit_price": unit_cents,
        "extended_price": extended,
    }
    return order_columns, item_columns


#: The labels of the activity tables' text columns, which the simulation keeps as small codes.
LABELS = {"payment_type": PAYMENT_TYPES}


def _arrow(field: pa.Field, values: np.ndarray) -> pa.Array:
    """One numpy column as the Arrow type of its field: cents as decimals, day and microsecond numbers as
    dates and timestamps, codes as their labels, 0 as null in a nullable id."""
    type_ = field.type
    if pa.types.is_decimal(type_):
        return cents_to_decimal(values, type_)
    if pa.types.is_timestamp(type_):
        return pa.array(values, pa.int64()).cast(type_)
    if pa.types.is_date32(type_):
        return pa.array(values, pa.int32()).cast(type_)
    if pa.types.is_string(type_):
        labels = pa.array(LABELS[field.name], pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(values, pa.int8()), labels).cast(pa.string())
    return pa.array(values, type_, mask=values == 0 if field.nullable else None)


def block_table(table: TableDefinition, days: list[Columns]) -> pa.Table:
    """The rows of one activity table for a block of days."""
    if not days:
        return table.schema.empty_table()
    columns = {name: np.concatenate([day[name] for day in days]) for name in table.schema.names}
    return pa.table({field.name: _arrow(field, columns[field.name]) for field in table.schema}, schema=table.schema)
