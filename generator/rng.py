"""Independent random streams keyed by (seed, table, column, chunk, ...) from frozen integer ids.

Every draw comes from a stream whose key names exactly what it is for, so adding a column,
changing the worker count or reordering tasks never shifts any other value. The ids below are
frozen: changing one changes the data of every seed.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Family(IntEnum):
    """Frozen ids of the table families (tables built together by one kind of chunk; the activity
    family covers orders, order_items and inventory_snapshots). `generator.schema` says which
    table belongs to which family, by the lower-case name."""

    STORES = 1
    PRODUCTS = 2
    CUSTOMERS = 3
    PROMOTIONS = 4
    ACTIVITY = 5


class Column(IntEnum):
    """Frozen purpose ids: what a stream is drawn for. A retired id (31-34, 50-57: purposes now drawn
    from a per-period or per-day stream) is never given to another purpose."""

    CITY = 1
    NAME = 2
    OPENED = 3
    SIZE = 4
    JITTER = 5
    OPENING_DAY = 6
    CLOSES = 7
    CLOSING_DAY = 8
    CATEGORY = 10
    BRAND = 11
    PRICE = 12
    COST = 13
    POPULARITY = 14
    LEAD_TIME = 15
    PRICE_ENDING = 16
    LAUNCH = 17
    LAUNCH_DAY = 18
    DISCONTINUE = 19
    FIRST_NAME = 20
    LAST_NAME = 21
    EMAIL = 22
    SIGNUP = 23
    SEGMENT = 24
    CUSTOMER_CHANGE = 25
    PROMO_SLOT = 30
    ASSORTMENT = 40
    INITIAL_STOCK = 41
    #: Everything one day of a store group draws, in a fixed order (see generator.activity).
    DAY = 60
    PRICE_CHANGE = 61


def stream(seed: int, family: Family, column: Column, *key: int) -> np.random.Generator:
    """A numpy Generator for (seed, family, column, *key), e.g. key = (chunk part,) or (chunk part, block)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, int(family), int(column), *key])))
