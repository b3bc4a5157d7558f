"""Several tool calls at once, and many small calls through one stdio session.

* Two generations into different folders at once both succeed (and, with the same parameters,
  write the same bytes). Two into the same folder: one wins, the other is refused because the
  folder is being written, and the dataset left there is whole (it validates and matches the
  winner's manifest). A third generation while two run is refused with the job ids to wait for.
* A mix of reads runs alongside the generations and answers correctly.
* Load: hundreds of small calls through one stdio session, several in flight at a time; the
  suite prints calls/s and the slowest call (a generous sanity bound only: no call over 30 s).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import anyio
import mcp
from mcp.types import CallToolResult

from generator.manifest import STATE_FOLDER
from server.app import build_server
from tests.hardening.conftest import (
    assert_refused,
    figure,
    generate_dataset,
    leftovers,
    snapshot,
    tally,
)
from tests.server.mcp_helpers import SMALL, make_settings, ok, stdio_params

#: A run of a few seconds on one worker: long enough for two calls started together to overlap.
SLOW = {"scale": "medium", "days": 90, "workers": 1, "background": False}


async def _gather(client: mcp.Client, calls: list[tuple[str, dict[str, Any]]]) -> list[CallToolResult]:
    results: list[Any] = [None] * len(calls)

    async def one(index: int, name: str, args: dict[str, Any]) -> None:
        results[index] = await client.call_tool(name, args)

    async with anyio.create_task_group() as group:
        for index, (name, args) in enumerate(calls):
            group.start_soon(one, index, name, args)
    return results


def _manifest_files(folder: Path) -> set[str]:
    manifest = json.loads((folder / "_manifest.json").read_text(encoding="utf-8"))
    return {entry["path"] for table in manifest["tables"].values() for entry in table["files"]}


def _data_files(folder: Path) -> set[str]:
    """Every file of the dataset but its manifest and the saved stock (which the manifest does not list)."""
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != "_manifest.json" and p.relative_to(folder).parts[0] != STATE_FOLDER
    }


async def test_two_generations_into_different_folders_both_succeed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    async with mcp.Client(build_server(make_settings(root))) as client:
        first, second = await _gather(
            client,
            [
                ("generate_data", {**SLOW, "days": 14, "output_dir": "a"}),
                ("generate_data", {**SLOW, "days": 14, "output_dir": "b"}),
            ],
        )
        a, b = ok(first), ok(second)
        assert a["status"] == b["status"] == "succeeded"
        for folder in ("a", "b"):
            report = ok(await client.call_tool("validate_dataset", {"path": folder}))
            assert report["passed"], report
    assert _manifest_files(root / "a") == _data_files(root / "a")
    same = {name: digest for name, digest in (snapshot(root / "a") or {}).items() if name != "_manifest.json"}
    other = {name: digest for name, digest in (snapshot(root / "b") or {}).items() if name != "_manifest.json"}
    assert same == other, "the same parameters wrote different bytes when run side by side"
    assert leftovers(root / "a") == leftovers(root / "b") == []
    tally("concurrency: simultaneous calls", "answered as expected").add(None, "two generations, two folders")


async def test_two_generations_into_the_same_folder_one_wins_and_the_dataset_is_whole(tmp_path: Path) -> None:
    root = tmp_path / "root"
    before = generate_dataset(root / "sample_data")
    async with mcp.Client(build_server(make_settings(root))) as client:
        results = await _gather(
            client,
            [
                ("generate_data", {**SLOW, "days": 30, "seed": 1, "output_dir": "sample_data"}),
                ("generate_data", {**SLOW, "days": 30, "seed": 2, "output_dir": "sample_data"}),
            ],
        )
        winners = [result for result in results if not result.is_error]
        losers = [result for result in results if result.is_error]
        assert len(winners) == 1 and len(losers) == 1, [r.content[0].text[:200] for r in results]
        assert_refused(losers[0], "generate_data", "being written by another generation")
        report = ok(await client.call_tool("validate_dataset", {"path": "sample_data"}))
        assert report["passed"], report
    winner = winners[0].structured_content
    assert winner is not None
    dataset = root / "sample_data"
    manifest = json.loads((dataset / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["seed"] == winner["result"]["parameters"]["seed"]
    assert manifest["total_rows"] == winner["result"]["total_rows"]
    assert _manifest_files(dataset) == _data_files(dataset), "files of the losing run were mixed in"
    assert snapshot(dataset) != before and leftovers(dataset) == []
    tally("concurrency: simultaneous calls", "answered as expected").add(None, "two generations, one folder")


async def test_a_third_generation_while_two_run_is_refused_and_reads_keep_working(tmp_path: Path) -> None:
    root = tmp_path / "root"
    generate_dataset(root / "sample_data")
    async with mcp.Client(build_server(make_settings(root))) as client:
        running = [
            ok(await client.call_tool("generate_data", {**SLOW, "days": 120, "background": True, "output_dir": name}))
            for name in ("x", "y")
        ]
        assert all(item["status"] == "running" for item in running)
        third = await client.call_tool("generate_data", {**SMALL, "output_dir": "z"})
        text = assert_refused(third, "generate_data", "already running")
        assert all(item["job_id"] in text for item in running)
        reads = await _gather(
            client,
            [
                ("query_dataset", {"sql": "select count(*) from orders"}),
                ("validate_dataset", {"path": "sample_data"}),
                ("describe_schema", {}),
                ("estimate_dataset", {"scale": "large", "days": 365}),
                ("list_datasets", {}),
                ("get_generation_status", {"job_id": running[0]["job_id"]}),
                ("get_generation_status", {"job_id": "not-a-job"}),
            ],
        )
        for result in reads[:-1]:
            ok(result)
        assert_refused(reads[-1], "get_generation_status", "unknown")
        for item in running:
            status = ok(await client.call_tool("cancel_generation", {"job_id": item["job_id"]}))
            deadline = time.monotonic() + 60
            while status["state"] == "running" and time.monotonic() < deadline:
                await anyio.sleep(0.1)
                status = ok(await client.call_tool("get_generation_status", {"job_id": item["job_id"]}))
            assert status["state"] in {"cancelled", "succeeded"}, status
        ok(await client.call_tool("generate_data", {**SMALL, "output_dir": "z"}))  # a slot is free again
    assert not (root / "x").exists() or (root / "x" / "_manifest.json").is_file()
    tally("concurrency: simultaneous calls", "answered as expected").add(
        None, "third generation refused, reads alongside"
    )


# --------------------------------------------------------------------------- load over stdio

LOAD_CALLS = 400
IN_FLIGHT = 8


def _load_plan() -> list[tuple[str, dict[str, Any], bool]]:
    """(tool, arguments, expected error?) cycling through cheap reads and cheap refusals."""
    kinds: list[tuple[str, dict[str, Any], bool]] = [
        ("describe_schema", {"table": "orders"}, False),
        ("estimate_dataset", {"scale": "medium", "days": 30}, False),
        ("query_dataset", {"sql": "select store_id, count(*) from orders group by 1 order by 1", "limit": 5}, False),
        ("list_datasets", {}, False),
        ("get_generation_status", {"job_id": "0123456789ab"}, True),
        ("query_dataset", {"sql": "delete from orders"}, True),
        ("generate_data", {"day": 3}, True),
        ("validate_dataset", {"path": "../elsewhere"}, True),
    ]
    return [kinds[index % len(kinds)] for index in range(LOAD_CALLS)]


async def test_load_many_small_calls_through_one_stdio_session(tmp_path: Path) -> None:
    root = tmp_path / "root"
    generate_dataset(root / "sample_data")
    plan = _load_plan()
    durations: list[float] = []
    slowest: tuple[float, str] = (0.0, "")
    wrong: list[str] = []
    limiter = anyio.Semaphore(IN_FLIGHT)
    record = tally("concurrency: load over one stdio session", "answered as expected")

    async with mcp.Client(stdio_params(root)) as client:
        await client.call_tool("describe_schema", {})  # warm-up: imports happen once

        async def one(name: str, args: dict[str, Any], expect_error: bool) -> None:
            nonlocal slowest
            async with limiter:
                started = time.perf_counter()
                result = await client.call_tool(name, args)
                elapsed = time.perf_counter() - started
            durations.append(elapsed)
            if elapsed > slowest[0]:
                slowest = (elapsed, name)
            problem = None
            if result.is_error != expect_error:
                problem = f"{name}: is_error={result.is_error}: {result.content[0].text[:200]}"
            record.add(problem, f"{name}({args})")
            if problem is not None:
                wrong.append(problem)

        started = time.perf_counter()
        with anyio.fail_after(300):
            async with anyio.create_task_group() as group:
                for name, args, expect_error in plan:
                    group.start_soon(one, name, args, expect_error)
        wall = time.perf_counter() - started

    durations.sort()
    figure(
        f"load over one stdio session: {len(durations)} calls, {IN_FLIGHT} in flight, {len(durations) / wall:.0f} "
        f"calls/s, median {statistics.median(durations) * 1000:.0f} ms, p95 "
        f"{durations[int(len(durations) * 0.95) - 1] * 1000:.0f} ms, slowest {slowest[0] * 1000:.0f} ms ({slowest[1]})"
    )
    assert not wrong, wrong[:10]
    assert len(durations) == LOAD_CALLS
    assert slowest[0] < 30, f"a call took {slowest[0]:.1f} s"
