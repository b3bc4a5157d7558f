"""The plan is a pure function of the spec: chunks, their tables and their order never depend on workers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from generator.plan import (
    CUSTOMERS_PER_CHUNK,
    PLAN_ORDER,
    Chunk,
    chunk_cost,
    family_tables,
    plan,
    stores_per_activity_chunk,
)
from generator.schema import ALL_TABLES, TABLES
from generator.spec import DatasetSpec

MULTI = DatasetSpec(scale="large", scale_factor=0.2, days=5)


def test_every_table_belongs_to_exactly_one_family_of_the_plan() -> None:
    covered = [table for family in PLAN_ORDER for table in family_tables(family)]
    assert sorted(covered) == sorted(ALL_TABLES)
    assert family_tables("activity") == ("orders", "order_items", "inventory_snapshots")
    assert family_tables("customers") == ("customers", "customers_history")
    assert {TABLES[name].family for name in TABLES} == set(PLAN_ORDER)


def test_chunks_follow_the_plan_order_with_stable_ids_and_parts() -> None:
    chunks = plan(MULTI)
    assert [c.chunk_id for c in chunks] == list(range(len(chunks)))
    kinds = [c.kind for c in chunks]
    assert kinds == sorted(kinds, key=PLAN_ORDER.index)
    activity = [c for c in chunks if c.kind == "activity"]
    assert [c.part for c in activity] == list(range(len(activity)))
    per_chunk = stores_per_activity_chunk(MULTI)
    assert all(c.stop - c.start <= per_chunk for c in activity)
    assert activity[0].start == 0 and activity[-1].stop == MULTI.volumes.total_stores
    assert all(a.stop == b.start for a, b in zip(activity, activity[1:], strict=False))
    assert plan(MULTI) == chunks  # pure: the same spec, the same plan


def test_chunk_tables_and_costs() -> None:
    chunks = plan(MULTI)
    assert chunks[0].tables == ("stores",)
    activity = next(c for c in chunks if c.kind == "activity")
    assert chunk_cost(activity, MULTI) > chunk_cost(chunks[0], MULTI)


def test_a_longer_window_keeps_every_chunk_of_the_shorter_one() -> None:
    """The window-slice guarantee starts here: extending a history adds customers (the last customers
    chunk grows, new ones follow) but never moves a chunk boundary."""
    short = DatasetSpec(scale="medium", scale_factor=14.0, days=14)
    longer = replace(short, days=200, end_date=short.end_date + timedelta(days=186))
    before, after = plan(short), plan(longer)

    def ranges(chunks: list[Chunk]) -> list[tuple[str, int, int, int]]:  # streams are keyed by (kind, part)
        return [(c.kind, c.part, c.start, c.stop) for c in chunks if c.kind != "customers"]

    assert ranges(before) == ranges(after)
    customers_before = [c for c in before if c.kind == "customers"]
    customers_after = [c for c in after if c.kind == "customers"]
    assert len(customers_after) > len(customers_before) > 1
    assert all(c.stop - c.start == CUSTOMERS_PER_CHUNK for c in customers_before[:-1])
    assert [(c.start, c.part) for c in customers_after[: len(customers_before)]] == [
        (c.start, c.part) for c in customers_before
    ]
