"""generate_data through a real in-process MCP client: progress, manifest, overwrite, cancel, background."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import mcp
import pytest
from mcp.server.mcpserver import MCPServer
from mcp.types import ListRootsResult, Root

from server.app import build_server
from tests.server.mcp_helpers import SMALL, error_text, make_settings, ok, tree


async def test_generate_data_reports_progress_and_returns_the_manifest(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total, message))

        result = ok(
            await client.call_tool("generate_data", {**SMALL, "background": False}, progress_callback=on_progress)
        )
        assert result["status"] == "succeeded" and result["job_id"] is None
        dataset = data_root / "sample_data"
        assert result["output_dir"] == str(dataset)
        summary = result["result"]
        assert summary["manifest_path"] == str(dataset / "_manifest.json")
        assert set(summary["tables"]) == {
            "stores",
            "products",
            "customers",
            "promotions",
            "orders",
            "order_items",
            "inventory_snapshots",
        }
        assert summary["total_rows"] == sum(table["rows"] for table in summary["tables"].values())
        for name, table in summary["tables"].items():
            assert table["file_count"] == len(list((dataset / name).glob("part-*.parquet"))) >= 1
            assert set(table) == {"rows", "bytes", "file_count"}  # the file list stays in the manifest
        assert summary["parameters"]["scale_factor"] == 0.1 and summary["parameters"]["days"] == 7
        # one notification per chunk, counting up to the total
        assert progress, "no progress notifications arrived"
        totals = {total for _, total, _ in progress}
        assert len(totals) == 1
        assert [done for done, _, _ in progress] == list(range(1, int(totals.pop()) + 1))
        assert all(message for _, _, message in progress)


async def test_the_same_parameters_give_the_same_files(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        first = ok(await client.call_tool("generate_data", {**SMALL, "output_dir": "a"}))
        second = ok(await client.call_tool("generate_data", {**SMALL, "output_dir": "b", "workers": 2}))
        assert first["result"]["tables"] == second["result"]["tables"]
        files_a = sorted(p.relative_to(data_root / "a") for p in (data_root / "a" / "orders").iterdir())
        assert files_a
        for path in files_a:
            assert (data_root / "a" / path).read_bytes() == (data_root / "b" / path).read_bytes()


async def test_output_dir_equal_to_the_root_is_refused(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        text = error_text(await client.call_tool("generate_data", {**SMALL, "output_dir": "."}))
        assert "root folder itself" in text
        assert not data_root.exists()


async def test_an_existing_dataset_is_kept_when_overwrite_is_false(
    server: MCPServer, dataset_copy: Path, data_root: Path
) -> None:
    async with mcp.Client(server) as client:
        before = tree(data_root)
        text = error_text(await client.call_tool("generate_data", {**SMALL, "overwrite": False}))
        assert "overwrite" in text
        assert tree(data_root) == before


async def test_cancelling_an_inline_generation_leaves_no_partial_output(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        args = {"scale": "medium", "days": 120, "workers": 1, "background": False, "output_dir": "big"}
        started = time.monotonic()
        with anyio.move_on_after(0.7) as scope:
            await client.call_tool("generate_data", args)
        assert scope.cancelled_caught, "the generation finished before it could be cancelled"
        assert time.monotonic() - started < 30
        assert not (data_root / "big").exists()
        leftovers = [p.name for p in data_root.iterdir() if not p.name.endswith(".lock")] if data_root.exists() else []
        assert leftovers == [], f"partial output left behind: {leftovers}"
        listed = ok(await client.call_tool("list_datasets", {}))
        assert listed["datasets"] == []


async def test_long_runs_go_to_the_background_by_estimate(server: MCPServer) -> None:
    async with mcp.Client(server) as client:
        estimate = ok(await client.call_tool("estimate_dataset", {"scale": "large", "days": 365}))
        if not estimate["runs_in_background"]:
            pytest.skip("this machine's estimate for large/365 is under the background threshold")
        started = ok(await client.call_tool("generate_data", {"scale": "large", "days": 365, "output_dir": "huge"}))
        assert started["status"] == "running" and started["estimated_seconds"] > 40
        ok(await client.call_tool("cancel_generation", {"job_id": started["job_id"]}))


async def test_client_roots_extend_where_tools_may_write(data_root: Path, tmp_path: Path) -> None:
    granted = tmp_path / "granted"
    granted.mkdir()

    async def list_roots(_context: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=granted.as_uri(), name="granted")])

    server = build_server(make_settings(data_root))
    async with mcp.Client(server, list_roots_callback=list_roots) as client:
        result = ok(await client.call_tool("generate_data", {**SMALL, "output_dir": str(granted / "ds")}))
        assert result["output_dir"] == str(granted / "ds")
        listed = ok(await client.call_tool("list_datasets", {}))
        assert str(granted / "ds") in [entry["path"] for entry in listed["datasets"]]
        outside = error_text(await client.call_tool("generate_data", {**SMALL, "output_dir": str(tmp_path / "other")}))
        assert str(granted) in outside and str(data_root) in outside
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        refused = error_text(await client.call_tool("generate_data", {**SMALL, "output_dir": str(granted / "ds2")}))
        assert "outside the allowed roots" in refused
    assert not (granted / "ds2").exists()


async def test_incremental_and_merge_runs_through_the_tool(server: MCPServer, data_root: Path) -> None:
    """An agent grows a dataset day by day, retries safely, is told why a gap is refused, and merges it
    into a larger scale; each revision reports its changes and where the feed is."""
    async with mcp.Client(server) as client:
        first = ok(await client.call_tool("generate_data", {**SMALL, "output_dir": "grow"}))["result"]
        grown = ok(
            await client.call_tool(
                "generate_data", {"output_dir": "grow", "mode": "incremental", "end_date": "2026-01-04"}
            )
        )
        summary = grown["result"]
        assert summary["version"] == 1 and summary["parameters"]["days"] == SMALL["days"] + 4
        assert summary["parameters"]["scale_factor"] == SMALL["scale_factor"]  # taken from the dataset
        assert summary["change_feed"] == str(data_root / "grow" / "_changes")
        orders = summary["changes"]["orders"]
        assert orders["inserts"] == summary["tables"]["orders"]["rows"] - first["tables"]["orders"]["rows"] > 0
        assert (data_root / "grow" / "_changes" / "orders" / "v00001").is_dir()

        again = ok(
            await client.call_tool(
                "generate_data", {"output_dir": "grow", "mode": "incremental", "end_date": "2026-01-04"}
            )
        )
        assert again["result"]["version"] == 1 and "Nothing to do" in again["message"]

        refused = error_text(
            await client.call_tool(
                "generate_data", {"output_dir": "grow", "mode": "incremental", "end_date": "2025-12-01", "seed": 9}
            )
        )
        assert "end_date='2025-12-01'" in refused and "seed=9" in refused and "must be" in refused
        assert "2025-12-25 to 2026-01-04" in refused

        merged = ok(
            await client.call_tool("generate_data", {"output_dir": "grow", "mode": "merge", "scale_factor": 0.2})
        )
        changes = merged["result"]["changes"]
        assert merged["result"]["version"] == 2 and changes["stores"]["inserts"] > 0
        assert changes["stores"]["updates"] == changes["stores"]["deletes"] == 0
