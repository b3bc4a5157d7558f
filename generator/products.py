"""The products table and the product attributes (prices, popularity, lead times) the simulation uses."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from generator.catalog import ADJECTIVES, CATEGORIES, SIZE_LABELS, name_pools
from generator.money import cents_to_decimal
from generator.plan import Chunk
from generator.rng import Column, Family, stream
from generator.schema import PRODUCTS
from generator.spec import DatasetSpec

#: Exponent of the popularity power law: weight of the product ranked r is r ** -POPULARITY_SKEW.
POPULARITY_SKEW = 0.9
PRICE_ENDINGS = np.array([99, 49, 29, 79], dtype=np.int64)
#: Categories restocked daily (short supplier lead times).
FRESH_CATEGORIES = frozenset({"Produce", "Dairy", "Bakery", "Meat & Seafood"})


@dataclass(frozen=True)
class ProductAttributes:
    """Numeric attributes of every product, indexed by product index (product_id - 1)."""

    category: np.ndarray
    base_cents: np.ndarray
    cost_cents: np.ndarray
    popularity: np.ndarray  # relative sales weight (skewed)
    lead_time: np.ndarray  # supplier lead time in days
    item: np.ndarray
    brand_stem: np.ndarray
    brand_suffix: np.ndarray
    adjective: np.ndarray
    size_label: np.ndarray


@lru_cache(maxsize=4)
def product_attributes(spec: DatasetSpec) -> ProductAttributes:
    """Draw every product's category, price, cost, popularity and lead time."""
    n = spec.volumes.products
    seed = spec.seed
    share = np.array([c.sales_share for c in CATEGORIES])
    category = stream(seed, Family.PRODUCTS, Column.CATEGORY).choice(len(CATEGORIES), size=n, p=share / share.sum())

    price_rng = stream(seed, Family.PRODUCTS, Column.PRICE)
    low = np.log(np.array([c.price_low for c in CATEGORIES]))[category]
    high = np.log(np.array([c.price_high for c in CATEGORIES]))[category]
    dollars = np.floor(np.exp(price_rng.uniform(low, high)))
    base_cents = dollars.astype(np.int64) * 100 + PRICE_ENDINGS[price_rng.integers(0, len(PRICE_ENDINGS), n)]
    margin = stream(seed, Family.PRODUCTS, Column.COST).uniform(0.45, 0.8, n)
    cost_cents = np.clip(np.floor(base_cents * margin).astype(np.int64), 1, base_cents - 1)

    rank = stream(seed, Family.PRODUCTS, Column.POPULARITY).permutation(n) + 1
    popularity = rank.astype(np.float64) ** -POPULARITY_SKEW * share[category]

    fresh = np.array([c.name in FRESH_CATEGORIES for c in CATEGORIES])[category]
    lead_rng = stream(seed, Family.PRODUCTS, Column.LEAD_TIME)
    lead_time = np.where(fresh, lead_rng.integers(1, 3, n), lead_rng.integers(2, 6, n)).astype(np.int64)

    name_rng = stream(seed, Family.PRODUCTS, Column.BRAND)
    item_counts = np.array([len(c.items) for c in CATEGORIES])[category]
    suffix_counts = np.array([len(c.brand_suffixes) for c in CATEGORIES])[category]
    brands_per_category = max(3, n // (len(CATEGORIES) * 8))
    return ProductAttributes(
        category=category,
        base_cents=base_cents,
        cost_cents=cost_cents,
        popularity=popularity,
        lead_time=lead_time,
        item=np.floor(name_rng.random(n) * item_counts).astype(np.int64),
        brand_stem=(category * 7919 + name_rng.integers(0, brands_per_category, n)) % len(name_pools().brand_stems),
        brand_suffix=np.floor(name_rng.random(n) * suffix_counts).astype(np.int64),
        adjective=name_rng.integers(0, len(ADJECTIVES), n),
        size_label=name_rng.integers(0, len(SIZE_LABELS), n),
    )


def build_products(chunk: Chunk, spec: DatasetSpec) -> pa.Table:
    """Rows chunk.start..chunk.stop of the products table."""
    attrs = product_attributes(spec)
    index = np.arange(chunk.start, chunk.stop)
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
    columns = {
        "product_id": pa.array(index + 1, pa.int32()),
        "sku": pa.array(sku, pa.string()),
        "name": pa.array(names, pa.string()),
        "category": pa.array([cat.name for cat in categories], pa.string()),
        "brand": pa.array(brand, pa.string()),
        "base_price": cents_to_decimal(attrs.base_cents[index], PRODUCTS.schema.field("base_price").type),
        "unit_cost": cents_to_decimal(attrs.cost_cents[index], PRODUCTS.schema.field("unit_cost").type),
    }
    return pa.table(columns, schema=PRODUCTS.schema)
