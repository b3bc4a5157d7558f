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


@dataclass(frozen=True)
class Volumes:
    """Resolved entity counts (preset times scale factor, at least one of each)."""

    stores: int
    products: int
    customers: int
    orders_per_day: float
    assortment: int


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate: the same values always give the same rows."""

    scale: str = DEFAULT_SCALE
    scale_factor: float = 1.0
    days: int = DEFAULT_DAYS
    seed: int = DEFAULT_SEED
    end_date: date = DEFAULT_END_DATE

    @classmethod
    def parse(
        cls,
        scale: object = DEFAULT_SCALE,
        scale_factor: object = 1.0,
        days: object = DEFAULT_DAYS,
        seed: object = DEFAULT_SEED,
        end_date: object = DEFAULT_END_DATE,
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
            )
        )

    @property
    def start_date(self) -> date:
        """First day of the order window (inclusive)."""
        return self.end_date - timedelta(days=self.days - 1)

    @property
    def volumes(self) -> Volumes:
        """Entity counts after applying the scale factor."""
        preset = SCALE_PRESETS[self.scale]
        products = max(1, round(preset.products * self.scale_factor))
        return Volumes(
            stores=max(1, round(preset.stores * self.scale_factor)),
            products=products,
            customers=max(2, round(preset.customers * self.scale_factor)),
            orders_per_day=preset.orders_per_day * self.scale_factor,
            assortment=min(products, preset.assortment),
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
        }
