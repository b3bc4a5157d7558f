"""The customers table, and the arithmetic that lets orders pick customers without lookups.

Customer ids follow signup order, so "signed up before time T" is an id range computed from T.
A customer's home store is `index % stores` and their segment comes from a seeded pattern at
position `(index // stores + index % stores) % 100`, so an order can draw a
customer of a given home store and segment by arithmetic on sampled indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generator.calendar import MICROS_PER_SECOND, SECONDS_PER_DAY, day_number
from generator.catalog import CITIES, REGIONS, SEGMENTS, name_pools
from generator.plan import Chunk
from generator.rng import Column, Family, stream
from generator.schema import CUSTOMERS
from generator.spec import DatasetSpec
from generator.stores import store_attributes

#: Shares of the segments casual, loyal, bargain, premium (in percent).
SEGMENT_SLOTS = (40, 25, 20, 15)
#: Share of customers who signed up before the window (the rest sign up during it).
EXISTING_CUSTOMER_SHARE = 0.85
SIGNUP_HISTORY_DAYS = 3 * 365


@dataclass(frozen=True)
class SignupTimeline:
    """Customers [0, existing) sign up evenly over the history before the window; the rest
    evenly over the window. Each customer owns a time slot; its signup falls inside it."""

    existing: int
    total: int
    history_start: int  # seconds since the epoch
    window_start: int
    window_seconds: int

    def slot_bounds(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start (inclusive) and end (exclusive) second of each customer's signup slot."""
        index = np.asarray(index, dtype=np.int64)
        history = self.window_start - self.history_start
        new = max(1, self.total - self.existing)
        is_new = index >= self.existing
        offset = np.where(is_new, index - self.existing, index)
        count = np.where(is_new, new, self.existing)
        span = np.where(is_new, self.window_seconds, history)
        base = np.where(is_new, self.window_start, self.history_start)
        return base + offset * span // count, base + (offset + 1) * span // count

    def eligible(self, seconds: np.ndarray) -> np.ndarray:
        """How many customers (a prefix of the ids) signed up strictly before each time."""
        seconds = np.asarray(seconds, dtype=np.int64)
        new = self.total - self.existing
        elapsed = seconds - self.window_start
        # Slot of customer j ends at window_start + (j + 1) * span // new; it is before T when
        # (j + 1) * span < elapsed * new, i.e. j + 1 <= (elapsed * new - 1) // span.
        new_done = np.clip((elapsed * new - 1) // self.window_seconds, 0, new) if new else 0
        return np.where(elapsed > 0, self.existing + new_done, 0)


@lru_cache(maxsize=4)
def signup_timeline(spec: DatasetSpec) -> SignupTimeline:
    """The signup timeline of a spec."""
    total = spec.volumes.customers
    window_start = day_number(spec.start_date) * SECONDS_PER_DAY
    return SignupTimeline(
        existing=max(1, min(total, round(total * EXISTING_CUSTOMER_SHARE))),
        total=total,
        history_start=window_start - SIGNUP_HISTORY_DAYS * SECONDS_PER_DAY,
        window_start=window_start,
        window_seconds=spec.days * SECONDS_PER_DAY,
    )


@lru_cache(maxsize=4)
def segment_pattern(spec: DatasetSpec) -> np.ndarray:
    """Segment index of each position of the repeating pattern (a seeded shuffle)."""
    pattern = np.repeat(np.arange(len(SEGMENTS), dtype=np.int8), SEGMENT_SLOTS)
    return stream(spec.seed, Family.CUSTOMERS, Column.SEGMENT).permutation(pattern)


def customer_segment(index: np.ndarray, stores: int, pattern: np.ndarray) -> np.ndarray:
    """Segment index of each customer index."""
    index = np.asarray(index, dtype=np.int64)
    return pattern[(index // stores + index % stores) % len(pattern)]


def build_customers(chunk: Chunk, spec: DatasetSpec) -> pa.Table:
    """Rows chunk.start..chunk.stop of the customers table."""
    seed = spec.seed
    index = np.arange(chunk.start, chunk.stop, dtype=np.int64)
    n = len(index)
    pools = name_pools()
    first_idx = np.searchsorted(
        pools.first_name_cdf, stream(seed, Family.CUSTOMERS, Column.FIRST_NAME, chunk.part).random(n)
    )
    last_idx = np.searchsorted(
        pools.last_name_cdf, stream(seed, Family.CUSTOMERS, Column.LAST_NAME, chunk.part).random(n)
    )
    domain_idx = stream(seed, Family.CUSTOMERS, Column.EMAIL, chunk.part).integers(0, len(pools.email_domains), n)
    first = pa.array(pools.first_names, pa.string()).take(pa.array(first_idx))
    last = pa.array(pools.last_names, pa.string()).take(pa.array(last_idx))
    ids = index + 1
    email = pc.binary_join_element_wise(
        pc.replace_substring_regex(pc.utf8_lower(first), "[^a-z]", ""),
        ".",
        pc.replace_substring_regex(pc.utf8_lower(last), "[^a-z]", ""),
        pc.cast(pa.array(ids), pa.string()),
        "@",
        pa.array(pools.email_domains, pa.string()).take(pa.array(domain_idx)),
        "",
    )

    timeline = signup_timeline(spec)
    slot_start, slot_end = timeline.slot_bounds(index)
    jitter = stream(seed, Family.CUSTOMERS, Column.SIGNUP, chunk.part).random(n)
    signup = slot_start + np.floor(jitter * (slot_end - slot_start)).astype(np.int64)

    stores = store_attributes(spec)
    home = index % stores.count
    segments = customer_segment(index, stores.count, segment_pattern(spec))
    columns = {
        "customer_id": pa.array(ids, pa.int32()),
        "first_name": first,
        "last_name": last,
        "email": email,
        "segment": pa.array(np.array(SEGMENTS, dtype=object)[segments], pa.string()),
        "signup_ts": pa.array(signup * MICROS_PER_SECOND, pa.int64()).cast(pa.timestamp("us")),
        "home_region": pa.array(np.array(REGIONS, dtype=object)[stores.region[home]], pa.string()),
        "home_city": pa.array(np.array([c[0] for c in CITIES], dtype=object)[stores.city[home]], pa.string()),
    }
    return pa.table(columns, schema=CUSTOMERS.schema)
