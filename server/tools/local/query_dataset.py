"""query_dataset: one read-only DuckDB statement over a dataset's tables, row-limited."""

from __future__ import annotations

from functools import partial

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from server.tooling.definition import READS, ToolContext, ToolInput, tool
from server.tooling.messages import one_line
from server.tooling.work import run_in_thread
from server.tools.local.describe_schema import TABLE_NAMES_TEXT
from server.tools.local.parameters import DatasetPath

MAX_QUERY_ROWS = 1000


class QueryDatasetInput(ToolInput):
    """Parameters of query_dataset."""

    sql: str = Field(
        min_length=1, max_length=20_000, description=f"One read-only statement over the views {TABLE_NAMES_TEXT}."
    )
    path: DatasetPath = "sample_data"
    limit: int = Field(100, ge=1, le=MAX_QUERY_ROWS, description="Most rows to return.")
    timeout_sec: int = Field(30, ge=1, le=300, description="Seconds before the query is interrupted.")


class QueryOutput(BaseModel):
    """Result of a query, row-limited."""

    columns: list[str] = Field(description="Column names.")
    types: list[str] = Field(description="DuckDB type of each column.")
    rows: list[list[object]] = Field(
        description="Rows as lists; dates, timestamps and decimals are ISO/decimal strings."
    )
    row_count: int = Field(description="Rows returned here.")
    truncated: bool = Field(description="True when the query had more rows than returned.")
    note: str | None = Field(description="Why rows were cut and how to see the rest; null when complete.")


@tool(title="Query a dataset with SQL", hints=READS, uses_roots=True)
async def query_dataset(args: QueryDatasetInput, tc: ToolContext) -> QueryOutput:
    """Run one read-only SQL statement (DuckDB dialect: SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE or
    EXPLAIN) over a dataset, whose tables are views of the same names.

    Use it to look at the data or compute an answer; aggregate, or page with LIMIT/OFFSET, when the
    result says rows were cut. Typical queries take well under 1 s.
    """
    from server.adapters.query import QueryFailedError, QueryRefusedError, check_read_only, run_query

    try:
        check_read_only(args.sql)  # refuse before touching the dataset
    except QueryRefusedError as exc:
        raise ToolError(str(exc)) from None
    folder = await anyio.to_thread.run_sync(partial(tc.resolve_tree, args.path, field="path"))
    if not folder.exists():
        raise ToolError(
            f"path={args.path!r} ({folder}) does not exist; generate a dataset there with generate_data, "
            "or find one with list_datasets."
        )
    try:
        result = await run_in_thread(
            lambda cancel: run_query(folder, args.sql, limit=args.limit, timeout_sec=args.timeout_sec, cancel=cancel)
        )
    except (QueryRefusedError, QueryFailedError) as exc:
        raise ToolError(str(exc)) from None
    except ValueError as exc:  # generator.readers.DatasetNotFoundError and friends
        raise ToolError(f"path={args.path!r} ({folder}): {one_line(exc)}") from None
    return QueryOutput(
        columns=result.columns,
        types=result.types,
        rows=result.rows,
        row_count=len(result.rows),
        truncated=result.truncated,
        note=result.note,
    )
