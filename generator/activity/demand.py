"""Who shops when, and what goes in the basket: the orders and lines customers would place on one day
in one store group, before stock decides which lines can be served.

Every day draws from its own stream, keyed by the chunk and the day number, in a fixed order, and
everything it depends on is a property of the calendar (weekday, season, promotions, prices, opening
and closing days), never of the window: the same day gives the same demand in any run that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.calendar import SECONDS_PER_DAY, day_number, day_of_year, weekday
from generator.catalog import PAYMENT_TYPES
from generator.customers import SEGMENT_SLOTS, customer_segment, segment_pattern
from generator.money import apply_discount
from generator.plan import Chunk
from generator.products import product_attributes
from generator.promotions import promotion_schedule
from generator.rng import Column, Family, stream
from generator.signups import signup_timeline
from generator.spec import DEFAULT_DAYS, DEFAULT_END_DATE, DatasetSpec
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
PAYMENT_CDF = np.cumsum(
    [
        [0.38, 0.30, 0.17, 0.12, 0.03],
        [0.40, 0.22, 0.08, 0.27, 0.03],
        [0.22, 0.38, 0.30, 0.07, 0.03],
        [0.62, 0.12, 0.04, 0.19, 0.03],
    ],
    axis=1,
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
#: Which demand-weight variant each segment uses: casual and loyal the base, bargain, premium.
VARIANT_OF_SEGMENT = np.array([0, 0, 2, 1])
MAX_ORDERS_PER_STORE_DAY = 9_999  # order_id leaves four digits for the sequence


def _raw_volume(days: np.ndarray) -> np.ndarray:
    doy = day_of_year(days)
    season = 1.0 + 0.30 * np.exp(-(((doy - 354) / 8.0) ** 2)) + 0.20 * np.exp(-(((doy - 332) / 2.0) ** 2))
    return WEEKDAY_FACTOR[weekday(days)] * season


#: The default window's mean volume: the presets' orders_per_day are quoted for it.
_REFERENCE_VOLUME = float(
    _raw_volume(np.arange(day_number(DEFAULT_END_DATE) - DEFAULT_DAYS + 1, day_number(DEFAULT_END_DATE) + 1)).mean()
)


def daily_volume(days: np.ndarray | int) -> np.ndarray:
    """Relative order volume of each day number (weekday and holiday season), from the calendar alone:
    1 on average over the default window, higher in the holiday weeks, lower in spring."""
    return _raw_volume(np.atleast_1d(np.asarray(days, dtype=np.int64))) / _REFERENCE_VOLUME


def mean_lines_per_order() -> float:
    """Expected lines per order over the segment mix of orders."""
    order_share = np.array(SEGMENT_SLOTS) * SEGMENT_FREQUENCY
    return float((order_share * SEGMENT_BASKET).sum() / order_share.sum())


def assortment(spec: DatasetSpec, store: int) -> np.ndarray:
    """Sorted product indexes a store carries: a popularity-weighted sample without replacement."""
    volumes = spec.volumes
    if volumes.assortment >= volumes.total_products:
        return np.arange(volumes.total_products, dtype=np.int64)
    popularity = product_attributes(spec).popularity
    gumbel = stream(spec.seed, Family.ACTIVITY, Column.ASSORTMENT, store).gumbel(size=volumes.total_products)
    keys = np.log(popularity) + gumbel
    return np.sort(np.argpartition(-keys, volumes.assortment - 1)[: volumes.assortment])


@dataclass(frozen=True)
class DayOrders:
    """The orders of one day, sorted by (store, time): store is the group-local index."""

    store: np.ndarray
    seconds: np.ndarray  # since the epoch
    customer: np.ndarray  # customer index (customer_id - 1)
    segment: np.ndarray
    payment: np.ndarray
    discount_bp: np.ndarray


@dataclass(frozen=True)
class DayLines:
    """The lines those orders ask for, sorted by (order, pair); no pair twice in one order."""

    order: np.ndarray  # index into DayOrders
    pair: np.ndarray  # (store, product) pair of the group
    qty: np.ndarray
    promo_id: np.ndarray  # 0 where no promotion
    list_cents: np.ndarray  # the product's price on the day
    unit_cents: np.ndarray  # after the promotion


class StoreGroupDemand:
    """The (store, product) pairs of one activity chunk and what their customers ask for, day by day."""

    def __init__(self, chunk: Chunk, spec: DatasetSpec) -> None:
        self.part = chunk.part
        self.seed = spec.seed
        self.stores = store_attributes(spec)
        self.products = product_attributes(spec)
        self.schedule = promotion_schedule(spec)
        self.timeline = signup_timeline(spec)
        self.pattern = segment_pattern(spec)

        self.store_index = np.arange(chunk.start, chunk.stop, dtype=np.int64)
        self.n_stores = len(self.store_index)
        self.width = spec.volumes.assortment
        self.pair_product = np.concatenate([assortment(spec, s) for s in self.store_index])
        self.pair_store = np.repeat(np.arange(self.n_stores), self.width)
        self.n_pairs = len(self.pair_product)

        # Demand weights by the launch price (a product keeps its place in the basket as its price moves).
        price = self.products.price_cents[self.pair_product, 0].astype(np.float64)
        relative_price = price / np.median(self.products.price_cents[:, 0])
        base = self.products.popularity[self.pair_product]
        self.weights = (
            base,
            base * relative_price**PREMIUM_PRICE_ELASTICITY,
            base * relative_price**BARGAIN_PRICE_ELASTICITY,
        )
        self.extra_qty = np.where(price < 300, 0.8, np.where(price < 1000, 0.35, 0.15))
        self.share = base / np.bincount(self.pair_store, base)[self.pair_store]
        self.store_rate = spec.volumes.orders_per_day * self.stores.size[self.store_index]

        order_share = np.array(SEGMENT_SLOTS) * SEGMENT_FREQUENCY
        self.segment_cdf = np.cumsum(order_share) / order_share.sum()
        period = len(self.pattern)
        positions = [np.flatnonzero(self.pattern == g) for g in range(len(SEGMENT_SLOTS))]
        self.slot_positions = np.array([np.resize(p, period) for p in positions])

    def mean_daily_units(self) -> np.ndarray:
        """Expected units per day of each pair on an average day (sets its stock levels)."""
        return self.store_rate[self.pair_store] * mean_lines_per_order() * self.share * (1.0 + self.extra_qty)

    def active(self, day: int) -> np.ndarray:
        """Pairs that trade on `day`: the store is open and the product on sale."""
        return self.stores.open_on(day)[self.store_index][self.pair_store] & self.products.sold_on(
            self.pair_product, day
        )

    def day(self, day: int, active: np.ndarray) -> tuple[DayOrders, DayLines]:
        """Everything the customers of the group ask for on `day`, drawn from the day's own stream."""
        rng = stream(self.seed, Family.ACTIVITY, Column.DAY, self.part, day)
        promo_id, promo_bp = self.schedule.active(self.pair_product, day)
        lift = promo_bp / 10_000.0
        weights = [
            self.weights[0] * (1.0 + PROMO_LIFT * lift) * active,
            self.weights[1] * (1.0 + PROMO_LIFT * lift) * active,
            self.weights[2] * (1.0 + BARGAIN_PROMO_LIFT * lift) * active,
        ]
        sells = np.bincount(self.pair_store, weights[0], minlength=self.n_stores) > 0
        counts = rng.poisson(daily_volume(day)[0] * self.store_rate * sells)
        store = np.repeat(np.arange(self.n_stores), np.minimum(counts, MAX_ORDERS_PER_STORE_DAY))
        n = len(store)

        minutes = WEEKEND_MINUTES if weekday(np.array([day]))[0] >= 5 else WEEKDAY_MINUTES
        second = np.searchsorted(minutes, rng.random(n)) * 60 + rng.integers(0, 60, n)
        order = np.argsort(store * SECONDS_PER_DAY + second, kind="stable")
        store, seconds = store[order], day * SECONDS_PER_DAY + second[order]
        customer = self._customers(store, seconds, rng)
        segment = customer_segment(customer, self.stores.count, self.pattern)
        payment = np.minimum((rng.random(n)[:, None] > PAYMENT_CDF[segment]).sum(axis=1), len(PAYMENT_TYPES) - 1)
        discount_bp = np.where(rng.random(n) < ORDER_DISCOUNT_CHANCE[segment], ORDER_DISCOUNT_BP[segment], 0)
        orders = DayOrders(store, seconds, customer, segment, payment, discount_bp)

        lines = np.minimum(1 + rng.poisson(SEGMENT_BASKET[segment] - 1.0), min(MAX_LINES, self.width))
        line_order = np.repeat(np.arange(n), lines)
        line_variant = VARIANT_OF_SEGMENT[segment][line_order]
        first_pair = store[line_order] * self.width
        u = rng.random(len(line_order))
        pair = np.empty(len(line_order), dtype=np.int64)
        for variant, weight in enumerate(weights):
            rows = np.flatnonzero(line_variant == variant)
            cdf = np.cumsum(weight)
            before = np.where(first_pair[rows] > 0, cdf[first_pair[rows] - 1], 0.0)
            total = cdf[first_pair[rows] + self.width - 1] - before
            found = np.searchsorted(cdf, before + u[rows] * total, side="right")
            pair[rows] = np.clip(found, first_pair[rows], first_pair[rows] + self.width - 1)
        # One line per (order, pair), in that order: a sort of one combined key.
        combined = np.unique(line_order * self.n_pairs + pair)
        line_order, pair = combined // self.n_pairs, combined % self.n_pairs

        qty = 1 + rng.poisson(self.extra_qty[pair])
        list_cents = self.products.cents_on(self.pair_product[pair], day)
        return orders, DayLines(
            order=line_order,
            pair=pair,
            qty=qty,
            promo_id=promo_id[pair],
            list_cents=list_cents,
            unit_cents=apply_discount(list_cents, promo_bp[pair]),
        )

    def _customers(self, store: np.ndarray, seconds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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
        wanted = np.minimum(np.searchsorted(self.segment_cdf, rng.random(n), side="right"), len(SEGMENT_SLOTS) - 1)
        slot = self.slot_positions[wanted, np.floor(rng.random(n) * np.array(SEGMENT_SLOTS)[wanted]).astype(np.int64)]

        # Customer home + stores * k has pattern position (k + home) % period: k = period * m + first.
        at_home = np.maximum(0, (eligible - home + total_stores - 1) // total_stores)  # k < at_home
        first = (slot - home) % period
        in_slot = np.where(at_home > first, (at_home - first + period - 1) // period, 0)
        u = rng.random(n)
        k = np.where(in_slot > 0, period * np.floor(u * in_slot).astype(np.int64) + first, np.floor(u * at_home))
        fallback = np.floor(u * eligible).astype(np.int64)
        return np.where(at_home > 0, home + total_stores * k.astype(np.int64), fallback)
