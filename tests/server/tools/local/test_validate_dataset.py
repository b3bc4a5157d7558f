"""validate_dataset through a real MCP client."""

from __future__ import annotations

from pathlib import Path

import mcp
from mcp.server.mcpserver import MCPServer

from tests.server.mcp_helpers import SMALL, error_text, ok


async def test_validate_dataset_passes_on_generated_data(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        report = ok(await client.call_tool("validate_dataset", {}))
        assert report["passed"] is True and report["checks_failed"] == 0
        assert report["checks_passed"] == len(report["checks"]) > 5
        assert all(check["violations"] == 0 for check in report["checks"])
        assert report["tables"]["orders"] > 0


async def test_validate_dataset_counts_violations(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        import pyarrow as pa
        import pyarrow.parquet as pq

        orders = sorted((dataset_copy / "orders").glob("*.parquet"))[0]
        table = pq.read_table(orders)
        pq.write_table(pa.concat_tables([table, table.slice(0, 2)]), orders)  # duplicate two order ids
        report = ok(await client.call_tool("validate_dataset", {"path": str(dataset_copy)}))
        assert report["passed"] is False and report["checks_failed"] >= 1
        failed = [check for check in report["checks"] if not check["passed"]]
        assert all(check["violations"] > 0 or check["error"] for check in failed)
        assert all(len(check["examples"]) <= 5 for check in report["checks"])


async def test_a_duckdb_dataset_validates_by_folder_and_by_file(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        ok(await client.call_tool("generate_data", {**SMALL, "format": "duckdb", "output_dir": "db"}))
        for path in ("db", "db/retail.duckdb"):
            report = ok(await client.call_tool("validate_dataset", {"path": path}))
            assert report["passed"] is True and report["format"] == "duckdb", path
            assert report["checks_passed"] == len(report["checks"]) > 5
        (data_root / "fake.duckdb").write_text("not a database")
        text = error_text(await client.call_tool("validate_dataset", {"path": "fake.duckdb"}))
        assert "path='fake.duckdb'" in text and "DuckDB cannot open it" in text
