"""SQL warehouses and the Statement Execution API 2.0 of the stand-in.

Warehouses (``/api/2.0/sql/warehouses``) have the real JSON shape and life cycle: ``start`` moves a
STOPPED warehouse to STARTING and it is RUNNING ``start_delay`` seconds later; ``stop`` moves it to
STOPPING and then STOPPED (computed when read, like the stand-in's clusters). A statement sent to a
stopped warehouse starts it and stays PENDING until the warehouse runs, as on Databricks.

Statements (``/api/2.0/sql/statements``) run in a thread each, against ``SqlEngine``: the request
waits ``wait_timeout`` ("0s", or "5s" to "50s"; default "10s") and then answers with the state reached
(``on_wait_timeout=CANCEL`` cancels what is not done). A statement the warehouse cannot run is not an
HTTP error: it answers 200 with ``status.state = FAILED`` and ``status.error`` (``error_code``
BAD_REQUEST, the ``[ERROR_CLASS] ...`` message) and ``status.sql_state`` — syntax errors included, as
on Databricks. Results are ``INLINE`` + ``JSON_ARRAY`` (every value a string), in chunks of
``ROWS_PER_CHUNK`` rows with ``next_chunk_index``; ``EXTERNAL_LINKS`` is not emulated (400).
Faults: ``Faults.fail_statements`` and ``Faults.hold_statements`` (see ``faults``).
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.errors import ParseError

from .faults import Faults, StatementRule
from .http_core import ApiError, Request, Response, Router
from .sql_engine import SqlEngine, parameter_literal
from .sql_translate import ResultSet, Session
from .sql_types import format_value
from .unity_catalog import SqlError

LOG = logging.getLogger("databricks_standin.sql")
ROWS_PER_CHUNK = 10_000
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")
_POLL_SECONDS = 0.02


@dataclass
class Warehouse:
    id: str
    name: str
    creator: str
    state: str = "RUNNING"
    start_delay: float = 1.0
    stop_delay: float = 0.2
    serverless: bool = True
    warehouse_type: str = "PRO"
    cluster_size: str = "2X-Small"
    auto_stop_mins: int = 10
    changes_at: float | None = None
    starts: int = 0

    def current_state(self) -> str:
        if self.changes_at is not None and time.monotonic() >= self.changes_at:
            self.state = {"STARTING": "RUNNING", "STOPPING": "STOPPED"}.get(self.state, self.state)
            self.changes_at = None
        return self.state

    def start(self) -> None:
        if self.current_state() in ("STOPPED", "STOPPING"):
            self.state, self.changes_at = "STARTING", time.monotonic() + self.start_delay
            self.starts += 1

    def stop(self) -> None:
        if self.current_state() in ("RUNNING", "STARTING"):
            self.state, self.changes_at = "STOPPING", time.monotonic() + self.stop_delay

    def to_json(self, base_url: str) -> dict[str, Any]:
        state = self.current_state()
        url = urllib.parse.urlsplit(base_url)
        path = f"/sql/1.0/warehouses/{self.id}"
        return {
            "id": self.id,
            "name": self.name,
            "cluster_size": self.cluster_size,
            "min_num_clusters": 1,
            "max_num_clusters": 1,
            "auto_stop_mins": self.auto_stop_mins,
            "creator_name": self.creator,
            "tags": {},
            "spot_instance_policy": "COST_OPTIMIZED",
            "enable_photon": True,
            "channel": {"name": "CHANNEL_NAME_CURRENT"},
            "enable_serverless_compute": self.serverless,
            "warehouse_type": self.warehouse_type,
            "num_clusters": 1 if state == "RUNNING" else 0,
            "num_active_sessions": 0,
            "state": state,
            "jdbc_url": f"jdbc:spark://{url.hostname}:{url.port}/default;transportMode=http;ssl=0;AuthMech=3;"
            f"httpPath={path};",
            "odbc_params": {"hostname": url.hostname, "path": path, "protocol": url.scheme, "port": url.port},
            "health": {"status": "HEALTHY"},
        }


@dataclass
class Statement:
    statement_id: str
    warehouse: Warehouse
    sql: str
    session: Session
    parameters: dict[str, exp.Expression]
    row_limit: int | None
    rule: StatementRule | None
    state: str = "PENDING"
    result: ResultSet | None = None
    error: SqlError | None = None
    cancel_requested: bool = False
    executing: bool = False
    chunks: list[dict[str, Any]] = field(default_factory=list)
    manifest: dict[str, Any] | None = None


def _parse_wait_timeout(value: Any) -> int:
    match = re.fullmatch(r"(\d+)s", str(value))
    seconds = int(match.group(1)) if match else -1
    if seconds != 0 and not 5 <= seconds <= 50:
        raise ApiError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"wait_timeout must be 0 seconds (disables wait), or between 5 seconds and 50 seconds; got {value!r}.",
        )
    return seconds


class SqlApi:
    """Handlers of ``/api/2.0/sql/warehouses`` and ``/api/2.0/sql/statements``."""

    def __init__(self, faults: Faults, engine: SqlEngine, creator: str, base_url: Callable[[], str]) -> None:
        self.faults = faults
        self.engine = engine
        self.creator = creator
        self._base_url = base_url
        self._cond = threading.Condition(threading.RLock())
        self.warehouses: dict[str, Warehouse] = {}
        self.statements: dict[str, Statement] = {}
        self._threads: list[threading.Thread] = []

    def register(self, router: Router) -> None:
        router.add("GET", r"/api/2\.0/sql/warehouses", self.warehouse_list)
        router.add("GET", r"/api/2\.0/sql/warehouses/(?P<id>[^/]+)", self.warehouse_get)
        router.add(
            "POST", r"/api/2\.0/sql/warehouses/(?P<id>[^/]+)/start", lambda r: self._change_state(r, Warehouse.start)
        )
        router.add(
            "POST", r"/api/2\.0/sql/warehouses/(?P<id>[^/]+)/stop", lambda r: self._change_state(r, Warehouse.stop)
        )
        router.add("POST", r"/api/2\.0/sql/statements/?", self.statement_execute)
        router.add("GET", r"/api/2\.0/sql/statements/(?P<id>[^/]+)", self.statement_get)
        router.add("POST", r"/api/2\.0/sql/statements/(?P<id>[^/]+)/cancel", self.statement_cancel)
        router.add("GET", r"/api/2\.0/sql/statements/(?P<id>[^/]+)/result/chunks/(?P<chunk>\d+)", self.statement_chunk)

    def close(self) -> None:
        """Cancel what still waits and let the statement threads end."""
        with self._cond:
            for statement in self.statements.values():
                statement.cancel_requested = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    # -- warehouses ----------------------------------------------------------------------

    def add_warehouse(self, name: str, state: str, start_delay: float, *, serverless: bool = True) -> Warehouse:
        if state not in ("RUNNING", "STOPPED", "DELETED"):
            raise ValueError("a new warehouse is RUNNING, STOPPED or DELETED")
        warehouse = Warehouse(secrets.token_hex(8), name, self.creator, state, start_delay, serverless=serverless)
        with self._cond:
            self.warehouses[warehouse.id] = warehouse
        return warehouse

    def _warehouse(self, warehouse_id: Any) -> Warehouse:
        with self._cond:
            warehouse = self.warehouses.get(str(warehouse_id or ""))
        if warehouse is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Warehouse {warehouse_id} does not exist.")
        return warehouse

    def warehouse_list(self, req: Request) -> Response:
        with self._cond:
            listed = [w.to_json(self._base_url()) for w in self.warehouses.values() if w.current_state() != "DELETED"]
        return Response(200, {"warehouses": listed})

    def warehouse_get(self, req: Request) -> Response:
        with self._cond:
            return Response(200, self._warehouse(req.params["id"]).to_json(self._base_url()))

    def _usable(self, warehouse: Warehouse) -> None:
        if warehouse.current_state() == "DELETED":
            raise ApiError(400, "INVALID_STATE", f"Warehouse {warehouse.id} is deleted.")

    def _change_state(self, req: Request, change: Callable[[Warehouse], None]) -> Response:
        """``start`` or ``stop``: 200 with an empty body; the waiters of the SDK poll ``get``."""
        with self._cond:
            warehouse = self._warehouse(req.params["id"])
            self._usable(warehouse)
            change(warehouse)
        return Response(200, {})

    # -- statements ----------------------------------------------------------------------

    def statement_execute(self, req: Request) -> Response:
        body = req.json()
        sql = body.get("statement")
        if not isinstance(sql, str) or not sql.strip():
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "statement is required and must be a non-empty string.")
        warehouse = self._warehouse(body.get("warehouse_id"))
        self._usable(warehouse)
        wait = _parse_wait_timeout(body.get("wait_timeout", "10s"))
        on_timeout = str(body.get("on_wait_timeout", "CONTINUE")).upper()
        if on_timeout not in ("CONTINUE", "CANCEL"):
            raise ApiError(
                400, "INVALID_PARAMETER_VALUE", f"on_wait_timeout must be CONTINUE or CANCEL, not {on_timeout}."
            )
        disposition = str(body.get("disposition", "INLINE")).upper()
        result_format = str(body.get("format", "JSON_ARRAY")).upper()
        if disposition != "INLINE":
            raise ApiError(
                400, "INVALID_PARAMETER_VALUE", f"The stand-in supports only INLINE results, not {disposition}."
            )
        if result_format != "JSON_ARRAY":
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "INLINE disposition only supports JSON_ARRAY format.")
        row_limit = body.get("row_limit")
        if row_limit is not None and (not isinstance(row_limit, int) or row_limit < 0):
            raise ApiError(
                400, "INVALID_PARAMETER_VALUE", f"row_limit must be a non-negative integer, not {row_limit!r}."
            )
        statement = Statement(
            statement_id=str(uuid.uuid4()),
            warehouse=warehouse,
            sql=sql,
            session=Session(str(body.get("catalog") or "main"), str(body.get("schema") or "default")),
            parameters=self._parameters(body.get("parameters") or []),
            row_limit=row_limit,
            rule=self.faults.match_statement(sql),
        )
        thread = threading.Thread(target=self._run, args=(statement,), name="standin-sql", daemon=True)
        with self._cond:
            self.statements[statement.statement_id] = statement
            self._threads.append(thread)
        thread.start()
        with self._cond:
            self._cond.wait_for(lambda: statement.state in TERMINAL, timeout=wait)
            if statement.state not in TERMINAL and wait > 0 and on_timeout == "CANCEL":
                self._cancel(statement)
                self._cond.wait_for(lambda: statement.state in TERMINAL, timeout=5)
            return Response(200, self._response(statement))

    def _parameters(self, items: list[Any]) -> dict[str, exp.Expression]:
        parameters = {}
        for item in items:
            if not isinstance(item, dict) or not item.get("name"):
                raise ApiError(400, "INVALID_PARAMETER_VALUE", "Every parameter needs a name.")
            try:
                parameters[str(item["name"]).lower()] = parameter_literal(item.get("value"), item.get("type"))
            except (ParseError, ValueError) as exc:
                raise ApiError(
                    400, "INVALID_PARAMETER_VALUE", f"Invalid type {item.get('type')!r} of parameter {item['name']}."
                ) from exc
        return parameters

    def _statement(self, statement_id: str) -> Statement:
        try:
            uuid.UUID(statement_id)
        except ValueError as exc:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"'{statement_id}' is not a valid statement ID.") from exc
        with self._cond:
            statement = self.statements.get(statement_id)
        if statement is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Statement {statement_id} does not exist.")
        return statement

    def statement_get(self, req: Request) -> Response:
        statement = self._statement(req.params["id"])
        with self._cond:
            return Response(200, self._response(statement))

    def statement_cancel(self, req: Request) -> Response:
        statement = self._statement(req.params["id"])
        with self._cond:
            self._cancel(statement)
        return Response(200, {})

    def statement_chunk(self, req: Request) -> Response:
        statement = self._statement(req.params["id"])
        index = int(req.params["chunk"])
        with self._cond:
            if statement.state != "SUCCEEDED":
                raise ApiError(400, "INVALID_STATE", f"Statement {statement.statement_id} is {statement.state}.")
            if index >= len(statement.chunks):
                raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Chunk index {index} is out of range.")
            return Response(200, statement.chunks[index])

    def _cancel(self, statement: Statement) -> None:
        """Cancel what has not begun to execute; an executing statement finishes (cancelling may silently fail)."""
        statement.cancel_requested = True
        if statement.state not in TERMINAL and not statement.executing:
            statement.state = "CANCELED"
        self._cond.notify_all()

    # -- running ---------------------------------------------------------------------------

    def _wait(self, statement: Statement, ready: Callable[[], bool], seconds: float | None) -> bool:
        """Wait until ``ready()`` or ``seconds`` passed; False when the statement was cancelled meanwhile."""
        deadline = None if seconds is None else time.monotonic() + seconds
        with self._cond:
            while not ready():
                if statement.cancel_requested:
                    return False
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._cond.wait(_POLL_SECONDS if left is None else min(_POLL_SECONDS, left))
            return not statement.cancel_requested

    def _run(self, statement: Statement) -> None:
        warehouse = statement.warehouse

        def warehouse_running() -> bool:
            warehouse.start()  # auto-resume: a stopped warehouse starts when a statement arrives
            return warehouse.current_state() == "RUNNING"

        if not self._wait(statement, warehouse_running, None):
            return self._finish(statement, "CANCELED")
        rule = statement.rule
        if rule is not None and rule.kind == "hold":
            with self._cond:
                statement.state = rule.hold_state
            if not self._wait(statement, lambda: False, rule.hold_seconds):
                return self._finish(statement, "CANCELED")
        with self._cond:
            if statement.cancel_requested:
                return self._finish(statement, "CANCELED")
            statement.state = "RUNNING"
            statement.executing = True
        if rule is not None and rule.kind == "fail":
            error = SqlError("INJECTED", "", rule.sql_state, error_code=rule.error_code, text=rule.message)
            return self._finish(statement, "FAILED", error=error)
        try:
            result = self.engine.execute(statement.sql, statement.session, statement.parameters)
        except SqlError as exc:
            return self._finish(statement, "FAILED", error=exc)
        except Exception as exc:  # noqa: BLE001 - a stand-in bug must reach the test, not kill the thread
            LOG.exception("statement failed inside the stand-in")
            return self._finish(
                statement, "FAILED", error=SqlError("INTERNAL_ERROR", f"stand-in bug: {exc!r}", "XX000")
            )
        return self._finish(statement, "SUCCEEDED", result=result)

    def _finish(
        self, statement: Statement, state: str, *, result: ResultSet | None = None, error: SqlError | None = None
    ) -> None:
        with self._cond:
            if statement.state in TERMINAL:  # cancelled while it waited
                return
            if result is not None:
                self._store_result(statement, result)
            statement.error = error
            statement.state = state
            self._cond.notify_all()

    def _store_result(self, statement: Statement, result: ResultSet) -> None:
        rows = result.rows
        truncated = statement.row_limit is not None and len(rows) > statement.row_limit
        if truncated:
            rows = rows[: statement.row_limit]
        types = [t for _, t in result.columns]
        data = [[format_value(v, t) for v, t in zip(row, types, strict=True)] for row in rows]
        starts = range(0, len(data), ROWS_PER_CHUNK) if data else range(0)
        for index, offset in enumerate(starts):
            chunk: dict[str, Any] = {
                "chunk_index": index,
                "row_offset": offset,
                "row_count": len(data[offset : offset + ROWS_PER_CHUNK]),
                "data_array": data[offset : offset + ROWS_PER_CHUNK],
            }
            if offset + ROWS_PER_CHUNK < len(data):
                chunk["next_chunk_index"] = index + 1
                chunk["next_chunk_internal_link"] = (
                    f"/api/2.0/sql/statements/{statement.statement_id}/result/chunks/{index + 1}"
                )
            statement.chunks.append(chunk)
        statement.manifest = {
            "format": "JSON_ARRAY",
            "schema": {
                "column_count": len(result.columns),
                "columns": [t.column_info(name, i) for i, (name, t) in enumerate(result.columns)],
            },
            "total_chunk_count": len(statement.chunks),
            "chunks": [{k: c[k] for k in ("chunk_index", "row_offset", "row_count")} for c in statement.chunks],
            "total_row_count": len(data),
            "truncated": truncated,
        }

    def _response(self, statement: Statement) -> dict[str, Any]:
        status: dict[str, Any] = {"state": statement.state}
        body: dict[str, Any] = {"statement_id": statement.statement_id, "status": status}
        if statement.state == "FAILED" and statement.error is not None:
            status["error"] = {"error_code": statement.error.error_code, "message": str(statement.error)}
            status["sql_state"] = statement.error.sql_state
        if statement.state == "SUCCEEDED":
            body["manifest"] = statement.manifest
            body["result"] = (
                statement.chunks[0] if statement.chunks else {"chunk_index": 0, "row_offset": 0, "row_count": 0}
            )
        return body
