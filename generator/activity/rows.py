"""The activity tables as Arrow: a block of days' served orders numbered and totalled, and its orders,
order_items or inventory_snapshots rows built by the types of the table's schema."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from generator.activity.demand import BlockOrders, DayLines
from generator.arrays import labels, numbers
from generator.calendar import MICROS_PER_SECOND
from generator.catalog import PAYMENT_TYPES
from generator.money import apply_discount, cents_to_decimal
from generator.schema import INVENTORY_SNAPSHOTS, ORDER_ID_DAY, ORDER_ID_STORE, TableDefinition

#: Numpy columns of one table, by column name.
Columns = dict[str, np.ndarray]


def position_in_runs(keys: np.ndarray) -> np.ndarray:
    """Each entry's place (from 0) in its run of equal sorted `keys`: one pass, where a search of the
    keys in themselves costs a log factor."""
    index = np.arange(len(keys))
    starts = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    return index - np.maximum.accumulate(np.where(starts, index, 0))


def served_orders(
    orders: BlockOrders,
    day_lines: list[DayLines],
    kept: list[np.ndarray],
    store_ids: np.ndarray,
    pair_product: np.ndarray,
    first_day_index: int,
) -> tuple[Columns, Columns]:
    """The orders and lines of a block of days that stock could serve (`kept`: a mask of each day's
    lines; an order losing every line is not placed), with order ids (store, day since the history
    started, sequence in the store's day) and totals."""
    lines = DayLines(
        *(np.concatenate([getattr(day, name) for day in day_lines]) for name in DayLines.__dataclass_fields__)
    )
    served = np.concatenate(kept)
    line_order = lines.order[served]
    placed = np.zeros(len(orders.store), dtype=bool)
    placed[line_order] = True
    new_index = np.cumsum(placed) - 1
    line_order = new_index[line_order]
    store, day = orders.store[placed], orders.day[placed]
    sequence = position_in_runs(day * len(store_ids) + store) + 1
    store_id = store_ids[store]
    order_id = store_id * ORDER_ID_STORE + (first_day_index + day) * ORDER_ID_DAY + sequence

    qty = lines.qty[served]
    unit_cents = lines.unit_cents[served]
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
        "line_number": position_in_runs(line_order) + 1,
        "product_id": pair_product[lines.pair[served]] + 1,
        "promo_id": lines.promo_id[served],
        "qty": qty,
        "list_price": lines.list_cents[served],
        "unit_price": unit_cents,
        "extended_price": extended,
    }
    return order_columns, item_columns


#: The labels of the activity tables' text columns, which the simulation keeps as small codes.
LABELS = {"payment_type": PAYMENT_TYPES}


def _numpy_type(type_: pa.DataType) -> np.dtype:
    """How the simulation holds a column of this Arrow type: cents as int64, label codes as int8, day
    and microsecond numbers and integers as integers of the type's width (so no cast is left to Arrow)."""
    if pa.types.is_decimal(type_):
        return np.dtype(np.int64)
    if pa.types.is_string(type_):
        return np.dtype(np.int8)
    return np.dtype(f"int{type_.bit_width}")


def _arrow(field: pa.Field, values: np.ndarray) -> pa.Array:
    """One numpy column (of `_numpy_type`) as the Arrow type of its field: cents as decimals, codes as
    their labels, 0 as null in a nullable id, the other values as they are (no copy)."""
    type_ = field.type
    if pa.types.is_decimal(type_):
        return cents_to_decimal(values, type_)
    if pa.types.is_string(type_):
        return labels(LABELS[field.name], values)
    return numbers(values, type_, null=values == 0 if field.nullable else None)


def activity_table(table: TableDefinition, columns: Columns) -> pa.Table:
    """A table of numpy columns (any integer width), in the schema's order and types."""
    arrays = {f.name: _arrow(f, np.asarray(columns[f.name], dtype=_numpy_type(f.type))) for f in table.schema}
    return pa.table(arrays, schema=table.schema)


class BlockStock:
    """The opening stock of every pair on each day of a block (rows: days), as the snapshots write it."""

    def __init__(self, days: np.ndarray, pairs: int) -> None:
        self.days = days
        self.active = np.zeros((len(days), pairs), dtype=bool)
        self.on_hand, self.on_order, self.received = (np.zeros((len(days), pairs), dtype=np.int32) for _ in range(3))


def snapshot_table(stock: BlockStock, pair_columns: Columns) -> pa.Table:
    """inventory_snapshots of a block: each day's trading pairs in pair order, days in order."""
    active = stock.active
    columns = {
        "snapshot_date": np.repeat(stock.days.astype(np.int32), active.sum(axis=1)),
        **{name: np.broadcast_to(values, active.shape)[active] for name, values in pair_columns.items()},
        "on_hand": stock.on_hand[active],
        "on_order": stock.on_order[active],
        "received_qty": stock.received[active],
    }
    return activity_table(INVENTORY_SNAPSHOTS, columns)
