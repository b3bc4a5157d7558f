"""The customers table, the arithmetic that lets orders pick customers without lookups, and the changes
customers go through over time.

Customer ids follow signup order (see generator.signups). A customer's home store is `index % stores`
and their segment comes from a seeded pattern at position `(index // stores + index % stores) % 100`,
so an order can draw a customer of a given home store and segment by arithmetic on sampled indexes.
Orders keep following these first attributes after a customer changes (a customer who moved may
still shop at the old store; a new loyal customer keeps a casual shopper's frequency).

During the history a customer moves (another store's city and region), changes e-mail address and
moves between segments (casual shoppers mostly become loyal): up to CHANGES events per customer, on
days drawn from their signup or the history's first day, whichever is later. The customers table
shows each customer as they are on the dataset's last day; customers_history, written on request,
has every version (type 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from generator.arrays import booleans, labels, numbers, strings
from generator.calendar import MICROS_PER_SECOND, SECONDS_PER_DAY
from generator.catalog import CITIES, REGIONS, SEGMENTS, name_pools
from generator.plan import Chunk
from generator.rng import Column, Family, stream
from generator.schema import CUSTOMERS, CUSTOMERS_HISTORY
from generator.signups import signup_timeline
from generator.spec import DatasetSpec
from generator.stores import store_attributes

#: Shares of the segments casual, loyal, bargain, premium (in percent).
SEGMENT_SLOTS = (40, 25, 20, 15)
#: Changes per customer, and the days between two of them (from the signup on).
CHANGES = 3
CHANGE_GAP_DAYS = (60, 1260)
MOVE, EMAIL_CHANGE, SEGMENT_CHANGE = 0, 1, 2
CHANGE_KIND_CDF = np.array([0.45, 0.75, 1.0])
#: A casual shopper who changes segment becomes loyal with this chance (else any other segment).
CASUAL_TO_LOYAL = 0.6
#: What follows the customer id in an e-mail address: nothing for the signup address, .k after the k-th change.
EMAIL_SUFFIXES = ("", *(f".{k}" for k in range(1, CHANGES + 1)))


@lru_cache(maxsize=4)
def segment_pattern(spec: DatasetSpec) -> np.ndarray:
    """Segment index of each position of the repeating pattern (a seeded shuffle)."""
    pattern = np.repeat(np.arange(len(SEGMENTS), dtype=np.int8), SEGMENT_SLOTS)
    return stream(spec.seed, Family.CUSTOMERS, Column.SEGMENT).permutation(pattern)


def customer_segment(index: np.ndarray, stores: int, pattern: np.ndarray) -> np.ndarray:
    """Segment index of each customer index at signup."""
    index = np.asarray(index, dtype=np.int64)
    return pattern[(index // stores + index % stores) % len(pattern)]


@dataclass
class CustomerVersion:
    """The changing attributes of a chunk's customers at one point of their history (arrays by customer)."""

    valid_from: np.ndarray  # second since the epoch
    home_store: np.ndarray
    segment: np.ndarray
    email_version: np.ndarray  # 0 for the signup address, k after the k-th change
    domain: np.ndarray

    def copy(self) -> CustomerVersion:
        return CustomerVersion(*(np.array(value) for value in vars(self).values()))


