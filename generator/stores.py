"""The stores table and the store attributes the activity simulation needs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from generator.calendar import day_number
from generator.catalog import CITIES, REGIONS, STORE_NAME_SUFFIXES
from generator.plan import Chunk
from generator.rng import Column, Family, stream
from generator.schema import STORES
from generator.spec import DatasetSpec

#: Share of stores (other than the first) that open inside the order window.
NEW_STORE_SHARE = 0.06
MAX_STORE_AGE_DAYS = 15 * 365


@dataclass(frozen=True)
class StoreAttributes:
    """Numeric attributes of every store, indexed by store index (store_id - 1)."""

    city: np.ndarray
    region: np.ndarray
    opened_day: np.ndarray
    size: np.ndarray  # relative share of the chain's order volume
    latitude: np.ndarray
    longitude: np.ndarray
    name_suffix: np.ndarray
    region_members: np.ndarray  # store indexes sorted by region
    region_offsets: np.ndarray  # region r's stores are region_members[offsets[r]:offsets[r+1]]

    @property
    def count(self) -> int:
        return len(self.city)


@lru_cache(maxsize=4)
def store_attributes(spec: DatasetSpec) -> StoreAttributes:
    """Draw every store's city, size and opening day (cheap: there are few stores)."""
    n = spec.volumes.stores
    seed = spec.seed
    market = np.array([city[5] for city in CITIES])
    city = stream(seed, Family.STORES, Column.CITY).choice(len(CITIES), size=n, p=market / market.sum())
    region = np.array([CITIES[i][2] for i in city], dtype=np.int8)

    size_rng = stream(seed, Family.STORES, Column.SIZE)
    size = size_rng.lognormal(0.0, 0.35, n) * market[city] ** 0.25
    size = size / size.sum()

    opened_rng = stream(seed, Family.STORES, Column.OPENED)
    start = day_number(spec.start_date)
    opened = start - opened_rng.integers(30, MAX_STORE_AGE_DAYS, n)
    is_new = opened_rng.random(n) < NEW_STORE_SHARE
    is_new[0] = False  # the first store is always open, so every day has a trading store
    if spec.days >= 2:
        opened = np.where(is_new, start + opened_rng.integers(1, spec.days, n), opened)

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
        size=size,
        latitude=latitude,
        longitude=longitude,
        name_suffix=name_suffix,
        region_members=members.astype(np.int64),
        region_offsets=offsets.astype(np.int64),
    )


def build_stores(chunk: Chunk, spec: DatasetSpec) -> pa.Table:
    """Rows chunk.start..chunk.stop of the stores table."""
    attrs = store_attributes(spec)
    index = np.arange(chunk.start, chunk.stop)
    city_names = np.array([CITIES[i][0] for i in attrs.city[index]], dtype=object)
    suffixes = np.array(STORE_NAME_SUFFIXES, dtype=object)[attrs.name_suffix[index]]
    columns = {
        "store_id": pa.array(index + 1, pa.int32()),
        "name": pa.array(city_names + " " + suffixes, pa.string()),
        "region": pa.array(np.array(REGIONS, dtype=object)[attrs.region[index]], pa.string()),
        "city": pa.array(city_names, pa.string()),
        "state": pa.array([CITIES[i][1] for i in attrs.city[index]], pa.string()),
        "latitude": pa.array(attrs.latitude[index], pa.float64()),
        "longitude": pa.array(attrs.longitude[index], pa.float64()),
        "opened_date": pa.array(attrs.opened_day[index], pa.int32()).cast(pa.date32()),
    }
    return pa.table(columns, schema=STORES.schema)
