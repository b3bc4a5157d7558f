"""Who shops when, and what goes in the basket: the orders and lines customers would place on one day
in one store group, before stock decides which lines can be served.

Every day draws from its own stream, keyed by the chunk and the day number, in a fixed order, and
everything it depends on is a property of the calendar (weekday, season, promotions, prices, opening
and closing days), never of the window: the same day gives the same demand in any run that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from generator.calendar import NEVER, SECONDS_PER_DAY, day_number, day_of_year, weekday
from generator.catalog import PAYMENT_TYPES
from generator.customers import SEGMENT_SLOTS, customer_segment, segment_pattern
from generator.money import apply_discount
from generator.plan import Chunk
from generator.products import product_attributes
from generator.promotions import PERIOD_DAYS, PeriodPromotions, promotion_schedule
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
#: The promotion lift of each variant: base, premium, bargain.
VARIANT_PROMO_LIFT = np.array([PROMO_LIFT, PROMO_LIFT, BARGAIN_PROMO_LIFT])
MAX_ORDERS_PER_STORE_DAY = 9_999  # order_id leaves four digits for the sequence


def search(cdf: np.ndarray, keys: np.ndarray, side: Literal["left", "right"] = "left") -> np.ndarray:
    """np.searchsorted(cdf, keys, side) of non-negative keys, searched in ascending order: sorted keys
    search several times faster than random ones. The order is one integer sort of the keys' bits
    with their index in the low bits (twice as fast as an argsort); keys that close may come out of
    order, which costs a little speed and never changes an answer."""
    low = max(1, (len(keys) - 1).bit_length())
    order = (np.ascontiguousarray(keys, dtype=np.float64).view(np.int64) & ~((1 << low) - 1)) | np.arange(len(keys))
    order.sort()
    order &= (1 << low) - 1
    found = np.empty(len(keys), dtype=np.int64)
    found[order] = np.searchsorted(cdf, keys[order], side=side)
    return found


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


@lru_cache(maxsize=1024)
def _volume_of(day: int) -> float:
    """daily_volume of one day, as a number (a day of every store group's simulation asks for it)."""
    return float(daily_volume(day)[0])


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
class BlockOrders:
    """The orders of a block of days, sorted by (day, store, time): day is the index in the block,
    store the group-local index."""

    day: np.ndarray
    store: np.ndarray
    seconds: np.ndarray  # since the epoch
    customer: np.ndarray  # customer index (customer_id - 1)
    segment: np.ndarray
    payment: np.ndarray
    discount_bp: np.ndarray


@dataclass(frozen=True)
class DayLines:
    """The lines one day's orders ask for, sorted by (order, pair); no pair twice in one order."""

    order: np.ndarray  # index into the block's orders
    pair: np.ndarray  # (store, product) pair of the group
    qty: np.ndarray
    promo_id: np.ndarray  # 0 where no promotion
    list_cents: np.ndarray  # the product's price on the day
    unit_cents: np.ndarray  # after the promotion


#: Uniform draws per order, in the order a day's stream gives them: six pick the customer, then payment, discount.
ORDER_DRAWS = 8


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
        self.weights = np.stack(
            [base, base * relative_price**PREMIUM_PRICE_ELASTICITY, base * relative_price**BARGAIN_PRICE_ELASTICITY]
        )
        self._promotions: PeriodPromotions | None = None  # the pairs' promotions in the current period
        self._trading_active: np.ndarray | None = None  # the trading pairs _trading_weights are for
        self._trading_weights = self.weights
        self.extra_qty = np.where(price < 300, 0.8, np.where(price < 1000, 0.35, 0.15))
        self._pair_cents = np.zeros(self.n_pairs, dtype=np.int64)  # the prices on _prices_day (none yet)
        self._next_price_change = np.zeros(self.n_pairs, dtype=np.int64)
        self._prices_day = NEVER
        # A pair trades from the later of its store's opening and its product's launch, until the earlier end.
        store = self.store_index[self.pair_store]
        self.trading_from = np.maximum(self.stores.opened_day[store], self.products.launched_day[self.pair_product])
        self.trading_until = np.minimum(
            self.stores.closed_day[store], self.products.discontinued_day[self.pair_product]
        )
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

    def active(self, day: int | np.ndarray) -> np.ndarray:
        """Pairs that trade on `day` (days: a column of them, for a row per day): the store is open and
        the product on sale."""
        return (self.trading_from <= day) & (day < self.trading_until)

    def prices(self, day: int) -> np.ndarray:
        """Every pair's base price in cents on `day`. Days go forward in a run, so only the pairs whose
        price changed since the day asked before are looked up again."""
        due = np.flatnonzero(self._next_price_change <= day) if day >= self._prices_day else slice(None)
        product = self.pair_product[due]
        self._pair_cents[due] = self.products.cents_on(product, day)
        change_days = self.products.price_days[product]
        self._next_price_change[due] = np.where(change_days > day, change_days, NEVER).min(axis=1)
        self._prices_day = day
        return self._pair_cents

    def _basket_cdf(self, active: np.ndarray, promo_bp: np.ndarray, promoted: np.ndarray) -> np.ndarray:
        """Cumulative basket weights of the three variants (rows) on a day: the weights raised by the
        promotion lift, zero where the pair does not trade. A pair without a promotion keeps its weight
        (times 1.0, the same number), so only the promoted pairs are multiplied, on the day's trading
        weights, which change only when a pair starts or stops trading."""
        if self._trading_active is None or not np.array_equal(active, self._trading_active):
            self._trading_active, self._trading_weights = active.copy(), self.weights * active
        weights = self._trading_weights.copy()
        lift = 1.0 + VARIANT_PROMO_LIFT[:, None] * (promo_bp[promoted] / 10_000.0)
        weights[:, promoted] *= lift
        return np.cumsum(weights, axis=1)

    def promotions(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(promo_id, discount_bp) of every pair on `day`, (0, 0) where none, and the pairs with one
        (the pairs' share of the schedule is gathered once per promotion period)."""
        period = day // PERIOD_DAYS
        if self._promotions is None or self._promotions.period != period:
            self._promotions = self.schedule.in_period(self.pair_product, period)
        return self._promotions.active(day)

    def block(self, days: list[int], active: np.ndarray) -> tuple[BlockOrders, list[DayLines]]:
        """Everything the customers of the group ask for on each of `days` (`active`: the trading pairs,
        a row per day). Each day draws from its own stream, in a fixed order; what lies between two
        draws is computed for the whole block at once where the draws allow."""
        rngs = [stream(self.seed, Family.ACTIVITY, Column.DAY, self.part, day) for day in days]
        sells = active.reshape(len(days), self.n_stores, self.width).any(axis=2)  # stores with a trading pair
        stores, seconds, draws = [], [], []
        for index, (day, rng) in enumerate(zip(days, rngs, strict=True)):
            counts = rng.poisson(_volume_of(day) * self.store_rate * sells[index])
            store = np.repeat(np.arange(self.n_stores), np.minimum(counts, MAX_ORDERS_PER_STORE_DAY))
            minutes = WEEKEND_MINUTES if weekday(np.array([day]))[0] >= 5 else WEEKDAY_MINUTES
            stores.append(store)
            seconds.append(search(minutes, rng.random(len(store))) * 60 + rng.integers(0, 60, len(store)))
            draws.append(rng.random((ORDER_DRAWS, len(store))))
        orders = self._orders(days, stores, seconds, np.concatenate(draws, axis=1))
        first = np.searchsorted(orders.day, np.arange(len(days) + 1))
        lines = [
            self._lines(day, active[index], rng, orders, first[index], first[index + 1])
            for index, (day, rng) in enumerate(zip(days, rngs, strict=True))
        ]
        return orders, lines

    def _orders(
        self, days: list[int], stores: list[np.ndarray], seconds: list[np.ndarray], draws: np.ndarray
    ) -> BlockOrders:
        """The block's orders in (day, store, time) order, with customer, payment and discount (`draws`:
        the days' uniform draws, which belong to the orders of each day in that order)."""
        day = np.repeat(np.arange(len(days)), [len(store) for store in stores])
        key = (day * self.n_stores + np.concatenate(stores)) * SECONDS_PER_DAY + np.concatenate(seconds)
        # Sorting the key itself, not its order: orders of equal key are alike. 32 bits sort twice as fast.
        narrow = len(days) * self.n_stores * SECONDS_PER_DAY <= np.iinfo(np.int32).max
        key = np.sort(key.astype(np.int32)).astype(np.int64) if narrow else np.sort(key)
        store_day, second = np.divmod(key, SECONDS_PER_DAY)
        day, store = np.divmod(store_day, self.n_stores)
        timestamp = np.asarray(days, dtype=np.int64)[day] * SECONDS_PER_DAY + second
        customer = self._customers(store, timestamp, draws[:6])
        segment = customer_segment(customer, self.stores.count, self.pattern)
        payment = np.empty(len(segment), dtype=np.int64)  # how many of the segment's cdf values lie below
        for group, cdf in enumerate(PAYMENT_CDF):
            rows = np.flatnonzero(segment == group)
            payment[rows] = np.searchsorted(cdf, draws[6][rows], side="left")
        payment = np.minimum(payment, len(PAYMENT_TYPES) - 1)
        discount_bp = ORDER_DISCOUNT_BP[segment] * (draws[7] < ORDER_DISCOUNT_CHANCE[segment])
        return BlockOrders(day, store, timestamp, customer, segment, payment, discount_bp)

    def _lines(
        self, day: int, active: np.ndarray, rng: np.random.Generator, orders: BlockOrders, start: int, stop: int
    ) -> DayLines:
        """The lines of the day's orders (block orders start..stop), drawn after the orders from the day's stream."""
        promo_id, promo_bp, promoted = self.promotions(day)
        cdf = self._basket_cdf(active, promo_bp, promoted)
        segment = orders.segment[start:stop]
        lines = np.minimum(1 + rng.poisson(SEGMENT_BASKET[segment] - 1.0), min(MAX_LINES, self.width))
        line_order = np.repeat(np.arange(stop - start), lines)
        line_variant = VARIANT_OF_SEGMENT[segment][line_order]
        first_pair = orders.store[start:stop][line_order] * self.width
        u = rng.random(len(line_order))
        # Each line's key in its variant's cumulative weights, within its store's span of pairs.
        first = line_variant * self.n_pairs + first_pair  # in the variants' cumulative weights laid end to end
        flat = cdf.ravel()
        before = np.where(first_pair > 0, flat[first - 1], 0.0)
        key = before + u * (flat[first + self.width - 1] - before)
        found = np.empty(len(line_order), dtype=np.int64)
        for variant, row in enumerate(cdf):
            rows = np.flatnonzero(line_variant == variant)
            found[rows] = search(row, key[rows], side="right")
        pair = np.minimum(np.maximum(found, first_pair), first_pair + self.width - 1)
        # One line per (order, pair), in that order: a sort of one combined key, repeats dropped.
        combined = np.sort(line_order * self.n_pairs + pair)
        first = np.ones(len(combined), dtype=bool)
        first[1:] = combined[1:] != combined[:-1]
        combined = combined[first]
        line_order, pair = combined // self.n_pairs, combined % self.n_pairs

        qty = 1 + rng.poisson(self.extra_qty[pair])
        list_cents = self.prices(day)[pair]
        return DayLines(
            order=start + line_order,
            pair=pair,
            qty=qty,
            promo_id=promo_id[pair],
            list_cents=list_cents,
            unit_cents=apply_discount(list_cents, promo_bp[pair]),
        )

    def _customers(self, store: np.ndarray, seconds: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Customer index per order: mostly from the store's own area, weighted by segment frequency,
        among customers who signed up before the order (arithmetic on ids, no lookups; `draws`: six
        uniform draws per order)."""
        total_stores = self.stores.count
        global_store = self.store_index[store]
        eligible = self.timeline.eligible(seconds)

        where, region_draw, anywhere_draw, segment_draw, slot_draw, u = draws
        region = self.stores.region[global_store]
        lo, hi = self.stores.region_offsets[region], self.stores.region_offsets[region + 1]
        same_region = self.stores.region_members[lo + np.floor(region_draw * (hi - lo)).astype(np.int64)]
        anywhere = np.floor(anywhere_draw * total_stores).astype(np.int64)
        home = np.where(
            where < HOME_STORE_SHARE,
            global_store,
            np.where(where < HOME_STORE_SHARE + HOME_REGION_SHARE, same_region, anywhere),
        )

        period = len(self.pattern)
        wanted = np.minimum(np.searchsorted(self.segment_cdf, segment_draw, side="right"), len(SEGMENT_SLOTS) - 1)
        slot = self.slot_positions[wanted, np.floor(slot_draw * np.array(SEGMENT_SLOTS)[wanted]).astype(np.int64)]

        # Customer home + stores * k has pattern position (k + home) % period: k = period * m + first.
        at_home = np.maximum(0, (eligible - home + total_stores - 1) // total_stores)  # k < at_home
        first = (slot - home) % period
        in_slot = np.where(at_home > first, (at_home - first + period - 1) // period, 0)
        k = np.where(in_slot > 0, period * np.floor(u * in_slot).astype(np.int64) + first, np.floor(u * at_home))
        fallback = np.floor(u * eligible).astype(np.int64)
        return np.where(at_home > 0, home + total_stores * k.astype(np.int64), fallback)
