"""Rows, bytes, time and memory a generation will take, computed from the parameters alone.

Rates and sizes were measured on a 2-core machine (see bench/); the estimate is meant to be
within a factor of two, enough to choose a scale, a target and whether the machine can hold it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.activity.demand import daily_volume
from generator.customers import CHANGE_GAP_DAYS, CHANGES
from generator.plan import DAYS_PER_BLOCK, plan, stores_per_activity_chunk
from generator.promotions import PERIOD_DAYS, PROMOTION_RATE
from generator.rules import MAX_DAYS
from generator.signups import signup_timeline
from generator.spec import DEFAULT_DAYS, DatasetSpec

#: Measured averages at the default parameters.
LINES_PER_ORDER = 2.9
ORDERS_KEPT = 0.975  # share of demanded orders that are placed (the rest lose every line to stock-outs)
#: Bytes per row on disk, per format (Parquet/Delta snappy; CSV with header).
BYTES_PER_ROW = {
    "parquet": {"stores": 115, "products": 40, "customers": 23, "promotions": 35, "orders": 10,
                "order_items": 6, "inventory_snapshots": 3.5, "customers_history": 30},
    "csv": {"stores": 82, "products": 100, "customers": 113, "promotions": 48, "orders": 69,
            "order_items": 29, "inventory_snapshots": 30, "customers_history": 160},
}  # fmt: skip
BYTES_PER_ROW["delta"] = BYTES_PER_ROW["parquet"]
#: A DuckDB file: rows with their key indexes, plus about this much per table (blocks of 256 KiB, index roots).
BYTES_PER_ROW["duckdb"] = {"stores": 100, "products": 150, "customers": 150, "promotions": 60, "orders": 70,
                           "order_items": 48, "inventory_snapshots": 50, "customers_history": 170}  # fmt: skip
DUCKDB_BYTES_PER_TABLE = 1_000_000
#: Wall seconds per row of loading the staged parts into a DuckDB file (one process; the key indexes dominate).
DUCKDB_LOAD_SECONDS_PER_ROW = 4.5e-6
#: CPU seconds per row on one core (generation and writing).
SECONDS_PER_ROW = {"stores": 5e-6, "products": 5e-6, "customers": 3e-6, "promotions": 1e-6, "orders": 1.2e-6,
                   "order_items": 0.7e-6, "inventory_snapshots": 0.35e-6, "customers_history": 3e-6}  # fmt: skip
STARTUP_SECONDS = 0.8
#: Peak memory of one worker: a base plus the working set of one block of an activity chunk.
BASE_WORKER_MB = 110.0
BYTES_PER_PAIR_DAY = 380.0


def _arrived_share(days: np.ndarray) -> np.ndarray:
    """Share of a year's new stores or products that have arrived after `days` days of history."""
    return np.clip((days - DEFAULT_DAYS) / (MAX_DAYS - DEFAULT_DAYS), 0.0, 1.0)


def expected_rows(spec: DatasetSpec) -> dict[str, int]:
    """Rows per table of the dataset (exact for customers, close for the rest)."""
    volumes = spec.volumes
    elapsed = np.arange(1, spec.days + 1, dtype=np.float64)
    stores_open = volumes.stores + volumes.new_stores * _arrived_share(elapsed)
    on_sale = (volumes.products + volumes.new_products * _arrived_share(elapsed)) / volumes.total_products
    day_numbers = np.arange(spec.first_day, spec.last_day + 1)
    volume = daily_volume(day_numbers) * (stores_open / volumes.stores)
    orders = volumes.orders_per_day * float(volume.sum()) * ORDERS_KEPT
    periods = -(-spec.days // PERIOD_DAYS)
    products = round(volumes.products + volumes.new_products * float(_arrived_share(elapsed[-1:])[0]))
    rows = {
        "stores": round(float(stores_open[-1])),
        "products": products,
        "customers": signup_timeline(spec).count_by(spec.last_day),
        "promotions": round(products * periods * PROMOTION_RATE * min(1.0, spec.days / PERIOD_DAYS)),
        "orders": round(orders),
        "order_items": round(orders * LINES_PER_ORDER),
        "inventory_snapshots": round(float((stores_open * on_sale).sum()) * volumes.assortment),
    }
    if spec.customer_history:
        mean_gap = sum(CHANGE_GAP_DAYS) / 2
        changes = min(CHANGES, max(0.0, (spec.days - CHANGE_GAP_DAYS[0]) / mean_gap))
        rows["customers_history"] = round(rows["customers"] * (1 + changes))
    return rows


@dataclass(frozen=True)
class TableEstimate:
    """Expected size of one table: rows (exact for stores, products, customers), bytes on disk in
    the requested format, and CPU seconds to build and write it on one core."""

    rows: int
    bytes: int
    seconds: float


@dataclass(frozen=True)
class DatasetEstimate:
    """Expected size, wall time (with `workers`) and peak memory per worker of a generation, and the most
    disk it holds at once (a duckdb run stages Parquet parts beside its growing database file)."""

    format: str
    tables: dict[str, TableEstimate]
    total_rows: int
    total_bytes: int
    seconds: float
    workers: int
    peak_memory_mb_per_worker: float
    peak_disk_bytes: int


def estimate_dataset(spec: DatasetSpec, fmt: str, workers: int) -> DatasetEstimate:
    """Estimate rows, bytes, time and memory without generating anything, for `workers` worker processes
    (generator.preflight chooses them)."""
    rows = expected_rows(spec)
    volumes = spec.volumes
    periods = -(-spec.days // PERIOD_DAYS)
    sizes = BYTES_PER_ROW[fmt]
    into_duckdb = fmt == "duckdb"
    extra_bytes = DUCKDB_BYTES_PER_TABLE if into_duckdb else 0
    load_per_row = DUCKDB_LOAD_SECONDS_PER_ROW if into_duckdb else 0.0
    tables = {
        name: TableEstimate(
            rows=count,
            bytes=round(count * sizes[name]) + extra_bytes,
            seconds=round(count * (SECONDS_PER_ROW[name] + load_per_row), 3),
        )
        for name, count in rows.items()
    }
    activity_chunks = sum(1 for chunk in plan(spec) if chunk.kind == "activity")
    parallel = max(1, min(workers, activity_chunks + 1))  # the activity chunks are the work that splits
    cpu = sum(count * SECONDS_PER_ROW[name] for name, count in rows.items())
    load = sum(rows.values()) * load_per_row  # after the chunks, in one process
    total_bytes = sum(t.bytes for t in tables.values())
    staged = sum(count * BYTES_PER_ROW["parquet"][name] for name, count in rows.items()) if into_duckdb else 0
    pairs = min(stores_per_activity_chunk(spec), volumes.stores) * volumes.assortment
    memory = BASE_WORKER_MB + pairs * min(spec.days, DAYS_PER_BLOCK) * BYTES_PER_PAIR_DAY / 1e6
    memory += volumes.products * periods * 20 / 1e6
    return DatasetEstimate(
        format=fmt,
        tables=tables,
        total_rows=sum(rows.values()),
        total_bytes=total_bytes,
        seconds=round(STARTUP_SECONDS + cpu / parallel + load, 2),
        workers=workers,
        peak_memory_mb_per_worker=round(memory, 1),
        peak_disk_bytes=round(total_bytes + staged),
    )
