"""Read-only SQL over a dataset's tables through `generator.readers.connect_dataset`.

Two fences: the statement must be one read-only statement (checked with DuckDB's own parser), and
the connection itself is locked down by the readers module (no external access, no writes to
files, configuration locked). Results are row-limited and made JSON-safe.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Characters of row data returned at most; rows past it are cut like rows past the limit.
MAX_RESULT_CHARS = 60_000
#: Longest text kept for a single value.
MAX_VALUE_CHARS = 2_000

_EXPLAIN = re.compile(r"^\s*explain\s+(?:analyze\s+|analyse\s+)?(?P<inner>.*)$", re.IGNORECASE | re.DOTALL)
#: A statement that starts with PRAGMA, after any comments.
_PRAGMA = re.compile(r"^(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*pragma\b", re.IGNORECASE | re.DOTALL)


class QueryRefusedError(ValueError):
    """The SQL is not a single read-only statement, or it could not be parsed."""


class QueryFailedError(ValueError):
    """DuckDB rejected or interrupted the query; the message is DuckDB's."""


@dataclass(frozen=True)
class QueryResult:
    """Columns, types and JSON-safe rows of a query."""

    columns: list[str]
    types: list[str]
    rows: list[list[object]]
    truncated: bool
    note: str | None


def check_read_only(sql: str) -> str:
    """The single statement in `sql` if it only reads; QueryRefusedError otherwise.

    Accepted: SELECT (which DuckDB also reports for WITH, FROM-first, DESCRIBE, SHOW and SUMMARIZE)
    and EXPLAIN [ANALYZE] of such a statement.
    """
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefusedError(f"DuckDB could not parse the SQL: {_first_lines(str(exc))}") from None
    if len(statements) != 1:
        raise QueryRefusedError(
            f"Send exactly one statement (got {len(statements)}); split them into separate query_dataset calls."
        )
    statement = statements[0]
    kind = statement.type
    if _PRAGMA.match(sql):
        # DuckDB 1.x (the newest there is for Python 3.10) reports `PRAGMA version` as the SELECT it
        # rewrites it to; 2.x reports PRAGMA. Refused by its first word, the same on both.
        kind = duckdb.StatementType.PRAGMA
    if kind == duckdb.StatementType.EXPLAIN:
        match = _EXPLAIN.match(statement.query)
        if match is None:
            raise QueryRefusedError("Could not read the statement after EXPLAIN.")
        check_read_only(match.group("inner"))
        return statement.query
    if kind != duckdb.StatementType.SELECT:
        raise QueryRefusedError(
            f"Only read-only statements are allowed (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); "
            f"this is a {kind.name} statement. The dataset cannot be changed through query_dataset."
        )
    return statement.query


def run_query(
    dataset: Path,
    sql: str,
    *,
    limit: int,
    timeout_sec: float,
    cancel: threading.Event | None = None,
) -> QueryResult:
    """Run one read-only statement over the dataset's views and return at most `limit` rows.

    The query is interrupted after `timeout_sec` or once `cancel` is set.
    """
    statement = check_read_only(sql).strip().rstrip(";")
    import duckdb

    from generator.readers import QueryWatchdog, connect_dataset

    connection = connect_dataset(dataset)
    watchdog = QueryWatchdog(connection, timeout_sec, cancel)
    try:
        relation = connection.sql(statement)
        if relation is None:
            return QueryResult(columns=[], types=[], rows=[], truncated=False, note=None)
        columns = list(relation.columns)
        types = [str(t) for t in relation.types]
        fetched = relation.limit(limit + 1).fetchall()
    except duckdb.InterruptException:
        if watchdog.reason == "timeout":
            raise QueryFailedError(
                f"The query ran longer than {timeout_sec:g} s and was stopped; filter or aggregate more, "
                "or raise timeout_sec."
            ) from None
        raise QueryFailedError("The query was cancelled.") from None
    except duckdb.Error as exc:
        raise QueryFailedError(f"DuckDB error: {_first_lines(str(exc))}") from None
    finally:
        watchdog.stop()
        connection.close()
    return _shape(columns, types, fetched, limit)


def _shape(columns: list[str], types: list[str], fetched: list[tuple[Any, ...]], limit: int) -> QueryResult:
    rows: list[list[object]] = []
    used = 0
    cut_for_size = False
    for raw in fetched[:limit]:
        row = [json_safe(value) for value in raw]
        size = len(json.dumps(row, default=str))
        if rows and used + size > MAX_RESULT_CHARS:
            cut_for_size = True
            break
        rows.append(row)
        used += size
    more_rows = len(fetched) > limit
    note = None
    if cut_for_size:
        note = (
            f"Only the first {len(rows)} rows are returned to keep the result under {MAX_RESULT_CHARS:,} "
            "characters; select fewer columns, aggregate, or page with LIMIT/OFFSET."
        )
    elif more_rows:
        note = (
            f"The query returned more than {limit} rows; only the first {limit} are shown. Aggregate, filter, "
            "or page with LIMIT/OFFSET (limit can go up to 1000)."
        )
    return QueryResult(columns=columns, types=types, rows=rows, truncated=cut_for_size or more_rows, note=note)


def json_safe(value: object) -> object:
    """A JSON-ready form: dates and times as ISO strings, decimals as strings, bytes as base64."""
    if value is None or isinstance(value, (bool, int, str)):
        return _cap(value) if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _cap(base64.b64encode(bytes(value)).decode("ascii"))
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(item) for item in value]
    return _cap(str(value))


def _cap(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def _first_lines(text: str, lines: int = 6) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][:lines]
    return " | ".join(line.strip() for line in kept)
