"""query_dataset through a real MCP client: JSON-safe rows, limits, read-only statements only."""

from __future__ import annotations

import json
from pathlib import Path

import mcp
import pytest
from mcp.server.mcpserver import MCPServer

from tests.server.mcp_helpers import SMALL, error_text, ok, tree


async def test_query_returns_json_safe_rows(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        sql = (
            "select order_id, order_ts, order_total, cast(order_ts as date) as day, discount_pct "
            "from orders order by order_id limit 3"
        )
        result = ok(await client.call_tool("query_dataset", {"sql": sql}))
        assert result["columns"] == ["order_id", "order_ts", "order_total", "day", "discount_pct"]
        assert result["types"][2].startswith("DECIMAL")
        assert result["row_count"] == 3 and result["truncated"] is False and result["note"] is None
        order_id, ts, total, day, _ = result["rows"][0]
        assert isinstance(order_id, int) and isinstance(total, str) and "." in total
        assert "T" in ts and len(day) == 10
        json.dumps(result)


async def test_query_rows_are_limited_and_the_cut_is_reported(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        result = ok(await client.call_tool("query_dataset", {"sql": "select * from order_items", "limit": 5}))
        assert result["row_count"] == 5 and result["truncated"] is True
        assert "more than 5 rows" in result["note"]
        default = ok(await client.call_tool("query_dataset", {"sql": "from range(150)"}))
        assert default["row_count"] == 100 and default["truncated"] is True


@pytest.mark.parametrize(
    "sql",
    [
        "with t as (select 1 as x) select * from t",
        "describe orders",
        "show tables",
        "summarize stores",
        "explain select * from orders",
        "from stores select name",
    ],
)
async def test_read_only_statement_kinds_are_accepted(server: MCPServer, dataset_copy: Path, sql: str) -> None:
    async with mcp.Client(server) as client:
        assert ok(await client.call_tool("query_dataset", {"sql": sql}))["columns"]


async def test_the_dataset_files_cannot_be_changed_through_sql(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        before = tree(dataset_copy)
        for sql in (
            "select * from query('copy orders to ''x.csv''')",
            f"select * from read_parquet('{dataset_copy}/orders/*.parquet')",
        ):
            assert (await client.call_tool("query_dataset", {"sql": sql})).is_error
        assert tree(dataset_copy) == before


async def test_a_duckdb_dataset_is_queried_read_only_by_folder_or_by_file(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        made = ok(await client.call_tool("generate_data", {**SMALL, "format": "duckdb", "output_dir": "db"}))
        assert made["result"]["format"] == "duckdb"
        folder = data_root / "db"
        before = tree(folder)
        for path in ("db", "db/retail.duckdb"):
            result = ok(
                await client.call_tool(
                    "query_dataset", {"path": path, "sql": "select count(*) as n, min(order_total) from orders"}
                )
            )
            assert result["rows"][0][0] == made["result"]["tables"]["orders"]["rows"]
            assert result["types"][1] == "DECIMAL(12,2)"
            refused = await client.call_tool("query_dataset", {"path": path, "sql": "delete from orders"})
            assert "DELETE" in error_text(refused)
            copy = await client.call_tool(
                "query_dataset", {"path": path, "sql": "select * from read_csv('/etc/passwd')"}
            )
            assert copy.is_error and "root:x:0:0" not in error_text(copy)
        assert tree(folder) == before
