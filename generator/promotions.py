"""Chain-wide promotions on the calendar: at most one per product in each fixed 14-day period, so they
never overlap, and only of a product on sale on the promotion's first day.

Periods are aligned to the calendar (period q covers days 14q .. 14q + 13 since 1970-01-01) and each
period draws from streams keyed by its own number, so a period's promotions never depend on how long
the history is. The schedule is a dense (product, period) grid over the periods from the one holding
the first day to the one holding the last, so "which promotion is active for product p on day d" is
arithmetic. Promotion ids count in start-date order (then by product): extending a dataset gives the
promotions that start in the new days the next ids. A promotion keeps its full length even when
it ends after the last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from generator.arrays import labels, numbers
from generator.catalog import PROMO_TYPES
from generator.money import cents_to_decimal
from generator.plan import Chunk
from generator.products import product_attributes
from generator.rng import Column, Family, stream
from generator.schema import PROMOTIONS
from generator.spec import DatasetSpec

PERIOD_DAYS = 14
#: Chance that a product is promoted in a given period.
PROMOTION_RATE = 0.12
# Per promo type (weekly_ad, flash_sale, seasonal, clearance): share, length range, discount range (%).
TYPE_SHARES = np.array([0.5, 0.15, 0.2, 0.15])
MIN_DAYS = np.array([7, 1, 10, 7])
MAX_DAYS = np.array([7, 3, 14, 14])
MIN_PCT = np.array([10, 25, 15, 30])
MAX_PCT = np.array([25, 40, 30, 50])


@dataclass(frozen=True)
class PeriodPromotions:
    """The promotions of some products in one calendar period: `products` of them, of which those at
    `promoted` (ascending) have one, described by the arrays aligned with `promoted`."""

    period: int
    products: int
    promoted: np.ndarray
    promo_id: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray
    discount_bp: np.ndarray

    def active(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(promo_id, discount_bp) active for each product on `day` (a day of the period), (0, 0) where
        none, and the products with one, ascending (only the promoted products are looked at)."""
        on = (self.start_day <= day) & (day <= self.end_day)
        promo_id = np.zeros(self.products, dtype=self.promo_id.dtype)
        discount_bp = np.zeros(self.products, dtype=self.discount_bp.dtype)
        where = self.promoted[on]
        promo_id[where], discount_bp[where] = self.promo_id[on], self.discount_bp[on]
        return promo_id, discount_bp, where


@dataclass(frozen=True)
class PromotionSchedule:
    """(products, periods) grids from period `first_period` on; promo_id 0 means no promotion."""

    promo_id: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray
    promo_type: np.ndarray
    discount_bp: np.ndarray
    first_period: int

    def in_period(self, product: np.ndarray, period: int) -> PeriodPromotions:
        """The promotions of the given products in calendar period `period` (one gather for its days)."""
        column = period - self.first_period
        promoted = np.flatnonzero(self.promo_id[product, column])
        grids = (self.promo_id, self.start_day, self.end_day, self.discount_bp)
        return PeriodPromotions(period, len(product), promoted, *(grid[product[promoted], column] for grid in grids))


def _period_draws(seed: int, period: int, n: int) -> tuple[np.ndarray, ...]:
    """Whether, how, when and by how much each of n products is promoted in calendar period `period`."""
    draws = stream(seed, Family.PROMOTIONS, Column.PROMO_SLOT, period).random((n, 5))
    exists = draws[:, 0] < PROMOTION_RATE
    kind = np.searchsorted(np.cumsum(TYPE_SHARES), draws[:, 1], side="right").clip(0, len(PROMO_TYPES) - 1)
    length = MIN_DAYS[kind] + np.floor(draws[:, 2] * (MAX_DAYS[kind] - MIN_DAYS[kind] + 1)).astype(np.int64)
    offset = np.floor(draws[:, 3] * (PERIOD_DAYS - length + 1)).astype(np.int64)
    pct = MIN_PCT[kind] + np.floor(draws[:, 4] * (MAX_PCT[kind] - MIN_PCT[kind] + 1)).astype(np.int64)
    start = period * PERIOD_DAYS + offset
    return exists, kind, start, start + length - 1, pct


@lru_cache(maxsize=4)
def promotion_schedule(spec: DatasetSpec) -> PromotionSchedule:
    """Every promotion of the history: the periods from the first day's to the last day's."""
    n = spec.volumes.total_products
    first_period = spec.first_day // PERIOD_DAYS
    periods = range(first_period, spec.last_day // PERIOD_DAYS + 1)
    drawn = [_period_draws(spec.seed, period, n) for period in periods]
    exists, kind, start, end, pct = (np.stack(column, axis=1) for column in zip(*drawn, strict=True))
    exists &= (end >= spec.first_day) & (start <= spec.last_day)  # only what the history holds
    products = product_attributes(spec)  # and only products on sale when the promotion starts
    exists &= (products.launched_day[:, None] <= start) & (start < products.discontinued_day[:, None])
    # Ids in (start day, product) order: a longer history only adds promotions that start later.
    product, period = np.nonzero(exists)
    order = np.lexsort((product, start[product, period]))
    promo_id = np.zeros(exists.shape, dtype=np.int32)
    promo_id[product[order], period[order]] = np.arange(1, len(order) + 1)
    return PromotionSchedule(
        promo_id=promo_id,
        start_day=start.astype(np.int32),
        end_day=end.astype(np.int32),
        promo_type=kind.astype(np.int8),
        discount_bp=(pct * 100).astype(np.int16),
        first_period=first_period,
    )


def build_promotions(chunk: Chunk, spec: DatasetSpec) -> pa.Table:
    """Promotions of products chunk.start..chunk.stop, in promo_id order."""
    schedule = promotion_schedule(spec)
    rows = slice(chunk.start, chunk.stop)
    product, period = np.nonzero(schedule.promo_id[rows])
    product = product + chunk.start
    order = np.argsort(schedule.promo_id[product, period], kind="stable")
    product, period = product[order], period[order]
    columns = {
        "promo_id": numbers(schedule.promo_id[product, period], pa.int32()),
        "product_id": numbers(product + 1, pa.int32()),
        "start_date": numbers(schedule.start_day[product, period], pa.date32()),
        "end_date": numbers(schedule.end_day[product, period], pa.date32()),
        "promo_type": labels(PROMO_TYPES, schedule.promo_type[product, period]),
        "discount_pct": cents_to_decimal(
            schedule.discount_bp[product, period], PROMOTIONS.schema.field("discount_pct").type
        ),
    }
    return pa.table(columns, schema=PROMOTIONS.schema)
