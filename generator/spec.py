"""The row-determining parameters as a plain frozen dataclass, with the scale presets.

Only the standard library here: the build path (plan, builders, writers) takes a DatasetSpec,
so it also runs where pydantic is absent (a bare Databricks cluster). `config.py` adds the
pydantic models that the CLI, the MCP tools and the templates validate input with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

SCALES = ("small", "medium", "large")
#: The last day of the default window; fixed so that output never depends on today's date.
DEFAULT_END_DATE = date(2025, 12, 31)
DEFAULT_DAYS = 14
DEFAULT_SEED = 42
MAX_DAYS = 365
MAX_SCALE_FACTOR = 1000.0
MAX_SEED = 2**63 - 1
MIN_END_DATE = date(1971, 1, 1)
MAX_END_DATE = date(2199, 12, 31)


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

    scale: str = "small"
    scale_factor: float = 1.0
    days: int = DEFAULT_DAYS
    seed: int = DEFAULT_SEED
    end_date: date = DEFAULT_END_DATE

    def __post_init__(self) -> None:
        problems = []
        if self.scale not in SCALES:
            problems.append(f"scale={self.scale!r}: accepted values are {', '.join(SCALES)}")
        if not (isinstance(self.scale_factor, (int, float)) and math.isfinite(self.scale_factor)) or not (
            0 < self.scale_factor <= MAX_SCALE_FACTOR
        ):
            problems.append(f"scale_factor={self.scale_factor!r}: must be a number > 0 and <= {MAX_SCALE_FACTOR:g}")
        if not isinstance(self.days, int) or not 1 <= self.days <= MAX_DAYS:
            problems.append(f"days={self.days!r}: must be a whole number from 1 to {MAX_DAYS}")
        if not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            problems.append(f"seed={self.seed!r}: must be a whole number from 0 to {MAX_SEED}")
        if not isinstance(self.end_date, date) or not MIN_END_DATE <= self.end_date <= MAX_END_DATE:
            problems.append(f"end_date={self.end_date!r}: must be a date from {MIN_END_DATE} to {MAX_END_DATE}")
        if problems:
            raise ValueError("; ".join(problems))

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
