"""orders, order_items and inventory_snapshots: one store group simulated day by day.

Demand for a block of days is drawn at once (vectorized); stock is then applied day by day:
each (store, product) sells at most what it has on hand at opening, in order-time order, and
lines beyond that are lost sales (an order that loses every line is not placed). Reorders are
placed at the reorder point and arrive after the product's lead time.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np
import pyarrow as pa

from generator.calendar import MICROS_PER_SECOND, SECONDS_PER_DAY, day_number, day_of_year, weekday
from generator.catalog import PAYMENT_TYPES
from generator.customers import SEGMENT_SLOTS, customer_segment, segment_pattern, signup_timeline
from generator.money import apply_discount, cents_to_decimal
from generator.plan import Chunk, block_ranges
from generator.products import product_attributes
from generator.promotions import promotion_schedule
from generator.rng import Column, Family, stream
from generator.schema import INVENTORY_SNAPSHOTS, ORDER_ITEMS, ORDERS
from generator.spec import DatasetSpec
from generator.stores import store_attributes

# --- When people shop -------------------------------------------------------------------------
#: Relative order volume Monday..Sunday.
WEEKDAY_FACTOR = np.array([0.86, 0.88, 0.92, 0.98, 1.10, 1.24, 1.02])
OPEN_MINUTE, CLOSE_MINUTE = 7 * 60, 22 * 60


def _minute_profile(peaks: list[tuple[float, float, float]]) -> np.ndarray:
    """Cumulative distribution over minutes of the day: a floor plus Gaussian peaks (hour, width, height)."""
    minutes = np.arange(24 * 60, dtype=np.float64)
    weight = np.full(24 * 60, 0.35)
    for hour, width, height in peaks:
        weight += height * np.exp(-((((minutes / 60.0) - hour) / width) ** 2))
    weight[(minutes < OPEN_MINUTE) | (minutes >= CLOSE_MINUTE)] = 0.0
    cdf = np.cumsum(weight)
    return cdf / cdf[-1]


WEEKDAY_MINUTES = _minute_profile([(8.3, 0.6, 0.5), (12.5, 0.8, 1.0), (17.8, 1.3, 1.6)])
WEEKEND_MINUTES = _minute_profile([(11.5, 2.2, 1.2), (15.0, 1.8, 0.9)])

# --- Who shops --------------------------------------------------------------------------------
HOME_STORE_SHARE = 0.75
HOME_REGION_SHARE = 0.15  # the rest shop anywhere
#: Orders per customer, relative: casual, loyal, bargain, premium.
SEGMENT_FREQUENCY = np.array([1.0, 3.0, 1.5, 2.0])
#: Mean lines per order by segment.
SEGMENT_BASKET = np.array([2.2, 3.6, 2.9, 3.0])
MAX_LINES = 25
#: Payment mix by segment over credit_card, debit_card, cash, mobile_wallet, gift_card.
PAYMENT_MIX = np.array(
    [
        [0.38, 0.30, 0.17, 0.12, 0.03],
        [0.40, 0.22, 0.08, 0.27, 0.03],
        [0.22, 0.38, 0.30, 0.07, 0.03],
        [0.62, 0.12, 0.04, 0.19, 0.03],
    ]
)
#: Order-level discount by segment: chance and size (basis points of 1%: 500 = 5%).
ORDER_DISCOUNT_CHANCE = np.array([0.03, 0.20, 0.06, 0.10])
ORDER_DISCOUNT_BP = np.array([500, 500, 1000, 1000])

# --- What they buy ----------------------------------------------------------------------------
#: Demand multiplier per unit of discount (25% off and lift 4 -> twice the demand).
PROMO_LIFT = 4.0
BARGAIN_PROMO_LIFT = 8.0
PREMIUM_PRICE_ELASTICITY = 0.5
BARGAIN_PRICE_ELASTICITY = -0.3

# --- How stock is kept ------------------------------------------------------------------------
SERVICE_Z = 1.65
REVIEW_DAYS = 7
MIN_REORDER_QTY = 4
MAX_ORDERS_PER_STORE_DAY = 9_999  # order_id leaves four digits for the sequence
ORDER_ID_STORE = 10_000_000
ORDER_ID_DAY = 10_000


#: The rows of a block of days for one store group: {table name: rows} for the activity family.
ActivityBlock = dict[str, pa.Table]


@lru_cache(maxsize=4)
def _daily_volume(spec: DatasetSpec) -> np.ndarray:
    """Relative order volume per window day (weekday and holiday season), averaging 1 over the window."""
    days = np.arange(day_number(spec.start_date), day_number(spec.start_date) + spec.days)
    doy = day_of_year(days)
    season = 1.0 + 0.30 * np.exp(-(((doy - 354) / 8.0) ** 2)) + 0.20 * np.exp(-(((doy - 332) / 2.0) ** 2))
    volume = WEEKDAY_FACTOR[weekday(days)] * season
    return volume / volume.mean()


def _segment_mean_lines(pattern: np.ndarray) -> float:
    """Expected lines per order over the segment mix of orders."""
    order_share = np.array(SEGMENT_SLOTS) * SEGMENT_FREQUENCY
    return float((order_share * SEGMENT_BASKET).sum() / order_share.sum())


def _assortment(spec: DatasetSpec, store: int) -> np.ndarray:
    """Sorted product indexes a store carries: a popularity-weighted sample without replacement."""
    volumes = spec.volumes
    if volumes.assortment >= volumes.products:
        return np.arange(volumes.products, dtype=np.int64)
    popularity = product_attributes(spec).popularity
    gumbel = stream(spec.seed, Family.ACTIVITY, Column.ASSORTMENT, store).gumbel(size=volumes.products)
    keys = np.log(popularity) + gumbel
    return np.sort(np.argpartition(-keys, volumes.assortment - 1)[: volumes.assortment])


class StoreGroupSimulation:
    """State and parameters of one activity chunk: the pairs (store, product) it simulates."""

    def __init__(self, chunk: Chunk, spec: DatasetSpec) -> None:
        self.chunk = chunk
        self.config = spec
        self.stores = store_attributes(spec)
        self.products = product_attributes(spec)
        self.schedule = promotion_schedule(spec)
        self.timeline = signup_timeline(spec)
        self.pattern = segment_pattern(spec)
        self.first_day = day_number(spec.start_date)
        self.volume = _daily_volume(spec)

        self.store_index = np.arange(chunk.start, chunk.stop, dtype=np.int64)
        self.n_stores = len(self.store_index)
        self.width = spec.volumes.assortment
        self.pair_product = np.concatenate([_assortment(spec, s) for s in self.store_index])
        self.pair_store = np.repeat(np.arange(self.n_stores), self.width)
        self.n_pairs = len(self.pair_product)

        # Base demand weights and their segment variants (price preference).
        price = self.products.base_cents[self.pair_product].astype(np.float64)
        relative_price = price / np.median(self.products.base_cents)
        self.base_weight = self.products.popularity[self.pair_product]
        self.premium_weight = self.base_weight * relative_price**PREMIUM_PRICE_ELASTICITY
        self.bargain_weight = self.base_weight * relative_price**BARGAIN_PRICE_ELASTICITY
        self.extra_qty = np.where(price < 300, 0.8, np.where(price < 1000, 0.35, 0.15))

        # Orders per day of each store, and the expected daily units of each pair.
        self.store_rate = spec.volumes.orders_per_day * self.stores.size[self.store_index]
        share = self.base_weight / np.bincount(self.pair_store, self.base_weight)[self.pair_store]
        mean_lines = _segment_mean_lines(self.pattern)
        mu = self.store_rate[self.pair_store] * mean_lines * share * (1.0 + self.extra_qty)
        self.lead_time = self.products.lead_time[self.pair_product]
        self.safety_stock = (np.ceil(SERVICE_Z * np.sqrt(mu * self.lead_time)) + 1).astype(np.int64)
        self.reorder_point = (np.ceil(mu * self.lead_time) + self.safety_stock).astype(np.int64)
        self.reorder_qty = np.maximum(MIN_REORDER_QTY, np.ceil(mu * REVIEW_DAYS)).astype(np.int64)
        start_rng = stream(spec.seed, Family.ACTIVITY, Column.INITIAL_STOCK, chunk.part)
        self.on_hand = (
            self.reorder_point + 1 + np.floor(start_rng.random(self.n_pairs) * self.reorder_qty).astype(np.int64)
        )
        self.on_order = np.zeros(self.n_pairs, dtype=np.int64)
        self.arrivals = np.zeros((int(self.lead_time.max()) + 1, self.n_pairs), dtype=np.int64)
        self.opened_day = self.stores.opened_day[self.store_index].astype(np.int64)

    def blocks(self) -> Iterator[ActivityBlock]:
        """Simulate the window block by block; each block's rows are final when yielded."""
        for block, (start, stop) in enumerate(block_ranges(self.config.days)):
            yield self._simulate_block(block, start, stop)

    # -- demand ----------------------------------------------------------------------------------
    def _draw_orders(self, block: int, start: int, stop: int) -> dict[str, np.ndarray]:
        """All orders the customers would place in the block, sorted by (day, store, time)."""
        seed, part = self.config.seed, self.chunk.part
        days = np.arange(start, stop)
        day_numbers = self.first_day + days
        open_ = day_numbers[:, None] >= self.opened_day[None, :]
        rate = self.volume[days][:, None] * self.store_rate[None, :] * open_
        counts = stream(seed, Family.ACTIVITY, Column.ORDER_COUNT, part, block).poisson(rate)
        counts = np.minimum(counts, MAX_ORDERS_PER_STORE_DAY).ravel()  # (day, store) order
        group = np.repeat(np.arange(len(counts)), counts)
        day = days[group // self.n_stores]
        store = group % self.n_stores
        n = len(group)

        time_rng = stream(seed, Family.ACTIVITY, Column.ORDER_TIME, part, block)
        weekend = weekday(self.first_day + day) >= 5
        u = time_rng.random(n)
        minute = np.where(weekend, np.searchsorted(WEEKEND_MINUTES, u), np.searchsorted(WEEKDAY_MINUTES, u))
        second_of_day = minute * 60 + time_rng.integers(0, 60, n)
        order = np.lexsort((second_of_day, group))
        day, store, second_of_day, group = day[order], store[order], second_of_day[order], group[order]
        seconds = (self.first_day + day) * SECONDS_PER_DAY + second_of_day

        customer = self._draw_customers(store, seconds, stream(seed, Family.ACTIVITY, Column.CUSTOMER, part, block))
        segment = customer_segment(customer, self.stores.count, self.pattern)
        pay_rng = stream(seed, Family.ACTIVITY, Column.PAYMENT, part, block)
        payment_cdf = np.cumsum(PAYMENT_MIX, axis=1)[segment]
        payment = np.minimum((pay_rng.random(n)[:, None] > payment_cdf).sum(axis=1), len(PAYMENT_TYPES) - 1)
        disc_rng = stream(seed, Family.ACTIVITY, Column.ORDER_DISCOUNT, part, block)
        discount_bp = np.where(disc_rng.random(n) < ORDER_DISCOUNT_CHANCE[segment], ORDER_DISCOUNT_BP[segment], 0)
        return {
            "day": day,
            "store": store,
            "group": group,
            "seconds": seconds,
            "customer": customer,
            "segment": segment,
            "payment": payment,
            "discount_bp": discount_bp,
        }

    def _draw_customers(self, store: np.ndarray, seconds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Customer index per order: mostly from the store's own area, weighted by segment frequency,
        among customers who signed up before the order (arithmetic on ids, no lookups)."""
        n = len(store)
        total_stores = self.stores.count
        global_store = self.store_index[store]
        eligible = self.timeline.eligible(seconds)

        where = rng.random(n)
        region = self.stores.region[global_store]
        lo, hi = self.stores.region_offsets[region], self.stores.region_offsets[region + 1]
        same_region = self.stores.region_members[lo + np.floor(rng.random(n) * (hi - lo)).astype(np.int64)]
        anywhere = np.floor(rng.random(n) * total_stores).astype(np.int64)
        home = np.where(
            where < HOME_STORE_SHARE,
            global_store,
            np.where(where < HOME_STORE_SHARE + HOME_REGION_SHARE, same_region, anywhere),
        )

        period = len(self.pattern)
        order_share = np.array(SEGMENT_SLOTS) * SEGMENT_FREQUENCY
        wanted = np.searchsorted(np.cumsum(order_share) / order_share.sum(), rng.random(n), side="right")
        wanted = np.minimum(wanted, len(SEGMENT_SLOTS) - 1)
        positions = [np.flatnonzero(self.pattern == g) for g in range(len(SEGMENT_SLOTS))]
        padded = np.array([np.resize(p, period) for p in positions])
        slot = padded[wanted, np.floor(rng.random(n) * np.array(SEGMENT_SLOTS)[wanted]).astype(np.int64)]

        # Customer home + stores * k has pattern position (k + home) % period: k = period * m + first.
        at_home = np.maximum(0, (eligible - home + total_stores - 1) // total_stores)  # k < at_home
        first = (slot - home) % period
        in_slot = np.where(at_home > first, (at_home - first + period - 1) // period, 0)
        u = rng.random(n)
        k = np.where(in_slot > 0, period * np.floor(u * in_slot).astype(np.int64) + first, np.floor(u * at_home))
        fallback = np.floor(u * eligible).astype(np.int64)
        return np.where(at_home > 0, home + total_stores * k.astype(np.int64), fallback)

    def _draw_lines(self, block: int, start: int, stop: int, orders: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Lines of every order: products by (promotion-lifted) popularity, no product twice per order."""
        seed, part = self.config.seed, self.chunk.part
        rng = stream(seed, Family.ACTIVITY, Column.BASKET, part, block)
        segment = orders["segment"]
        lines = 1 + rng.poisson(SEGMENT_BASKET[segment] - 1.0)
        lines = np.minimum(lines, min(MAX_LINES, self.width))
        line_order = np.repeat(np.arange(len(segment)), lines)

        # Demand weights per (day, pair) for each segment variant, flattened day-major.
        n_days = stop - start
        day_numbers = self.first_day + np.arange(start, stop)
        promo = np.empty((n_days, self.n_pairs), dtype=np.int64)
        promo_bp = np.empty((n_days, self.n_pairs), dtype=np.int64)
        for i, d in enumerate(day_numbers):
            promo[i], promo_bp[i] = self.schedule.active(self.pair_product, int(d))
        discount = promo_bp / 10_000.0
        variants = {
            0: self.base_weight * (1.0 + PROMO_LIFT * discount),  # casual, loyal
            1: self.premium_weight * (1.0 + PROMO_LIFT * discount),
            2: self.bargain_weight * (1.0 + BARGAIN_PROMO_LIFT * discount),
        }
        variant_of_segment = np.array([0, 0, 2, 1])
        line_variant = variant_of_segment[segment][line_order]
        line_day = orders["day"][line_order] - start
        line_store = orders["store"][line_order]
        first_pair = (line_day * self.n_pairs + line_store * self.width).astype(np.int64)
        u = stream(seed, Family.ACTIVITY, Column.LINE_PRODUCT, part, block).random(len(line_order))
        pick = np.empty(len(line_order), dtype=np.int64)
        for variant, weight in variants.items():
            rows = np.flatnonzero(line_variant == variant)
            cdf = np.cumsum(weight.ravel())
            before = np.where(first_pair[rows] > 0, cdf[first_pair[rows] - 1], 0.0)
            total = cdf[first_pair[rows] + self.width - 1] - before
            found = np.searchsorted(cdf, before + u[rows] * total, side="right")
            pick[rows] = np.clip(found, first_pair[rows], first_pair[rows] + self.width - 1)

        pair = pick - line_day * self.n_pairs
        order = np.lexsort((pair, line_order))
        line_order, pair, line_day = line_order[order], pair[order], line_day[order]
        unique = np.ones(len(pair), dtype=bool)
        unique[1:] = (line_order[1:] != line_order[:-1]) | (pair[1:] != pair[:-1])
        line_order, pair, line_day = line_order[unique], pair[unique], line_day[unique]

        qty = 1 + stream(seed, Family.ACTIVITY, Column.QTY, part, block).poisson(self.extra_qty[pair])
        promo_id = promo[line_day, pair]
        unit_cents = apply_discount(self.products.base_cents[self.pair_product[pair]], promo_bp[line_day, pair])
        return {
            "order": line_order,
            "pair": pair,
            "day": line_day,
            "qty": qty,
            "promo_id": promo_id,
            "unit_cents": unit_cents,
        }

    # -- stock -----------------------------------------------------------------------------------
    def _simulate_block(self, block: int, start: int, stop: int) -> ActivityBlock:
        orders = self._draw_orders(block, start, stop)
        lines = self._draw_lines(block, start, stop, orders)
        kept = np.zeros(len(lines["pair"]), dtype=bool)
        day_bounds = np.searchsorted(lines["day"], np.arange(stop - start + 1))
        snapshots: list[dict[str, np.ndarray]] = []
        ring = len(self.arrivals)
        for i in range(stop - start):
            day_number_ = self.first_day + start + i
            rows = slice(day_bounds[i], day_bounds[i + 1])
            pair, qty, order = lines["pair"][rows], lines["qty"][rows], lines["order"][rows]
            # Serve lines per pair in order-time order while stock lasts.
            by_pair = np.lexsort((order, pair))
            sorted_pair, sorted_qty = pair[by_pair], qty[by_pair]
            running = np.cumsum(sorted_qty)
            starts = np.ones(len(sorted_pair), dtype=bool)
            starts[1:] = sorted_pair[1:] != sorted_pair[:-1]
            before = np.maximum.accumulate(np.where(starts, running - sorted_qty, 0))
            served = (running - before) <= self.on_hand[sorted_pair]
            day_kept = np.zeros(len(pair), dtype=bool)
            day_kept[by_pair] = served
            kept[rows] = day_kept
            sold = np.bincount(pair[day_kept], weights=qty[day_kept], minlength=self.n_pairs).astype(np.int64)

            is_open = (day_number_ >= self.opened_day)[self.pair_store]
            received = self.arrivals[day_number_ % ring] * is_open
            self.arrivals[day_number_ % ring] = 0
            snapshots.append(self._snapshot(day_number_, is_open, received))
            position = self.on_hand - sold + self.on_order
            placed = np.where(is_open & (position <= self.reorder_point), self.reorder_qty, 0)
            self.on_hand = self.on_hand - sold + received
            self.on_order = self.on_order - received + placed
            due = (day_number_ + self.lead_time) % ring
            self.arrivals[due, np.arange(self.n_pairs)] += placed
        orders_table, items_table = self._orders_and_items(orders, lines, kept)
        return {
            ORDERS.name: orders_table,
            ORDER_ITEMS.name: items_table,
            INVENTORY_SNAPSHOTS.name: self._inventory_table(snapshots),
        }

    def _snapshot(self, day_number_: int, is_open: np.ndarray, received: np.ndarray) -> dict[str, np.ndarray]:
        rows = np.flatnonzero(is_open)
        return {
            "snapshot_date": np.full(len(rows), day_number_, dtype=np.int32),
            "store_id": (self.store_index[self.pair_store[rows]] + 1).astype(np.int32),
            "product_id": (self.pair_product[rows] + 1).astype(np.int32),
            "on_hand": self.on_hand[rows].astype(np.int32),
            "on_order": self.on_order[rows].astype(np.int32),
            "safety_stock": self.safety_stock[rows].astype(np.int32),
            "reorder_point": self.reorder_point[rows].astype(np.int32),
            "reorder_qty": self.reorder_qty[rows].astype(np.int32),
            "received_qty": received[rows].astype(np.int32),
        }

    def _inventory_table(self, snapshots: list[dict[str, np.ndarray]]) -> pa.Table:
        columns = {name: np.concatenate([s[name] for s in snapshots]) for name in INVENTORY_SNAPSHOTS.schema.names}
        arrays = {name: pa.array(values) for name, values in columns.items()}
        arrays["snapshot_date"] = arrays["snapshot_date"].cast(pa.date32())
        return pa.table(arrays, schema=INVENTORY_SNAPSHOTS.schema)

    def _orders_and_items(
        self, orders: dict[str, np.ndarray], lines: dict[str, np.ndarray], kept: np.ndarray
    ) -> tuple[pa.Table, pa.Table]:
        """Drop lost lines and empty orders, then number orders and lines and total them."""
        line_order = lines["order"][kept]
        placed = np.zeros(len(orders["day"]), dtype=bool)
        placed[line_order] = True
        new_index = np.cumsum(placed) - 1
        o = {name: values[placed] for name, values in orders.items()}
        line_order = new_index[line_order]

        group_first = np.searchsorted(o["group"], o["group"])
        sequence = np.arange(len(o["group"])) - group_first + 1
        store_id = self.store_index[o["store"]] + 1
        order_id = store_id * ORDER_ID_STORE + o["day"] * ORDER_ID_DAY + sequence

        qty = lines["qty"][kept]
        unit_cents = lines["unit_cents"][kept]
        extended = qty * unit_cents
        line_first = np.searchsorted(line_order, line_order)
        line_number = np.arange(len(line_order)) - line_first + 1
        subtotal = np.bincount(line_order, weights=extended, minlength=len(order_id)).astype(np.int64)
        total = apply_discount(subtotal, o["discount_bp"])

        promo_id = lines["promo_id"][kept]
        orders_table = pa.table(
            {
                "order_id": pa.array(order_id, pa.int64()),
                "store_id": pa.array(store_id, pa.int32()),
                "customer_id": pa.array(o["customer"] + 1, pa.int32()),
                "order_ts": pa.array(o["seconds"] * MICROS_PER_SECOND, pa.int64()).cast(pa.timestamp("us")),
                "payment_type": pa.DictionaryArray.from_arrays(
                    pa.array(o["payment"], pa.int8()), pa.array(PAYMENT_TYPES, pa.string())
                ).cast(pa.string()),
                "discount_pct": cents_to_decimal(o["discount_bp"], ORDERS.schema.field("discount_pct").type),
                "order_total": cents_to_decimal(total, ORDERS.schema.field("order_total").type),
            },
            schema=ORDERS.schema,
        )
        items_table = pa.table(
            {
                "order_id": pa.array(order_id[line_order], pa.int64()),
                "line_number": pa.array(line_number, pa.int16()),
                "product_id": pa.array(self.pair_product[lines["pair"][kept]] + 1, pa.int32()),
                "promo_id": pa.array(promo_id, pa.int32(), mask=promo_id == 0),
                "qty": pa.array(qty, pa.int16()),
                "unit_price": cents_to_decimal(unit_cents, ORDER_ITEMS.schema.field("unit_price").type),
                "extended_price": cents_to_decimal(extended, ORDER_ITEMS.schema.field("extended_price").type),
            },
            schema=ORDER_ITEMS.schema,
        )
        return orders_table, items_table


def build_activity(chunk: Chunk, spec: DatasetSpec) -> Iterator[ActivityBlock]:
    """Orders, order items and inventory snapshots of the chunk's stores, one block of days at a time."""
    return StoreGroupSimulation(chunk, spec).blocks()
