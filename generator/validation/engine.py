"""How checks run: each invariant is a condition over the rows of its group's relation, counted in
one aggregate pass per group; examples are fetched only for the checks that fail.

The heavy inventory group runs per partition of stores, so its window sort fits the memory limit
whatever the size of the dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from generator.validation.report import MAX_EXAMPLES, CheckResult


@dataclass(frozen=True)
class Check:
    """One invariant over the rows of its group's relation: `condition` is true for a violation."""

    name: str
    description: str
    condition: str
    key: tuple[str, ...]
    weight: str = "1"  # how much one violating row counts (a grouped row may stand for many)


@dataclass(frozen=True)
class Group:
    """Checks evaluated together in one aggregate query over one relation (one scan).

    A relation with a `{part}` placeholder runs once per partition filter and the counts add up;
    partitions must be disjoint and in key order, so the first examples found are the smallest.
    """

    tables: tuple[str, ...]
    relation: str
    checks: tuple[Check, ...]
    setup: tuple[str, ...] = ()  # statements run once before the group (e.g. a temp table)


def null_condition(columns: Sequence[str]) -> str:
    return " OR ".join(f"{column} IS NULL" for column in columns)


def _format_example(key: Sequence[str], values: object) -> str:
    """'name=value, ...' for one example key (a struct fetched as a dict)."""
    items = list(values.values()) if isinstance(values, dict) else [values]
    return ", ".join(f"{name}={value}" for name, value in zip(key, items, strict=True))


def run_group(con: duckdb.DuckDBPyConnection, group: Group, partitions: Sequence[str] = ("true",)) -> list[CheckResult]:
    """Count the violations of every check of the group in one pass per partition; only where some
    check fails, a second pass (over the violating rows only) collects the smallest example keys."""
    flags = ", ".join(
        f"coalesce(({check.condition}), false) AS f{i}, {check.weight} AS w{i}" for i, check in enumerate(group.checks)
    )
    counts = ", ".join(f"coalesce(sum(w{i}) FILTER (WHERE f{i}), 0)" for i in range(len(group.checks)))
    violations = [0] * len(group.checks)
    examples: dict[int, list[object]] = {i: [] for i in range(len(group.checks))}
    try:
        for statement in group.setup:
            con.execute(statement)
        for part in partitions:
            flagged = f"(SELECT *, {flags} FROM ({group.relation.replace('{part}', part)}) AS g) AS flagged"
            row = con.execute(f"SELECT {counts} FROM {flagged}").fetchone()
            assert row is not None
            failing = [i for i, count in enumerate(row) if count]
            for i in failing:
                violations[i] += int(row[i])
            wanted = [i for i in failing if len(examples[i]) < MAX_EXAMPLES]
            if not wanted:
                continue
            selects = ", ".join(
                "min(struct_pack({keys}), {n}) FILTER (WHERE f{i})".format(
                    keys=", ".join(f"k{j} := {column}" for j, column in enumerate(group.checks[i].key)),
                    n=MAX_EXAMPLES,
                    i=i,
                )
                for i in wanted
            )
            where = " OR ".join(f"f{i}" for i in wanted)
            found = con.execute(f"SELECT {selects} FROM {flagged} WHERE {where}").fetchone()
            assert found is not None
            for i, values in zip(wanted, found, strict=True):
                examples[i] = (examples[i] + list(values or []))[:MAX_EXAMPLES]
    except (duckdb.Error, pa.ArrowException) as exc:
        message = str(exc).strip().splitlines()[0][:300]
        return [
            CheckResult(
                name=check.name,
                description=check.description,
                violations=0,
                passed=False,
                error=f"check could not run: {message}",
            )
            for check in group.checks
        ]
    return [
        CheckResult(
            name=check.name,
            description=check.description,
            violations=violations[i],
            passed=violations[i] == 0,
            examples=[_format_example(check.key, value) for value in examples[i]],
        )
        for i, check in enumerate(group.checks)
    ]


def parse_bytes(text: str) -> int:
    """'256MB', '1GB', '1.5GiB' or '512 MiB' as bytes (1 GiB when it cannot be parsed)."""
    units = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
    units |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
    number = text.strip().lower()
    digits = number.rstrip("abcdefghijklmnopqrstuvwxyz ")
    unit = number[len(digits) :].strip()
    try:
        return int(float(digits) * units[unit])
    except (KeyError, ValueError):
        return 2**30


def store_partitions(con: duckdb.DuckDBPyConnection, rows_per_part: int) -> list[str]:
    """Disjoint store_id ranges of about `rows_per_part` snapshot rows each, covering every value
    (below the first and above the last store too) plus null, in store order."""
    counts = con.execute(
        "SELECT store_id, count(*) FROM inventory_snapshots WHERE store_id IS NOT NULL "
        "GROUP BY store_id ORDER BY store_id"
    ).fetchall()
    if sum(n for _, n in counts) <= rows_per_part:
        return ["true"]
    bounds: list[int] = []
    in_part = 0
    for store_id, n in counts:
        if in_part and in_part + n > rows_per_part:
            bounds.append(int(store_id) - 1)
            in_part = 0
        in_part += n
    filters = []
    lower: int | None = None
    for upper in bounds:
        filters.append(f"store_id <= {upper}" if lower is None else f"store_id > {lower} AND store_id <= {upper}")
        lower = upper
    filters.append("store_id IS NOT NULL" if lower is None else f"store_id > {lower}")
    filters.append("store_id IS NULL")
    return filters
