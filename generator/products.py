"""The products table and the product attributes (prices over time, popularity, lead times) the simulation uses.

Products live on the calendar: the scale's products (ids 1..N) launched before the history starts and
a few of them are discontinued during its first year; new products (ids N+1..) launch during that
year, after the default 14 days. Every product's price changes a few times, each change in force
from its day on (orders use the price of their day). Every draw is prefix-stable, so a larger scale
keeps the smaller one's products.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from generator.arrays import numbers, strings
from generator.calendar import NEVER
from generator.catalog import ADJECTIVES, CATEGORIES, SIZE_LABELS, name_pools
from generator.money import cents_to_decimal
from generator.plan import Chunk
from generator.rng import Column, Family, stream
from generator.schema import PRODUCTS
from generator.spec import DatasetSpec
from generator.stores import new_arrival_days

#: Exponent of the popularity power law (a prefix-stable Zipf: weight = u ** -skew for u uniform in (0, 1]).
POPULARITY_SKEW = 0.9
PRICE_ENDINGS = np.array([99, 49, 29, 79], dtype=np.int64)
#: Categories restocked daily (short supplier lead times).
FRESH_CATEGORIES = frozenset({"Produce", "Dairy", "Bakery", "Meat & Seafood"})
#: Share of the scale's products discontinued between 30 days and a year into the history.
DISCONTINUE_SHARE = 0.04
#: Price changes per product, each GAP_DAYS apart, each by a relative step in PRICE_STEP.
PRICE_CHANGES = 3
PRICE_GAP_DAYS = (45, 240)
PRICE_STEP = (-0.08, 0.12)
#: Brand stems per category: ranks drawn from a power law, so a few brands have many products.
BRAND_STEMS = 400
BRAND_SKEW = 1.25


@dataclass(frozen=True)
class ProductAttributes:
    """Numeric attributes of every product, indexed by product index (product_id - 1)."""

    category: np.ndarray
    cost_cents: np.ndarray
    popularity: np.ndarray  # relative sales weight (skewed)
    lead_time: np.ndarray  # supplier lead time in days
    launched_day: np.ndarray  # first day sold
    discontinued_day: np.ndarray  # first day not sold (NEVER when it stays)
    price_days: np.ndarray  # (products, PRICE_CHANGES): day each change takes effect
    price_cents: np.ndarray  # (products, PRICE_CHANGES + 1): the launch price, then the price after each change
    item: np.ndarray
    brand_stem: np.ndarray
    brand_suffix: np.ndarray
    adjective: np.ndarray
    size_label: np.ndarray

    def changes_by(self, product: np.ndarray, day: np.ndarray | int) -> np.ndarray:
        """How many price changes of each product are in force on `day`."""
        return (self.price_days[product] <= np.asarray(day)[..., None]).sum(axis=-1)

    def cents_on(self, product: np.ndarray, day: np.ndarray | int) -> np.ndarray:
        """The base price in cents of each product on `day`."""
        return self.price_cents[product, self.changes_by(product, day)]


def _price_path(base_cents: np.ndarray, cost_cents: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The launch price then the price after each relative step: whole dollars plus the launch price's
    ending, always above the cost."""
    ending = base_cents % 100
    path = [base_cents]
    for step in steps.T:
        dollars = np.maximum(np.floor(path[-1] * (1.0 + step) / 100.0), 0).astype(np.int64)
        path.append(np.maximum(dollars * 100 + ending, cost_cents + 1))
    return np.stack(path, axis=1)


