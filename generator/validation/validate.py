"""Check a generated dataset against every invariant the generator promises, in SQL over duckdb.

Each invariant is one named check that counts violating rows (or keys) and shows up to five of
them, so an agent can read the report and know what is wrong and where. The heavy inventory
checks share a single windowed pass over inventory_snapshots, which duckdb streams and spills to a
temporary folder, so ~100M snapshot rows validate within a bounded memory limit.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from generator.manifest import MANIFEST_NAME
from generator.readers import connect_dataset, dataset_format, duckdb_column_types
from generator.schema import ALL_TABLES, CUSTOMERS_HISTORY, TABLES
from generator.validation.engine import parse_bytes, run_group, store_partitions
from generator.validation.history import history_groups
from generator.validation.inventory import inventory_group
from generator.validation.orders import order_groups
from generator.validation.report import MAX_EXAMPLES, CheckResult, ValidationReport
from generator.validation.tables import table_groups

#: The inventory pass runs over groups of stores of at most memory_limit / this many snapshot rows,
#: so its window sort and sales join fit the memory limit whatever the size of the dataset.
BYTES_PER_INVENTORY_ROW = 64
MIN_ROWS_PER_PART = 250_000


def _manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest as JSON, or None when the folder has none."""
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file():
        return None
    document = json.loads(manifest_path.read_text(encoding="utf-8"))
    return document if isinstance(document, dict) else None


def _window(manifest: dict[str, Any] | None) -> tuple[date, date] | None:
    """(start_date, end_date) from the manifest parameters, or None without them."""
    params = (manifest or {}).get("parameters") or {}
    try:
        return date.fromisoformat(str(params["start_date"])), date.fromisoformat(str(params["end_date"]))
    except (KeyError, ValueError):
        return None


def _history_expected(manifest: dict[str, Any] | None, present: list[str]) -> bool:
    """Whether the dataset should hold customers_history: as its manifest says, else when it is there."""
    if manifest is None:
        return CUSTOMERS_HISTORY.name in present
    return bool((manifest.get("parameters") or {}).get("customer_history", False))


def _manifest_counts_check(manifest: dict[str, Any] | None, tables: dict[str, int]) -> CheckResult:
    """Row counts found against the counts the manifest records."""
    name = "manifest_row_counts"
    if manifest is None:
        return CheckResult(
            name=name,
            description=f"SKIPPED: no {MANIFEST_NAME} (would check each table's row count against it).",
            violations=0,
            passed=True,
        )
    recorded = manifest.get("tables") or {}
    problems = []
    for table, rows in tables.items():
        entry = recorded.get(table)
        expected = entry.get("rows") if isinstance(entry, dict) else None
        if expected != rows:
            problems.append(f"{table}: manifest {expected if expected is not None else 'nothing'}, found {rows}")
    return CheckResult(
        name=name,
        description=f"Each table's row count equals tables.<table>.rows in {MANIFEST_NAME}; counts tables that differ.",
        violations=len(problems),
        passed=not problems,
        examples=problems[:MAX_EXAMPLES],
    )


def _schema_check(con: duckdb.DuckDBPyConnection, name: str) -> CheckResult:
    """Columns and types of one table's view against schema.py."""
    expected = duckdb_column_types(ALL_TABLES[name])
    description = (
        f"Columns of {name} and their types match generator/schema.py; counts missing, extra or mistyped columns."
    )
    try:
        actual = {row[0]: row[1] for row in con.execute(f"DESCRIBE {name}").fetchall()}
    except (duckdb.Error, pa.ArrowException) as exc:
        message = str(exc).strip().splitlines()[0][:300]
        return CheckResult(
            name=f"schema_{name}",
            description=description,
            violations=0,
            passed=False,
            error=f"check could not run: {message}",
        )
    problems = [
        f"{column}: expected {type_}, got {actual.get(column, 'nothing (missing)')}"
        for column, type_ in expected.items()
        if actual.get(column) != type_
    ]
    problems += [f"{column}: unexpected column" for column in actual if column not in expected]
    return CheckResult(
        name=f"schema_{name}",
        description=description,
        violations=len(problems),
        passed=not problems,
        examples=problems[:MAX_EXAMPLES],
    )


def validate_dataset(
    path: str | Path,
    *,
    memory_limit: str = "1GB",
    threads: int | None = None,
    temp_directory: str | Path | None = None,
) -> ValidationReport:
    """Run every check on the dataset at `path` (DatasetNotFoundError when it is not a dataset).

    duckdb uses `threads` (default: every core) within `memory_limit` (pyarrow's scan buffers come
    on top) and spills to `temp_directory` (default: a fresh folder under the system temp folder).
    """
    folder = Path(path).expanduser()
    fmt = dataset_format(folder)
    manifest = _manifest(folder)
    window = _window(manifest)
    con = connect_dataset(
        folder,
        memory_limit=memory_limit,
        threads=threads or os.cpu_count() or 2,
        temp_directory=temp_directory,
        preserve_insertion_order=False,
    )
    try:
        present = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        present = [name for name in ALL_TABLES if name in present]
        expected = [*TABLES, *([CUSTOMERS_HISTORY.name] if _history_expected(manifest, present) else [])]
        missing = [name for name in expected if name not in present]
        checks = [
            CheckResult(
                name="tables_present",
                description="All seven tables are present (and customers_history when the manifest says "
                "customer_history); checks that need a missing table are skipped; counts missing tables.",
                violations=len(missing),
                passed=not missing,
                examples=missing[:MAX_EXAMPLES],
            )
        ]
        tables: dict[str, int] = {}
        for name in present:
            checks.append(_schema_check(con, name))
            try:
                tables[name] = int(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0])  # type: ignore[index]
            except (duckdb.Error, pa.ArrowException):
                tables[name] = -1
        checks.append(_manifest_counts_check(manifest, tables))
        for group in table_groups(present) + order_groups(window) + history_groups():
            if all(table in present for table in group.tables):
                checks.extend(run_group(con, group))
        inventory = inventory_group(window)
        if all(table in present for table in inventory.tables):
            rows_per_part = max(MIN_ROWS_PER_PART, parse_bytes(memory_limit) // BYTES_PER_INVENTORY_ROW)
            try:
                partitions = store_partitions(con, rows_per_part)
            except (duckdb.Error, pa.ArrowException):
                partitions = ["true"]  # the group itself reports the error
            checks.extend(run_group(con, inventory, partitions))
    finally:
        con.close()
    return ValidationReport(
        path=str(folder),
        format=fmt,
        passed=all(check.passed for check in checks),
        checks=checks,
        tables=tables,
    )