def customer_versions(
    chunk: Chunk, spec: DatasetSpec, signup: np.ndarray
) -> Iterator[tuple[np.ndarray, CustomerVersion]]:
    """The signup version of every customer of the chunk, then, for each change k, the customers it
    changed by the dataset's last day and their new version (arrays aligned with the chunk's customers)."""
    seed = spec.seed
    index = np.arange(chunk.start, chunk.stop, dtype=np.int64)
    n = len(index)
    stores = store_attributes(spec).count
    pools = name_pools()
    domain = stream(seed, Family.CUSTOMERS, Column.EMAIL, chunk.part).integers(0, len(pools.email_domains), n)
    version = CustomerVersion(
        valid_from=signup,
        home_store=index % stores,
        segment=customer_segment(index, stores, segment_pattern(spec)).astype(np.int64),
        email_version=np.zeros(n, dtype=np.int64),
        domain=domain,
    )
    yield np.ones(n, dtype=bool), version
    draws = stream(seed, Family.CUSTOMERS, Column.CUSTOMER_CHANGE, chunk.part).random((n, CHANGES, 4))
    gaps = CHANGE_GAP_DAYS[0] + np.floor(draws[:, :, 0] * (CHANGE_GAP_DAYS[1] - CHANGE_GAP_DAYS[0]))
    since = np.maximum(signup // SECONDS_PER_DAY, spec.first_day)  # the history starts with each as signed up
    days = since[:, None] + np.cumsum(gaps, axis=1).astype(np.int64)
    kinds = np.searchsorted(CHANGE_KIND_CDF, draws[:, :, 1], side="right")
    for k in range(CHANGES):
        changed = days[:, k] <= spec.last_day
        kind, target, extra = kinds[:, k], draws[:, k, 2], draws[:, k, 3]
        version = version.copy()
        version.valid_from = np.where(changed, days[:, k] * SECONDS_PER_DAY, version.valid_from)
        move = changed & (kind == MOVE)
        version.home_store = np.where(move, np.floor(target * stores).astype(np.int64), version.home_store)
        email = changed & (kind == EMAIL_CHANGE)
        version.email_version = np.where(email, k + 1, version.email_version)
        version.domain = np.where(email, np.floor(target * len(pools.email_domains)).astype(np.int64), version.domain)
        switch = changed & (kind == SEGMENT_CHANGE)
        to_loyal = (version.segment == 0) & (extra < CASUAL_TO_LOYAL)
        other = (version.segment + 1 + np.floor(extra * (len(SEGMENTS) - 1)).astype(np.int64)) % len(SEGMENTS)
        version.segment = np.where(switch, np.where(to_loyal, 1, other), version.segment)
        yield changed, version


def _rows(spec: DatasetSpec, ids: np.ndarray, first: pa.Array, last: pa.Array, signup: np.ndarray,
          version: CustomerVersion) -> dict[str, pa.Array]:  # fmt: skip
    """The customers columns of the given customers in the given version."""
    import pyarrow.compute as pc  # only the customers' chunks need it: the others never load it

    pools = name_pools()
    stores = store_attributes(spec)
    dot, at, nothing = strings([".", "@", ""])  # scalars, not made by pa.scalar (see generator.arrays)
    email = pc.binary_join_element_wise(
        pc.replace_substring_regex(pc.utf8_lower(first), "[^a-z]", ""),
        dot,
        pc.replace_substring_regex(pc.utf8_lower(last), "[^a-z]", ""),
        pc.cast(numbers(ids, pa.int64()), pa.string()),
        labels(EMAIL_SUFFIXES, version.email_version),
        at,
        labels(pools.email_domains, version.domain),
        nothing,
    )
    home = version.home_store
    return {
        "customer_id": numbers(ids, pa.int32()),
        "first_name": first,
        "last_name": last,
        "email": email,
        "segment": labels(SEGMENTS, version.segment),
        "signup_ts": numbers(signup * MICROS_PER_SECOND, pa.timestamp("us")),
        "home_region": labels(REGIONS, stores.region[home]),
        "home_city": labels([c[0] for c in CITIES], stores.city[home]),
    }


def build_customers(chunk: Chunk, spec: DatasetSpec) -> dict[str, pa.Table]:
    """The customers of chunk.start..chunk.stop as they are on the last day (and, when asked, every version)."""
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
    first = labels(pools.first_names, first_idx)
    last = labels(pools.last_names, last_idx)
    slot_start, slot_end = signup_timeline(spec).slot_bounds(index)
    jitter = stream(seed, Family.CUSTOMERS, Column.SIGNUP, chunk.part).random(n)
    signup = slot_start + np.floor(jitter * (slot_end - slot_start)).astype(np.int64)

    versions = list(customer_versions(chunk, spec, signup))
    current = versions[-1][1]
    tables = {CUSTOMERS.name: pa.table(_rows(spec, index + 1, first, last, signup, current), schema=CUSTOMERS.schema)}
    if spec.customer_history:
        tables[CUSTOMERS_HISTORY.name] = _history(spec, index + 1, first, last, signup, versions)
    return tables


def _history(spec: DatasetSpec, ids: np.ndarray, first: pa.Array, last: pa.Array, signup: np.ndarray,
             versions: list[tuple[np.ndarray, CustomerVersion]]) -> pa.Table:  # fmt: skip
    """Every version of every customer, in (customer, valid_from) order, with its validity interval."""
    parts = []
    for number, (present, version) in enumerate(versions):
        rows = np.flatnonzero(present)
        take = numbers(rows, pa.int64())
        columns = _rows(spec, ids[rows], first.take(take), last.take(take), signup[rows], _select(version, rows))
        columns["valid_from"] = numbers(version.valid_from[rows] * MICROS_PER_SECOND, pa.int64())
        columns["_order"] = numbers(rows * (CHANGES + 1) + number, pa.int64())
        parts.append(pa.table(columns))
    table = pa.concat_tables(parts).sort_by("_order")
    customer = table.column("customer_id").to_numpy()
    valid_from = table.column("valid_from").to_numpy()
    has_next = np.append(customer[1:] == customer[:-1], False)
    valid_to = np.append(valid_from[1:], 0)
    columns = {name: table.column(name) for name in CUSTOMERS.schema.names}
    columns["valid_from"] = numbers(valid_from, pa.timestamp("us"))
    columns["valid_to"] = numbers(valid_to, pa.timestamp("us"), null=~has_next)
    columns["is_current"] = booleans(~has_next)
    return pa.table(columns, schema=CUSTOMERS_HISTORY.schema)


def _select(version: CustomerVersion, rows: np.ndarray) -> CustomerVersion:
    return CustomerVersion(*(value[rows] for value in vars(version).values()))
