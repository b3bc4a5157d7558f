"""Chain-wide promotions: at most one per product in each fixed period, so they never overlap.

The schedule is a dense (product, period) grid, so "which promotion is active for product p on
day d" is arithmetic: period = (d - window start) // PERIOD_DAYS.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from generator.calendar import day_number
from generator.catalog import PROMO_TYPES
from generator.money import cents_to_decimal
from generator.plan import Chunk, periods
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
class PromotionSchedule:
    """(products, periods) grids; promo_id 0 means no promotion in that period."""

    promo_id: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray
    promo_type: np.ndarray
    discount_bp: np.ndarray
    first_day: int  # day number where period 0 starts

    def active(self, product: np.ndarray, day: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """(promo_id, discount_bp) active for each product on each day; (0, 0) where none."""
        period = (np.asarray(day, dtype=np.int64) - self.first_day) // PERIOD_DAYS
        pid = self.promo_id[product, period]
        on = (pid > 0) & (self.start_day[product, period] <= day) & (day <= self.end_day[product, period])
        return np.where(on, pid, 0), np.where(on, self.discount_bp[product, period], 0)


@lru_cache(maxsize=4)
def promotion_schedule(spec: DatasetSpec) -> PromotionSchedule:
    """Draw the whole schedule: which product is promoted in which period, when, how and how much."""
    n = spec.volumes.products
    k = periods(spec.days, PERIOD_DAYS)
    seed = spec.seed
    first = day_number(spec.start_date)
    last = first + spec.days - 1

    exists = stream(seed, Family.PROMOTIONS, Column.PROMO_SLOT).random((n, k)) < PROMOTION_RATE
    kind = stream(seed, Family.PROMOTIONS, Column.PROMO_TYPE).choice(len(PROMO_TYPES), size=(n, k), p=TYPE_SHARES)
    length = stream(seed, Family.PROMOTIONS, Column.PROMO_LENGTH).integers(MIN_DAYS[kind], MAX_DAYS[kind] + 1)
    offset = np.floor(
        stream(seed, Family.PROMOTIONS, Column.PROMO_START).random((n, k)) * (PERIOD_DAYS - length + 1)
    ).astype(np.int64)
    period_start = first + np.arange(k, dtype=np.int64) * PERIOD_DAYS
    start = period_start[None, :] + offset
    exists &= start <= last  # the last period may be cut short by the window end
    end = np.minimum(start + length - 1, last)
    pct = stream(seed, Family.PROMOTIONS, Column.PROMO_DISCOUNT).integers(MIN_PCT[kind], MAX_PCT[kind] + 1)

    promo_id = np.where(exists, np.cumsum(exists.ravel()).reshape(n, k), 0)
    return PromotionSchedule(
        promo_id=promo_id.astype(np.int32),
        start_day=start.astype(np.int32),
        end_day=end.astype(np.int32),
        promo_type=kind.astype(np.int8),
        discount_bp=(pct * 100).astype(np.int16),
        first_day=first,
    )


def build_promotions(chunk: Chunk, spec: DatasetSpec) -> pa.Table:
    """Promotions of products chunk.start..chunk.stop, in promo_id order."""
    schedule = promotion_schedule(spec)
    rows = slice(chunk.start, chunk.stop)
    product, period = np.nonzero(schedule.promo_id[rows])
    product = product + chunk.start
    columns = {
        "promo_id": pa.array(schedule.promo_id[product, period], pa.int32()),
        "product_id": pa.array(product + 1, pa.int32()),
        "start_date": pa.array(schedule.start_day[product, period], pa.int32()).cast(pa.date32()),
        "end_date": pa.array(schedule.end_day[product, period], pa.int32()).cast(pa.date32()),
        "promo_type": pa.array(np.array(PROMO_TYPES, dtype=object)[schedule.promo_type[product, period]], pa.string()),
        "discount_pct": cents_to_decimal(
            schedule.discount_bp[product, period], PROMOTIONS.schema.field("discount_pct").type
        ),
    }
    return pa.table(columns, schema=PROMOTIONS.schema)
