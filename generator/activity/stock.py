"""Stock, day by day: each (store, product) sells at most what it has on hand at opening, in order-time
order, and lines beyond that are lost sales. Reorders are placed at the reorder point and arrive after
the product's lead time.

The stock at the end of a run is its `StockState`, saved beside the dataset, so a later run continues
from it: appending days to a dataset gives the rows one longer run gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from generator.activity.demand import StoreGroupDemand
from generator.activity.rows import Columns, block_table, served_orders
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
    """The stock of every pair of a store group when `next_day` opens."""

    next_day: int
    on_hand: np.ndarray
    on_order: np.ndarray
    arrivals: np.ndarray  # (ring, pairs): units due on day d are in row d % ring

    def save(self, path: Path) -> None:
        """Write the state as one .npz file (numpy only, so any cluster can read it back)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez(
                handle,
                next_day=np.int64(self.next_day),
                on_hand=self.on_hand.astype(np.int32),
                on_order=self.on_order.astype(np.int32),
                arrivals=self.arrivals.astype(np.int32),
            )

    @classmethod
    def load(cls, path: Path) -> StockState:
        with np.load(path) as saved:
            stock = (saved[name].astype(np.int64) for name in ("on_hand", "on_order", "arrivals"))
            return cls(int(saved["next_day"]), *stock)


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
        self.safety_stock = (np.ceil(SERVICE_Z * np.sqrt(mu * self.lead_time)) + 1).astype(np.int64)
        self.reorder_point = (np.ceil(mu * self.lead_time) + self.safety_stock).astype(np.int64)
        self.reorder_qty = np.maximum(MIN_REORDER_QTY, np.ceil(mu * REVIEW_DAYS)).astype(np.int64)
        if state is None:
            start_rng = stream(spec.seed, Family.ACTIVITY, Column.INITIAL_STOCK, chunk.part)
            on_hand = self.reorder_point + 1 + np.floor(start_rng.random(demand.n_pairs) * self.reorder_qty)
            state = StockState(
                next_day=spec.first_day,
                on_hand=on_hand.astype(np.int64),
                on_order=np.zeros(demand.n_pairs, dtype=np.int64),
                arrivals=np.zeros((int(self.lead_time.max()) + 1, demand.n_pairs), dtype=np.int64),
            )
        elif state.on_hand.shape != (demand.n_pairs,) or len(state.arrivals) != int(self.lead_time.max()) + 1:
            raise StockStateError(
                f"the saved stock of activity part {chunk.part} holds {state.on_hand.shape[0]} store-product "
                f"pairs, this dataset's parameters have {demand.n_pairs}; it belongs to another dataset"
            )
        self.state = state

    def run(self, first_day: int, last_day: int) -> Iterator[ActivityBlock]:
        """Simulate days first_day..last_day (continuing the state), one block of days at a time;
        each block's rows are final when yielded, and `state` is then where the block left off."""
        if first_day != self.state.next_day:
            raise StockStateError(
                f"the saved stock continues on day {self.state.next_day}, the run starts on day {first_day}"
            )
        for block_start in range(first_day, last_day + 1, DAYS_PER_BLOCK):
            orders: list[Columns] = []
            items: list[Columns] = []
            snapshots: list[Columns] = []
            for day in range(block_start, min(block_start + DAYS_PER_BLOCK, last_day + 1)):
                day_orders, day_items, snapshot = self._day(day)
                orders.append(day_orders)
                items.append(day_items)
                snapshots.append(snapshot)
            yield {
                ORDERS.name: block_table(ORDERS, orders),
                ORDER_ITEMS.name: block_table(ORDER_ITEMS, items),
                INVENTORY_SNAPSHOTS.name: block_table(INVENTORY_SNAPSHOTS, snapshots),
            }

    def _day(self, day: int) -> tuple[Columns, Columns, Columns]:
        """One day: serve the demand from the opening stock, take in deliveries, place reorders."""
        state, demand = self.state, self.demand
        active = demand.active(day)
        orders, lines = demand.day(day, active)
        # Serve lines per pair in order-time order while stock lasts.
        by_pair = np.lexsort((lines.order, lines.pair))
        sorted_pair, sorted_qty = lines.pair[by_pair], lines.qty[by_pair]
        running = np.cumsum(sorted_qty)
        starts = np.ones(len(sorted_pair), dtype=bool)
        starts[1:] = sorted_pair[1:] != sorted_pair[:-1]
        before = np.maximum.accumulate(np.where(starts, running - sorted_qty, 0))
        kept = np.zeros(len(lines.pair), dtype=bool)
        kept[by_pair] = (running - before) <= state.on_hand[sorted_pair]
        sold = np.bincount(lines.pair[kept], weights=lines.qty[kept], minlength=demand.n_pairs).astype(np.int64)

        ring = len(state.arrivals)
        received = state.arrivals[day % ring] * active
        state.arrivals[day % ring] = 0
        rows = np.flatnonzero(active)
        snapshot = {
            "snapshot_date": np.full(len(rows), day, dtype=np.int32),
            "store_id": self.store_ids[demand.pair_store[rows]],
            "product_id": demand.pair_product[rows] + 1,
            "on_hand": state.on_hand[rows],
            "on_order": state.on_order[rows],
            "safety_stock": self.safety_stock[rows],
            "reorder_point": self.reorder_point[rows],
            "reorder_qty": self.reorder_qty[rows],
            "received_qty": received[rows],
        }
        position = state.on_hand - sold + state.on_order
        placed = np.where(active & (position <= self.reorder_point), self.reorder_qty, 0)
        state.on_hand = state.on_hand - sold + received
        state.on_order = state.on_order - received + placed
        state.arrivals[(day + self.lead_time) % ring, np.arange(demand.n_pairs)] += placed
        state.next_day = day + 1
        order_columns, item_columns = served_orders(
            orders, lines, kept, self.store_ids, demand.pair_product, day - self.history_start
        )
        return order_columns, item_columns, snapshot
