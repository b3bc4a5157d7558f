"""A run the machine cannot hold is refused up front, by generate_data itself (not by a background
job the agent would have to poll), with the figure and the way out, and nothing is written.

* disk: a dataset far larger than the free space (and a real 64 MiB file system);
* memory: more workers than the available memory allows;
* rows: parameters past the model's limits are refused with the limit;
* the refusal takes well under a second, and a run that fits still works afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path

import mcp
import pytest

from server.app import build_server
from tests.hardening.conftest import assert_refused, figure, snapshot, tally, tmpfs
from tests.server.mcp_helpers import SMALL, make_settings, ok

HUGE = {"scale": "large", "scale_factor": 1000, "days": 365}


def _count(name: str) -> None:
    tally("limits: runs the machine cannot hold", "refused up front with the figure").add(None, name)


@pytest.mark.parametrize("background", [None, True, False], ids=["auto", "background", "inline"])
async def test_a_dataset_larger_than_the_disk_is_refused_up_front(tmp_path: Path, background: bool | None) -> None:
    root = tmp_path / "root"
    async with mcp.Client(build_server(make_settings(root))) as client:
        estimate = ok(await client.call_tool("estimate_dataset", HUGE))
        assert estimate["total_bytes"] > 500e9
        started = time.monotonic()
        result = await client.call_tool("generate_data", {**HUGE, "background": background, "output_dir": "huge"})
        elapsed = time.monotonic() - started
        text = assert_refused(result, "generate_data", "GB", "free", "smaller scale", "Databricks")
        assert f"{estimate['total_bytes'] / 1e9:.1f} GB" in text, text  # the figure of the estimate
        assert elapsed < 10, f"the refusal took {elapsed:.1f} s"
        listed = ok(await client.call_tool("list_datasets", {}))
        assert listed["datasets"] == []
    assert not (root / "huge").exists()
    assert not root.exists() or not any(root.iterdir()), "a refused run wrote something"
    if background is None:
        figure(f"limits: {HUGE} refused in {elapsed * 1000:.0f} ms: {text[:230]}...")
    _count(f"disk (background={background})")


async def test_a_small_file_system_refuses_a_run_that_would_fill_it(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "64m") as mount:
        root = mount / "root"
        root.mkdir()
        before = snapshot(root)
        async with mcp.Client(build_server(make_settings(root))) as client:
            args = {"scale": "medium", "days": 90, "workers": 1, "output_dir": "ds"}
            text = assert_refused(await client.call_tool("generate_data", args), "generate_data", "GB free")
            assert str(root) in text
        assert snapshot(root) == before
    _count("disk (a real 64 MiB file system)")


async def test_more_workers_than_the_memory_holds_is_refused_up_front(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.preflight

    monkeypatch.setattr(generator.preflight, "_available_memory_bytes", lambda: 300 * 1024**2)
    root = tmp_path / "root"
    async with mcp.Client(build_server(make_settings(root))) as client:
        args = {"scale": "large", "days": 30, "workers": 8, "background": True, "output_dir": "ds"}
        text = assert_refused(
            await client.call_tool("generate_data", args), "generate_data", "memory", "fewer workers", "Databricks"
        )
        assert "8 workers" in text and "GB" in text
        # a run that fits the same (patched) memory still works
        ok(await client.call_tool("generate_data", {**SMALL, "output_dir": "fits"}))
    assert not (root / "ds").exists() and (root / "fits" / "_manifest.json").is_file()
    _count("memory")


@pytest.mark.parametrize(
    ("args", "limit"),
    [
        ({"scale_factor": 1001}, "1000"),
        ({"days": 366}, "365"),
        ({"workers": 1000}, "64"),
        ({"scale_factor": 10**12, "days": 10**6}, "1000"),
    ],
)
async def test_parameters_past_the_row_limits_are_refused_with_the_limit(
    tmp_path: Path, args: dict[str, int], limit: str
) -> None:
    async with mcp.Client(build_server(make_settings(tmp_path / "root"))) as client:
        for tool in ("generate_data", "estimate_dataset"):
            assert_refused(await client.call_tool(tool, args), tool, limit)
    assert not (tmp_path / "root").exists()
    _count(f"rows {args}")
