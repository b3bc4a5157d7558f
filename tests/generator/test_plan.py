"""The plan is a pure function of the spec: chunks, their tables and their order never depend on workers."""

from __future__ import annotations

from generator.plan import (
    DAYS_PER_BLOCK,
    PLAN_ORDER,
    block_ranges,
    chunk_cost,
    family_tables,
    plan,
    stores_per_activity_chunk,
)
from generator.schema import TABLE_NAMES, TABLES
from generator.spec import DatasetSpec

MULTI = DatasetSpec(scale="large", scale_factor=0.2, days=5)


def test_every_table_belongs_to_exactly_one_family_of_the_plan() -> None:
    covered = [table for family in PLAN_ORDER for table in family_tables(family)]
    assert sorted(covered) == sorted(TABLE_NAMES)
    assert family_tables("activity") == ("orders", "order_items", "inventory_snapshots")
    assert {TABLES[name].family for name in TABLE_NAMES} == set(PLAN_ORDER)


def test_chunks_follow_the_plan_order_with_stable_ids_and_parts() -> None:
    chunks = plan(MULTI)
    assert [c.chunk_id for c in chunks] == list(range(len(chunks)))
    kinds = [c.kind for c in chunks]
    assert kinds == sorted(kinds, key=PLAN_ORDER.index)
    activity = [c for c in chunks if c.kind == "activity"]
    assert [c.part for c in activity] == list(range(len(activity)))
    per_chunk = stores_per_activity_chunk(MULTI)
    assert all(c.stop - c.start <= per_chunk for c in activity)
    assert activity[0].start == 0 and activity[-1].stop == MULTI.volumes.stores
    assert all(a.stop == b.start for a, b in zip(activity, activity[1:], strict=False))
    assert plan(MULTI) == chunks  # pure: the same spec, the same plan


def test_chunk_tables_and_costs() -> None:
    chunks = plan(MULTI)
    assert chunks[0].tables == ("stores",)
    activity = next(c for c in chunks if c.kind == "activity")
    assert chunk_cost(activity, MULTI) > chunk_cost(chunks[0], MULTI)


def test_blocks_cover_the_window_in_order() -> None:
    assert block_ranges(1) == [(0, 1)]
    assert block_ranges(DAYS_PER_BLOCK * 2 + 3) == [
        (0, DAYS_PER_BLOCK),
        (DAYS_PER_BLOCK, 2 * DAYS_PER_BLOCK),
        (2 * DAYS_PER_BLOCK, 2 * DAYS_PER_BLOCK + 3),
    ]
