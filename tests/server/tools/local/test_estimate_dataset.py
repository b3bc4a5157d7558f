"""estimate_dataset through a real MCP client."""

from __future__ import annotations

from pathlib import Path

import mcp
from mcp.server.mcpserver import MCPServer

from tests.server.mcp_helpers import ok


async def test_estimate_dataset_sums_its_tables(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        estimate = ok(await client.call_tool("estimate_dataset", {"scale": "medium", "days": 30}))
        assert estimate["total_rows"] == sum(table["rows"] for table in estimate["tables"].values())
        assert estimate["seconds"] > 0 and estimate["runs_in_background"] is False
        assert not data_root.exists()
