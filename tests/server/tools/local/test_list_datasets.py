"""list_datasets through a real MCP client."""

from __future__ import annotations

from pathlib import Path

import mcp
from mcp.server.mcpserver import MCPServer

from tests.server.mcp_helpers import ok


async def test_list_datasets_finds_generated_folders(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        listed = ok(await client.call_tool("list_datasets", {}))
        assert [entry["path"] for entry in listed["datasets"]] == [str(dataset_copy)]
        entry = listed["datasets"][0]
        assert entry["format"] == "parquet" and entry["rows"]["orders"] > 0
        assert entry["parameters"]["seed"] == 42
        assert ok(await client.call_tool("list_datasets", {"under": "sample_data"}))["datasets"] == listed["datasets"]
