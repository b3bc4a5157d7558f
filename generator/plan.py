"""A pure function from a dataset spec to the list of chunks that make it up.

Chunk boundaries depend only on the spec, never on the worker count, so the same spec
gives the same part files whatever the parallelism. The activity family (orders, order_items,
inventory_snapshots) is chunked by groups of stores: a store's stock depends on its own
earlier sales, so each store is simulated day by day inside one chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.schema import ALL_TABLES
from generator.signups import signup_timeline
from generator.spec import DatasetSpec

#: The families in plan order: chunk ids follow it, so it never changes.
PLAN_ORDER: tuple[str, ...] = ("stores", "products", "promotions", "customers", "activity")


def family_tables(family: str) -> tuple[str, ...]:
    """Tables a family's chunks may write, in schema order (from the table registry, generator.schema)."""
    return tuple(name for name, table in ALL_TABLES.items() if table.family == family)


PRODUCTS_PER_CHUNK = 250_000
CUSTOMERS_PER_CHUNK = 250_000
#: (store, product) pairs simulated per activity chunk: bounds a chunk's daily working set.
PAIRS_PER_ACTIVITY_CHUNK = 16_000
#: Days simulated and written together inside an activity chunk (one row group per block).
DAYS_PER_BLOCK = 28


@dataclass(frozen=True)
class Chunk:
    """One unit of work: a kind, a half-open index range [start, stop) and its part number."""

    chunk_id: int
    kind: str  # the family, one of PLAN_ORDER
    part: int
    start: int
    stop: int

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables this chunk writes a part file for."""
        return family_tables(self.kind)


def stores_per_activity_chunk(spec: DatasetSpec) -> int:
    """How many stores one activity chunk simulates."""
    return max(1, PAIRS_PER_ACTIVITY_CHUNK // spec.volumes.assortment)


def _ranges(total: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def plan(spec: DatasetSpec) -> list[Chunk]:
    """All chunks of a dataset, in a fixed order; chunk ids and part numbers never change."""
    volumes = spec.volumes
    layout: dict[str, list[tuple[int, int]]] = {
        "stores": [(0, volumes.total_stores)],
        "products": _ranges(volumes.total_products, PRODUCTS_PER_CHUNK),
        "promotions": [(0, volumes.total_products)],
        "customers": _ranges(signup_timeline(spec).count_by(spec.last_day), CUSTOMERS_PER_CHUNK),
        "activity": _ranges(volumes.total_stores, stores_per_activity_chunk(spec)),
    }
    chunks: list[Chunk] = []
    for kind in PLAN_ORDER:
        for part, (start, stop) in enumerate(layout[kind]):
            chunks.append(Chunk(len(chunks), kind, part, start, stop))
    return chunks


def chunk_cost(chunk: Chunk, spec: DatasetSpec) -> float:
    """Relative work of a chunk, used to schedule the largest first (never affects output)."""
    size = chunk.stop - chunk.start
    if chunk.kind == "activity":
        return size * spec.volumes.assortment * spec.days * 4.0
    return float(size) * (3.0 if chunk.kind == "customers" else 1.0)
