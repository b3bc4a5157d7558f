"""get_generation_status and cancel_generation through a real MCP client."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import mcp
from mcp.server.mcpserver import MCPServer

from tests.server.mcp_helpers import SMALL, ok


async def test_background_run_is_polled_until_it_succeeds(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        started = ok(await client.call_tool("generate_data", {**SMALL, "background": True}))
        assert started["status"] == "running" and started["result"] is None
        job_id = started["job_id"]
        assert job_id and "get_generation_status" in started["message"]
        status: dict[str, Any] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = ok(await client.call_tool("get_generation_status", {"job_id": job_id}))
            if status["state"] != "running":
                break
            await anyio.sleep(0.1)
        assert status["state"] == "succeeded", status
        assert status["result"]["total_rows"] > 0 and status["error"] is None
        assert status["chunks_done"] == status["chunks_total"]
        assert (data_root / "sample_data" / "_manifest.json").is_file()
        # cancelling a finished run changes nothing
        after = ok(await client.call_tool("cancel_generation", {"job_id": job_id}))
        assert after["state"] == "succeeded" and after["cancel_requested"] is False


async def test_cancel_generation_stops_a_background_run(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        args = {"scale": "medium", "days": 120, "workers": 1, "background": True, "output_dir": "big"}
        job_id = ok(await client.call_tool("generate_data", args))["job_id"]
        status = ok(await client.call_tool("cancel_generation", {"job_id": job_id}))
        deadline = time.monotonic() + 30
        while status["state"] == "running" and time.monotonic() < deadline:
            await anyio.sleep(0.2)
            status = ok(await client.call_tool("get_generation_status", {"job_id": job_id}))
        assert status["state"] == "cancelled", status
        assert status["cancel_requested"] is True and status["error"]
        assert not (data_root / "big").exists()
