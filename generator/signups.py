"""When customers sign up: the arithmetic that maps a time to "how many customers exist by then".

Customer ids follow signup order. Most customers signed up in the three years before the history
starts; from its first day on, new ones sign up at a steady rate (the scale's customer count is
reached after the default 14 days; a longer history has more customers). Each customer owns a time
slot and signs up inside it, so "signed up before T" is an id prefix computed from T.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from generator.calendar import SECONDS_PER_DAY
from generator.spec import DEFAULT_DAYS, DatasetSpec

#: Share of the scale's customers who signed up before the history starts (the rest sign up during the
#: default 14 days, at a rate that continues for as long as the history lasts).
EXISTING_CUSTOMER_SHARE = 0.95
SIGNUP_HISTORY_DAYS = 3 * 365


@dataclass(frozen=True)
class SignupTimeline:
    """Customers [0, existing) sign up evenly over the history before the first day; customer
    existing + k signs up in the k-th slot of a steady rate of `rate_count` customers per `rate_seconds`
    from the first day on. Each customer owns a time slot; its signup falls inside it."""

    existing: int
    rate_count: int
    history_start: int  # seconds since the epoch
    first_second: int
    rate_seconds: int

    def slot_bounds(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start (inclusive) and end (exclusive) second of each customer's signup slot."""
        index = np.asarray(index, dtype=np.int64)
        history = self.first_second - self.history_start
        is_new = index >= self.existing
        offset = np.where(is_new, index - self.existing, index)
        count = np.where(is_new, max(1, self.rate_count), self.existing)
        span = np.where(is_new, self.rate_seconds, history)
        base = np.where(is_new, self.first_second, self.history_start)
        return base + offset * span // count, base + (offset + 1) * span // count

    def eligible(self, seconds: np.ndarray) -> np.ndarray:
        """How many customers (a prefix of the ids) signed up strictly before each time."""
        seconds = np.asarray(seconds, dtype=np.int64)
        elapsed = seconds - self.first_second
        # Slot of new customer j ends at first_second + (j + 1) * span // rate; it is before T when
        # (j + 1) * span < elapsed * rate, i.e. j + 1 <= (elapsed * rate - 1) // span.
        new_done = np.maximum((elapsed * self.rate_count - 1) // self.rate_seconds, 0) if self.rate_count else 0
        return np.where(elapsed > 0, self.existing + new_done, 0)

    def count_by(self, last_day: int) -> int:
        """Customers whose signup slot has ended by the end of `last_day`: the customers table's rows."""
        return int(self.eligible((last_day + 1) * SECONDS_PER_DAY + 1))


@lru_cache(maxsize=4)
def signup_timeline(spec: DatasetSpec) -> SignupTimeline:
    """The signup timeline of a spec: it depends on the first day, never on the last."""
    total = spec.volumes.customers
    existing = max(1, min(total, round(total * EXISTING_CUSTOMER_SHARE)))
    first_second = spec.first_day * SECONDS_PER_DAY
    return SignupTimeline(
        existing=existing,
        rate_count=total - existing,
        history_start=first_second - SIGNUP_HISTORY_DAYS * SECONDS_PER_DAY,
        first_second=first_second,
        rate_seconds=DEFAULT_DAYS * SECONDS_PER_DAY,
    )
