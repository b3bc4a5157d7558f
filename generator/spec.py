"""The row-determining parameters as a plain frozen dataclass, with the scale presets.

Only the standard library here: the build path (plan, builders, writers) takes a DatasetSpec,
so it also runs where pydantic is absent (a bare Databricks cluster). A DatasetSpec holds values
that were already checked: `DatasetSpec.parse` checks raw values with `generator.rules` (the script
contract, the Spark job), and `generator.config.DatasetConfig` checks them as pydantic fields (the
CLI, the MCP tools); both build the spec once the values passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from generator import rules

EPOCH = date(1970, 1, 1)
#: The last day of the default window; fixed so that output never depends on today's date.
DEFAULT_END_DATE = date(2025, 12, 31)
DEFAULT_DAYS = 14
DEFAULT_SEED = 42
DEFAULT_SCALE = "small"


@dataclass(frozen=True)
class ScalePreset:
    """Volumes of one named scale at scale_factor 1.0 (orders are a chain-wide daily rate)."""

    stores: int
    products: int
    customers: int
    orders_per_day: float
    assortment: int  # products carried by each store


#: The seed document's volumes: orders are quoted for the default 14 days.
SMALL = ScalePreset(stores=10, products=200, customers=2_000, orders_per_day=4_000 / 14, assortment=200)
MEDIUM = ScalePreset(stores=50, products=1_000, customers=25_000, orders_per_day=75_000 / 14, assortment=600)
LARGE = ScalePreset(stores=200, products=5_000, customers=120_000, orders_per_day=500_000 / 14, assortment=1_500)
SCALE_PRESETS: dict[str, ScalePreset] = {"small": SMALL, "medium": MEDIUM, "large": LARGE}


#: Stores that open and products that launch during a history's first year, as a share of the scale's
#: stores and products (they open and launch after the default 14 days, so those hold the preset's counts).
NEW_STORE_SHARE = 0.10
NEW_PRODUCT_SHARE = 0.10


@dataclass(frozen=True)
class Volumes:
    """Resolved entity counts (preset times scale factor, at least one of each)."""

    stores: int  # trading on the history's first day
    products: int  # on sale on the history's first day
    customers: int  # signed up by the end of the default 14 days
    orders_per_day: float
    assortment: int  # products each store carries over the year, launches included
    new_stores: int  # opening during the history's first year
    new_products: int  # launching during the history's first year

    @property
    def total_stores(self) -> int:
        """Every store a history can hold (ids 1..total_stores): the scale's, then the new ones."""
        return self.stores + self.new_stores

    @property
    def total_products(self) -> int:
        """Every product a history can hold (ids 1..total_products): the scale's, then the launches."""
        return self.products + self.new_products


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate: the same values always give the same rows."""

    scale: str = DEFAULT_SCALE
    scale_factor: float = 1.0
    days: int = DEFAULT_DAYS
    seed: int = DEFAULT_SEED
    end_date: date = DEFAULT_END_DATE
    #: Also write customers_history, every version of every customer (type 2).
    customer_history: bool = False

    @classmethod
    def parse(
        cls,
        scale: object = DEFAULT_SCALE,
        scale_factor: object = 1.0,
        days: object = DEFAULT_DAYS,
        seed: object = DEFAULT_SEED,
        end_date: object = DEFAULT_END_DATE,
        customer_history: object = False,
    ) -> DatasetSpec:
        """A spec from raw values (typed, or text from an environment variable or a command line), each
        checked by its rule; RuleErrors lists every refused value."""
        return cls(
            **rules.check_all(
                scale=(rules.SCALE, scale),
                scale_factor=(rules.SCALE_FACTOR, scale_factor),
                days=(rules.DAYS, days),
                seed=(rules.SEED, seed),
                end_date=(rules.END_DATE, end_date),
                customer_history=(rules.FLAG, customer_history),
            )
        )

    @property
    def start_date(self) -> date:
        """First day of the order window (inclusive): where the dataset's history starts."""
        return self.end_date - timedelta(days=self.days - 1)

    @property
    def first_day(self) -> int:
        """The start date as a day number (days since 1970-01-01)."""
        return (self.start_date - EPOCH).days

    @property
    def last_day(self) -> int:
        """The end date as a day number."""
        return (self.end_date - EPOCH).days

    @property
    def volumes(self) -> Volumes:
        """Entity counts after applying the scale factor."""
        preset = SCALE_PRESETS[self.scale]
        stores = max(1, round(preset.stores * self.scale_factor))
        products = max(1, round(preset.products * self.scale_factor))
        new_products = round(products * NEW_PRODUCT_SHARE)
        return Volumes(
            stores=stores,
            products=products,
            customers=max(2, round(preset.customers * self.scale_factor)),
            orders_per_day=preset.orders_per_day * self.scale_factor,
            assortment=min(products + new_products, round(preset.assortment * (1 + NEW_PRODUCT_SHARE))),
            new_stores=round(stores * NEW_STORE_SHARE),
            new_products=new_products,
        )

    def dataset_fields(self) -> dict[str, object]:
        """The parameters as JSON-ready values (recorded in the manifest)."""
        return {
            "scale": self.scale,
            "scale_factor": self.scale_factor,
            "days": self.days,
            "seed": self.seed,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "customer_history": self.customer_history,
        }
