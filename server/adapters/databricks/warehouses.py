"""Choosing a SQL warehouse and getting it running within a deadline.

Why: statements sent to a stopped warehouse wait (PENDING) while it starts, which reads like a hang;
starting it explicitly and saying so, or picking one that already runs when none is named, tells the
agent what costs the time. A serverless warehouse starts in seconds, a classic one in minutes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.service.sql import State
from server.adapters.databricks.calls import api_error, is_not_found, with_retries
from server.adapters.databricks.errors import WarehouseError
from server.adapters.databricks.polling import ProgressFn, remaining, report, sleep_until_next_poll
from server.adapters.secrets import redact

#: Most preferred first: a warehouse that runs costs nothing to wait for.
_PREFERENCE = (State.RUNNING, State.STARTING, State.STOPPED, State.STOPPING)
MAX_LISTED = 10


@dataclass(frozen=True)
class WarehouseChoice:
    """The warehouse the statements run on, and what the agent should know about the choice."""

    id: str
    name: str
    started: bool
    note: str


def _state(info: Any) -> State | None:
    return info.state


def _listing(warehouses: list[Any]) -> str:
    shown = [f"{w.name!r} ({w.id}, {w.state.value if w.state else 'unknown'})" for w in warehouses[:MAX_LISTED]]
    return ", ".join(shown) + (" ..." if len(warehouses) > MAX_LISTED else "") if shown else "none"


def _pick(client: WorkspaceClient, warehouse_id: str | None) -> tuple[Any, str]:
    """(warehouse, why it was chosen)."""
    if warehouse_id is not None:
        try:
            return with_retries(lambda: client.warehouses.get(warehouse_id)), "the one named"
        except Exception as exc:
            if not is_not_found(exc):
                raise api_error(exc, f"read the SQL warehouse {warehouse_id}") from None
        known = _known(client)
        raise WarehouseError(
            redact(f"SQL warehouse {warehouse_id} does not exist in this workspace. Warehouses: {_listing(known)}."),
            error_code="RESOURCE_DOES_NOT_EXIST",
            operation="find the SQL warehouse",
        )
    usable = [w for w in _known(client) if _state(w) in _PREFERENCE]
    if not usable:
        raise WarehouseError(
            "This workspace has no SQL warehouse you can use. Create one (SQL > SQL Warehouses; serverless starts in "
            "seconds), or use submit_generation_run, which needs none.",
            error_code="RESOURCE_DOES_NOT_EXIST",
            operation="find a SQL warehouse",
        )
    usable.sort(key=lambda w: (_PREFERENCE.index(_state(w)), not w.enable_serverless_compute, w.name or ""))
    return usable[0], "found because none was named"


def _known(client: WorkspaceClient) -> list[Any]:
    try:
        return with_retries(lambda: list(client.warehouses.list()))
    except Exception as exc:
        raise api_error(exc, "list the SQL warehouses") from None


def choose_warehouse(
    client: WorkspaceClient,
    warehouse_id: str | None,
    deadline: float,
    progress: ProgressFn | None,
    cancel: threading.Event | None,
) -> WarehouseChoice:
    """The warehouse to use, RUNNING: the one named, else a running one, else a stopped one started here."""
    info, why = _pick(client, warehouse_id)
    wid, name = str(info.id), str(info.name)
    state = _state(info)
    started = False
    begun = time.monotonic()
    if state in (State.STOPPED, State.STOPPING):
        report(progress, 0, None, f"Starting the SQL warehouse {name!r} ({wid})")
        try:
            with_retries(lambda: client.warehouses.start(wid))
        except Exception as exc:
            raise api_error(exc, f"start the SQL warehouse {name!r} ({wid})") from None
        started = True
    interval = 0.5
    while state != State.RUNNING:
        if state in (State.DELETED, State.DELETING):
            raise WarehouseError(f"SQL warehouse {name!r} ({wid}) is {state.value}.", operation="start the warehouse")
        if (cancel is not None and cancel.is_set()) or remaining(deadline) <= 0:
            raise WarehouseError(
                f"SQL warehouse {name!r} ({wid}) did not reach RUNNING in {time.monotonic() - begun:.0f} s (last state "
                f"{state.value if state else 'unknown'}); nothing was changed. Start it first, or raise timeout_sec.",
                operation="start the warehouse",
            )
        report(progress, 0, None, f"Waiting for the SQL warehouse {name!r} ({state.value if state else '?'})")
        sleep_until_next_poll(interval, deadline, cancel)
        interval = min(interval * 1.5, 5.0)
        try:
            state = _state(with_retries(lambda: client.warehouses.get(wid)))
        except Exception as exc:
            raise api_error(exc, f"read the state of the SQL warehouse {name!r} ({wid})") from None
    note = f"Ran on the SQL warehouse {name!r} ({wid}), {why}."
    if started:
        note += f" It was stopped; this call started it ({time.monotonic() - begun:.0f} s)."
    return WarehouseChoice(wid, name, started, note)
