"""The stores table and the store attributes the activity simulation needs.

Stores live on the calendar: the scale's stores (ids 1..N) opened years before the history starts and
a few of them close during its first year; new stores (ids N+1..) open during that year, after the
default 14 days. A store is listed once it has opened by the dataset's last day, and its closed_date
appears once that day has come, so extending a dataset inserts the stores that opened and updates the
ones that closed. Every draw is prefix-stable (store i's values do not depend on how many stores
there are), so a larger scale keeps the smaller one's stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from generator.arrays import labels, numbers, strings
from generator.calendar import NEVER
from generator.catalog import CITIES, REGIONS, STORE_NAME_SUFFIXES
from generator.plan import Chunk
from generator.rng import Column, Family, stream
from generator.rules import MAX_DAYS
from generator.schema import STORES
from generator.spec import DEFAULT_DAYS, DatasetSpec

#: Share of the scale's stores (other than the first) that close between 30 days and a year into the history.
CLOSING_SHARE = 0.03
MAX_STORE_AGE_DAYS = 15 * 365


@dataclass(frozen=True)
class StoreAttributes:
    """Numeric attributes of every store, indexed by store index (store_id - 1)."""

    city: np.ndarray
    region: np.ndarray
    opened_day: np.ndarray  # first day of trading
    closed_day: np.ndarray  # first day closed (NEVER when it never closes)
    size: np.ndarray  # relative share of the chain's order volume
    latitude: np.ndarray
    longitude: np.ndarray
    name_suffix: np.ndarray
    region_members: np.ndarray  # store indexes sorted by region
    region_offsets: np.ndarray  # region r's stores are region_members[offsets[r]:offsets[r+1]]

    @property
    def count(self) -> int:
        return len(self.city)


def new_arrival_days(spec: DatasetSpec, draws: np.ndarray) -> np.ndarray:
    """Days on which the k-th of len(draws) new stores (or products) arrives: evenly over the first year
    after the default window, each at a seeded point of its own stretch (draws uniform in [0, 1))."""
    count = len(draws)
    span = MAX_DAYS - DEFAULT_DAYS
    return spec.first_day + DEFAULT_DAYS + np.floor((np.arange(count) + draws) * span / max(count, 1)).astype(np.int64)


@lru_cache(maxsize=4)
def store_attributes(spec: DatasetSpec) -> StoreAttributes:
    """Draw every store's city, size, opening and closing day (cheap: there are few stores)."""
    volumes = spec.volumes
    n, initial = volumes.total_stores, volumes.stores
    seed = spec.seed
    start = spec.first_day
    market = np.array([city[5] for city in CITIES])
    city = stream(seed, Family.STORES, Column.CITY).choice(len(CITIES), size=n, p=market / market.sum())
    region = np.array([CITIES[i][2] for i in city], dtype=np.int8)

    size = stream(seed, Family.STORES, Column.SIZE).lognormal(0.0, 0.35, n) * market[city] ** 0.25
    size = size / size[:initial].sum()  # the scale's stores share its orders_per_day

    opened = start - stream(seed, Family.STORES, Column.OPENED).integers(30, MAX_STORE_AGE_DAYS, n)
    opened[initial:] = new_arrival_days(spec, stream(seed, Family.STORES, Column.OPENING_DAY).random(n)[initial:])
    closes = stream(seed, Family.STORES, Column.CLOSES).random(n) < CLOSING_SHARE
    closes[0] = False  # the first store always trades
    closes[initial:] = False
    closing = start + stream(seed, Family.STORES, Column.CLOSING_DAY).integers(30, 366, n)
    closed = np.where(closes, closing, NEVER)

    jitter = stream(seed, Family.STORES, Column.JITTER).uniform(-0.08, 0.08, (n, 2))
    latitude = np.round(np.array([CITIES[i][3] for i in city]) + jitter[:, 0], 5)
    longitude = np.round(np.array([CITIES[i][4] for i in city]) + jitter[:, 1], 5)
    name_suffix = stream(seed, Family.STORES, Column.NAME).integers(0, len(STORE_NAME_SUFFIXES), n)

    members = np.argsort(region, kind="stable")
    offsets = np.searchsorted(region[members], np.arange(len(REGIONS) + 1))
    return StoreAttributes(
        city=city,
        region=region,
        opened_day=opened.astype(np.int32),
        closed_day=closed.astype(np.int32),
        size=size,
        latitude=latitude,
        longitude=longitude,
        name_suffix=name_suffix,
        region_members=members.astype(np.int64),
        region_offsets=offsets.astype(np.int64),
    )


def build_stores(chunk: Chunk, spec: DatasetSpec) -> pa.Table:
    """The stores of chunk.start..chunk.stop that have opened by the dataset's last day."""
    attrs = store_attributes(spec)
    index = np.arange(chunk.start, chunk.stop)
    index = index[attrs.opened_day[index] <= spec.last_day]
    city_names = [CITIES[i][0] for i in attrs.city[index]]
    suffixes = [STORE_NAME_SUFFIXES[i] for i in attrs.name_suffix[index]]
    closed = attrs.closed_day[index]
    columns = {
        "store_id": numbers(index + 1, pa.int32()),
        "name": strings([f"{city} {suffix}" for city, suffix in zip(city_names, suffixes, strict=True)]),
        "region": labels(REGIONS, attrs.region[index]),
        "city": strings(city_names),
        "state": strings([CITIES[i][1] for i in attrs.city[index]]),
        "latitude": numbers(attrs.latitude[index], pa.float64()),
        "longitude": numbers(attrs.longitude[index], pa.float64()),
        "opened_date": numbers(attrs.opened_day[index], pa.date32()),
        "closed_date": numbers(closed, pa.date32(), null=closed > spec.last_day),
    }
    return pa.table(columns, schema=STORES.schema)
