"""list_datasets through a real MCP client."""

from __future__ import annotations

from pathlib import Path

import mcp
from mcp.server.mcpserver import MCPServer

from tests.server.mcp_helpers import SMALL, ok


async def test_list_datasets_finds_generated_folders(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        listed = ok(await client.call_tool("list_datasets", {}))
        assert [entry["path"] for entry in listed["datasets"]] == [str(dataset_copy)]
        entry = listed["datasets"][0]
        assert entry["format"] == "parquet" and entry["rows"]["orders"] > 0
        assert entry["parameters"]["seed"] == 42
        assert ok(await client.call_tool("list_datasets", {"under": "sample_data"}))["datasets"] == listed["datasets"]


async def test_a_duckdb_dataset_is_listed_with_its_database_file(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        ok(await client.call_tool("generate_data", {**SMALL, "format": "parquet", "output_dir": "files"}))
        ok(await client.call_tool("generate_data", {**SMALL, "format": "duckdb", "output_dir": "db"}))
        listed = {
            Path(entry["path"]).name: entry for entry in ok(await client.call_tool("list_datasets", {}))["datasets"]
        }
    assert listed["db"]["format"] == "duckdb" and listed["db"]["database_file"] == str(
        data_root / "db" / "retail.duckdb"
    )
    assert listed["files"]["database_file"] is None
    assert listed["db"]["rows"] == listed["files"]["rows"]
    assert listed["db"]["total_bytes"] == (data_root / "db" / "retail.duckdb").stat().st_size
