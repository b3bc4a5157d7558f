"""Stock, day by day: each (store, product) sells at most what it has on hand at opening, in order-time
order, and lines beyond that are lost sales. Reorders are placed at the reorder point and arrive after
the product's lead time.

The stock at the end of a run is its `StockState`, saved beside the dataset, so a later run continues
from it: appending days to a dataset gives the rows one longer run gives.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from generator.activity.demand import DayLines, StoreGroupDemand
from generator.activity.rows import BlockStock, activity_table, served_orders, snapshot_table
from generator.manifest import STATE_FOLDER
from generator.plan import DAYS_PER_BLOCK, Chunk
from generator.rng import Column, Family, stream
from generator.schema import INVENTORY_SNAPSHOTS, ORDER_ITEMS, ORDERS
from generator.spec import DatasetSpec

SERVICE_Z = 1.65
REVIEW_DAYS = 7
MIN_REORDER_QTY = 4

#: The rows of a block of days for one store group: {table name: rows} for the activity family.
ActivityBlock = dict[str, pa.Table]


class StockStateError(ValueError):
    """A saved stock state that does not continue the run asked for (another dataset's, or stale)."""


@dataclass
class StockState:
    """The stock of every pair of a store group when `next_day` opens (int32, as the snapshots write it:
    half the bytes of int64 in every step of a day)."""

    next_day: int
    on_hand: np.ndarray
    on_order: np.ndarray
    arrivals: np.ndarray  # (ring, pairs): units due on day d are in row d % ring

    def to_bytes(self) -> bytes:
        """The state as the bytes of one .npz file (numpy only, so any cluster can read it back; Spark
        keeps them in a table)."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            next_day=np.int64(self.next_day),
            on_hand=self.on_hand.astype(np.int32),
            on_order=self.on_order.astype(np.int32),
            arrivals=self.arrivals.astype(np.int32),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> StockState:
        with np.load(io.BytesIO(data)) as saved:
            stock = (saved[name].astype(np.int32) for name in ("on_hand", "on_order", "arrivals"))
            return cls(int(saved["next_day"]), *stock)

    def save(self, path: Path) -> None:
        """Write the state as one .npz file beside the dataset."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> StockState:
        return cls.from_bytes(path.read_bytes())


def state_file(part: int) -> str:
    """Where an activity chunk's stock state lives, relative to the dataset folder."""
    return f"{STATE_FOLDER}/activity-part-{part:05d}.npz"


class StoreGroupSimulation:
    """One activity chunk: its demand, its stock policy and its stock, run over a range of days."""

    def __init__(self, chunk: Chunk, spec: DatasetSpec, state: StockState | None = None) -> None:
        self.demand = demand = StoreGroupDemand(chunk, spec)
        self.history_start = spec.first_day
        self.store_ids = demand.store_index + 1
        mu = demand.mean_daily_units()
        self.lead_time = demand.products.lead_time[demand.pair_product]
        self.safety_stock = (np.ceil(SERVICE_Z * np.sqrt(mu * self.lead_time)) + 1).astype(np.int32)
        self.reorder_point = (np.ceil(mu * self.lead_time) + self.safety_stock).astype(np.int32)
        self.reorder_qty = np.maximum(MIN_REORDER_QTY, np.ceil(mu * REVIEW_DAYS)).astype(np.int32)
        if state is None:
            start_rng = stream(spec.seed, Family.ACTIVITY, Column.INITIAL_STOCK, chunk.part)
            on_hand = self.reorder_point + 1 + np.floor(start_rng.random(demand.n_pairs) * self.reorder_qty)
            state = StockState(
                next_day=spec.first_day,
                on_hand=on_hand.astype(np.int32),
                on_order=np.zeros(demand.n_pairs, dtype=np.int32),
                arrivals=np.zeros((int(self.lead_time.max()) + 1, demand.n_pairs), dtype=np.int32),
            )
        elif state.on_hand.shape != (demand.n_pairs,) or len(state.arrivals) != int(self.lead_time.max()) + 1:
            raise StockStateError(
                f"the saved stock of activity part {chunk.part} holds {state.on_hand.shape[0]} store-product "
                f"pairs, this dataset's parameters have {demand.n_pairs}; it belongs to another dataset"
            )
        self.state = state
        #: Unsigned 16 bits sort by radix: pair numbers fit in a chunk of PAIRS_PER_ACTIVITY_CHUNK.
        self.pair_key = np.uint16 if demand.n_pairs <= 1 << 16 else np.int64
        #: The columns of a snapshot row that belong to the pair, whatever the day (int32, as written).
        self.pair_columns = {
            name: values.astype(np.int32)
            for name, values in (
                ("store_id", self.store_ids[demand.pair_store]),
                ("product_id", demand.pair_product + 1),
                ("safety_stock", self.safety_stock),
                ("reorder_point", self.reorder_point),
                ("reorder_qty", self.reorder_qty),
            )
        }

    def run(self, first_day: int, last_day: int) -> Iterator[ActivityBlock]:
        """Simulate days first_day..last_day (continuing the state), one block of days at a time;
        each block's rows are final when yielded, and `state` is then where the block left off."""
        if first_day != self.state.next_day:
            raise StockStateError(
                f"the saved stock continues on day {self.state.next_day}, the run starts on day {first_day}"
            )
        demand = self.demand
        for block_start in range(first_day, last_day + 1, DAYS_PER_BLOCK):
            days = np.arange(block_start, min(block_start + DAYS_PER_BLOCK, last_day + 1))
            stock = BlockStock(days, demand.n_pairs)
            stock.active[:] = demand.active(days[:, None])
            orders, lines = demand.block(days.tolist(), stock.active)
            kept = [self._day(day, stock, index, lines[index]) for index, day in enumerate(days.tolist())]
            order_columns, item_columns = served_orders(
                orders, lines, kept, self.store_ids, demand.pair_product, block_start - self.history_start
            )
            yield {
                ORDERS.name: activity_table(ORDERS, order_columns),
                ORDER_ITEMS.name: activity_table(ORDER_ITEMS, item_columns),
                INVENTORY_SNAPSHOTS.name: snapshot_table(stock, self.pair_columns),
            }

    def _day(self, day: int, stock: BlockStock, index: int, lines: DayLines) -> np.ndarray:
        """One day (row `index` of the block): serve the lines from the opening stock, which goes into the
        block's `stock`, take in deliveries, place reorders. Which lines were served."""
        state, demand = self.state, self.demand
        active = stock.active[index]
        # Serve lines per pair in order-time order while stock lasts (the lines are in (order, pair) order).
        by_pair = np.argsort(lines.pair.astype(self.pair_key), kind="stable")
        sorted_pair, sorted_qty = lines.pair[by_pair], lines.qty[by_pair]
        running = np.cumsum(sorted_qty)
        starts = np.ones(len(sorted_pair), dtype=bool)
        starts[1:] = sorted_pair[1:] != sorted_pair[:-1]
        before = np.maximum.accumulate(np.where(starts, running - sorted_qty, 0))
        served = (running - before) <= state.on_hand[sorted_pair]
        kept = np.zeros(len(lines.pair), dtype=bool)
        kept[by_pair] = served
        sold = np.bincount(sorted_pair, weights=sorted_qty * served, minlength=demand.n_pairs).astype(np.int32)

        ring = len(state.arrivals)
        received = state.arrivals[day % ring] * active
        state.arrivals[day % ring] = 0
        stock.on_hand[index], stock.on_order[index], stock.received[index] = state.on_hand, state.on_order, received
        position = state.on_hand - sold + state.on_order
        reordered = np.flatnonzero(active & (position <= self.reorder_point))
        placed = self.reorder_qty[reordered]
        state.on_hand = state.on_hand - sold + received
        state.on_order = state.on_order - received
        state.on_order[reordered] += placed
        state.arrivals[(day + self.lead_time[reordered]) % ring, reordered] += placed
        state.next_day = day + 1
        return kept
