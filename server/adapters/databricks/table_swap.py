"""All or nothing in Unity Catalog: staging tables replace their targets only together, and a failure
half-way puts back what was already replaced.

Why in place: ``CREATE OR REPLACE TABLE`` keeps a Delta table's identity, grants and history, so every
target's version is recorded first and a failure restores the tables already replaced (``RESTORE TABLE
... TO VERSION AS OF``) and drops the ones this swap created. A rename swap would lose the grants.
Parents are replaced before their children, so every foreign key finds its parent's primary key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from generator.schema import TableDefinition
from server.adapters.databricks.errors import StatementError
from server.adapters.databricks.statements import StatementRunner, first_value
from server.adapters.databricks.table_ddl import copy_rows, create_table, full_name

#: (target, the Delta version it had, or None when this swap created it), in the order replaced.
Replaced = list[tuple[str, int | None]]


class SwapFailed(StatementError):
    """The swap failed after touching targets; the message says whether they were put back."""


def current_version(runner: StatementRunner, target: str) -> int:
    """The newest Delta version of ``target``."""
    response = runner.run(f"DESCRIBE HISTORY {target} LIMIT 1", f"read the version of {target}")
    value = first_value(response, "version")
    if value is None:
        raise StatementError(f"{target} has no Delta history; it cannot be replaced with a restore point.")
    return int(value)


def swap_in(
    runner: StatementRunner,
    restorer: Callable[[], StatementRunner],
    catalog: str,
    schema: str,
    tables: Sequence[TableDefinition],
    staging: Callable[[str], str],
    existing: set[str],
    say: Callable[[str], None],
) -> None:
    """Replace each target by its staging table (``staging(name)``); on failure restore, then raise
    SwapFailed saying what happened to the targets. ``restorer`` gives a runner with time left for
    the restore even when the failure was the deadline."""
    versions = {
        t.name: current_version(runner, full_name(catalog, schema, t.name)) for t in tables if t.name in existing
    }
    replaced: Replaced = []
    try:
        for table in tables:
            target = full_name(catalog, schema, table.name)
            replaced.append((target, versions.get(table.name)))
            runner.run(
                create_table("CREATE OR REPLACE TABLE", catalog, schema, table.name, table, keys=True),
                f"replace {target}",
            )
            runner.run(copy_rows(target, staging(table.name), table), f"fill {target} from its staging table")
            say(f"{table.name}: swapped into {target}")
    except Exception as exc:
        problems = restore(restorer(), replaced)
        if problems:
            detail = "; ".join(problems)
            raise SwapFailed(f"{exc} Putting the replaced tables back failed too: {detail}.") from exc
        raise SwapFailed(
            f"{exc} The {len(replaced)} table(s) touched were put back: "
            f"{', '.join(t for t, _ in replaced)} are as they were before this call."
        ) from exc


def restore(runner: StatementRunner, replaced: Replaced) -> list[str]:
    """Put each replaced target back (newest first): RESTORE to its version, or DROP what the swap created."""
    problems = []
    for target, version in reversed(replaced):
        try:
            if version is None:
                runner.run(f"DROP TABLE IF EXISTS {target}", f"drop {target}, created by the failed swap")
            elif current_version(runner, target) != version:
                runner.run(f"RESTORE TABLE {target} TO VERSION AS OF {version}", f"restore {target}")
        except Exception as exc:  # noqa: BLE001 - every table gets its chance; all problems are reported
            by_hand = (
                f"DROP TABLE {target}" if version is None else f"RESTORE TABLE {target} TO VERSION AS OF {version}"
            )
            problems.append(f"{target}: {exc} (run {by_hand} by hand)")
    return problems
