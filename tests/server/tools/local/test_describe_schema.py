"""describe_schema and the schema resources through a real MCP client."""

from __future__ import annotations

import json

import mcp
import pytest
from mcp.server.mcpserver import MCPServer

from tests.server.mcp_helpers import ok


async def test_describe_schema_and_resources(server: MCPServer) -> None:
    async with mcp.Client(server) as client:
        everything = ok(await client.call_tool("describe_schema", {}))
        assert [table["name"] for table in everything["tables"]][:2] == ["stores", "products"]
        orders = ok(await client.call_tool("describe_schema", {"table": "Orders"}))["tables"]
        assert len(orders) == 1 and orders[0]["primary_key"] == ["order_id"]
        keys = {(fk["column"], fk["references_table"]) for fk in orders[0]["foreign_keys"]}
        assert keys == {("store_id", "stores"), ("customer_id", "customers")}
        assert all(column["description"] for column in orders[0]["columns"])

        whole = json.loads((await client.read_resource("retail://schema")).contents[0].text)
        assert whole == everything
        one = json.loads((await client.read_resource("retail://schema/orders")).contents[0].text)
        assert one == orders[0]
        with pytest.raises(mcp.MCPError):
            await client.read_resource("retail://schema/nope")