@lru_cache(maxsize=4)
def product_attributes(spec: DatasetSpec) -> ProductAttributes:
    """Draw every product's category, prices, cost, popularity, lead time and life on the calendar."""
    n, initial = spec.volumes.total_products, spec.volumes.products
    seed = spec.seed
    start = spec.first_day
    share = np.array([c.sales_share for c in CATEGORIES])
    category = stream(seed, Family.PRODUCTS, Column.CATEGORY).choice(len(CATEGORIES), size=n, p=share / share.sum())

    low = np.log(np.array([c.price_low for c in CATEGORIES]))[category]
    high = np.log(np.array([c.price_high for c in CATEGORIES]))[category]
    dollars = np.floor(np.exp(stream(seed, Family.PRODUCTS, Column.PRICE).uniform(low, high)))
    ending = PRICE_ENDINGS[stream(seed, Family.PRODUCTS, Column.PRICE_ENDING).integers(0, len(PRICE_ENDINGS), n)]
    base_cents = dollars.astype(np.int64) * 100 + ending
    margin = stream(seed, Family.PRODUCTS, Column.COST).uniform(0.45, 0.8, n)
    cost_cents = np.clip(np.floor(base_cents * margin).astype(np.int64), 1, base_cents - 1)

    u = 1.0 - stream(seed, Family.PRODUCTS, Column.POPULARITY).random(n)
    popularity = u**-POPULARITY_SKEW * share[category]

    fresh = np.array([c.name in FRESH_CATEGORIES for c in CATEGORIES])[category]
    lead_draw = stream(seed, Family.PRODUCTS, Column.LEAD_TIME).random(n)
    lead_time = np.where(fresh, 1 + np.floor(lead_draw * 2), 2 + np.floor(lead_draw * 4)).astype(np.int64)

    launched = start - 60 - np.floor(stream(seed, Family.PRODUCTS, Column.LAUNCH).random(n) * 3 * 365).astype(np.int64)
    launched[initial:] = new_arrival_days(spec, stream(seed, Family.PRODUCTS, Column.LAUNCH_DAY).random(n)[initial:])
    discontinues = stream(seed, Family.PRODUCTS, Column.DISCONTINUE).random((n, 2))
    discontinues[initial:, 0] = 1.0  # a new product stays on sale through the year
    discontinued = np.where(
        discontinues[:, 0] < DISCONTINUE_SHARE, start + 30 + np.floor(discontinues[:, 1] * 336), NEVER
    ).astype(np.int64)
    changes = stream(seed, Family.PRODUCTS, Column.PRICE_CHANGE).random((n, PRICE_CHANGES, 2))
    gaps = PRICE_GAP_DAYS[0] + np.floor(changes[:, :, 0] * (PRICE_GAP_DAYS[1] - PRICE_GAP_DAYS[0]))
    price_days = np.maximum(launched, start)[:, None] + np.cumsum(gaps, axis=1).astype(np.int64)
    steps = PRICE_STEP[0] + changes[:, :, 1] * (PRICE_STEP[1] - PRICE_STEP[0])

    names = stream(seed, Family.PRODUCTS, Column.BRAND).random((n, 5))
    item_counts = np.array([len(c.items) for c in CATEGORIES])[category]
    suffix_counts = np.array([len(c.brand_suffixes) for c in CATEGORIES])[category]
    brand_rank = np.minimum(np.floor((1.0 - names[:, 1]) ** -BRAND_SKEW) - 1, BRAND_STEMS - 1).astype(np.int64)
    return ProductAttributes(
        category=category,
        cost_cents=cost_cents,
        popularity=popularity,
        lead_time=lead_time,
        launched_day=launched.astype(np.int32),
        discontinued_day=discontinued.astype(np.int32),
        price_days=price_days.astype(np.int32),
        price_cents=_price_path(base_cents, cost_cents, steps),
        item=np.floor(names[:, 0] * item_counts).astype(np.int64),
        brand_stem=(category * 7919 + brand_rank) % len(name_pools().brand_stems),
        brand_suffix=np.floor(names[:, 2] * suffix_counts).astype(np.int64),
        adjective=np.floor(names[:, 3] * len(ADJECTIVES)).astype(np.int64),
        size_label=np.floor(names[:, 4] * len(SIZE_LABELS)).astype(np.int64),
    )


def build_products(chunk: Chunk, spec: DatasetSpec) -> pa.Table:
    """The products of chunk.start..chunk.stop launched by the dataset's last day, as they are on that day."""
    attrs = product_attributes(spec)
    last = spec.last_day
    index = np.arange(chunk.start, chunk.stop)
    index = index[attrs.launched_day[index] <= last]
    category = attrs.category[index]
    categories = [CATEGORIES[c] for c in category]
    brand = [
        f"{name_pools().brand_stems[stem]} {cat.brand_suffixes[suffix]}"
        for cat, stem, suffix in zip(categories, attrs.brand_stem[index], attrs.brand_suffix[index], strict=True)
    ]
    names = [
        f"{b} {ADJECTIVES[adj]} {cat.items[item]}, {SIZE_LABELS[size]}"
        for b, cat, adj, item, size in zip(
            brand, categories, attrs.adjective[index], attrs.item[index], attrs.size_label[index], strict=True
        )
    ]
    sku = [f"{cat.name[:3].upper()}-{pid:07d}" for cat, pid in zip(categories, index + 1, strict=True)]
    changes = attrs.changes_by(index, last)
    valid_from = np.where(changes > 0, attrs.price_days[index, np.maximum(changes - 1, 0)], attrs.launched_day[index])
    discontinued = attrs.discontinued_day[index]
    money = PRODUCTS.schema.field("base_price").type
    columns = {
        "product_id": numbers(index + 1, pa.int32()),
        "sku": strings(sku),
        "name": strings(names),
        "category": strings([cat.name for cat in categories]),
        "brand": strings(brand),
        "base_price": cents_to_decimal(attrs.price_cents[index, changes], money),
        "unit_cost": cents_to_decimal(attrs.cost_cents[index], money),
        "launched_date": numbers(attrs.launched_day[index], pa.date32()),
        "discontinued_date": numbers(discontinued, pa.date32(), null=discontinued > last),
        "price_valid_from": numbers(valid_from, pa.date32()),
    }
    return pa.table(columns, schema=PRODUCTS.schema)
