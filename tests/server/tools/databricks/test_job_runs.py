"""trigger_bundle_job, get_job_run and cancel_job_run against the stand-in's Jobs API.

The jobs here run tests/databricks_standin/assets/job_generate.py (parses the bundle job's CLI and writes
a file per table into the Volume) and job_slow.py (runs until cancelled).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio
import mcp
from databricks_standin import ASSETS

from server.app import build_server
from tests.server.mcp_helpers import ProgressLog, error_text, make_settings, ok


async def test_trigger_get_and_cancel_job_runs(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    job_id = standin.register_job("retail_data_generation", ASSETS / "job_generate.py")
    slow_id = standin.register_job("slow_generation", ASSETS / "job_slow.py")
    progress = ProgressLog()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        handle = ok(
            await client.call_tool(
                "trigger_bundle_job",
                {"catalog": volume.catalog, "schema": volume.schema, "scale": "medium", "days": 30, "seed": 7},
                progress_callback=progress,
            )
        )
        assert handle["job_id"] == job_id
        assert handle["done"] is True and handle["success"] is True, handle
        assert handle["life_cycle_state"] == "TERMINATED" and handle["result_state"] == "SUCCESS"
        written = json.loads((volume.local / "job_output" / "orders.json").read_text())
        assert written["scale"] == "medium" and written["days"] == 30 and written["seed"] == 7
        progress.assert_increasing()

        details = ok(await client.call_tool("get_job_run", {"run_id": handle["run_id"]}))
        assert details["success"] is True and details["error"] is None
        (task,) = details["tasks"]
        assert "generated medium data for 30 days" in task["logs"]

        slow = ok(
            await client.call_tool(
                "trigger_bundle_job",
                {"catalog": volume.catalog, "schema": volume.schema, "job_id": slow_id, "wait_sec": 0},
            )
        )
        assert slow["done"] is False and slow["success"] is False
        assert f"get_job_run(run_id={slow['run_id']})" in slow["message"]
        cancelled = ok(await client.call_tool("cancel_job_run", {"run_id": slow["run_id"]}))
        assert cancelled["done"] is True and cancelled["result_state"] == "CANCELED" and cancelled["success"] is False

        unknown = error_text(await client.call_tool("get_job_run", {"run_id": 987654}))
        assert "987654" in unknown
        no_job = error_text(
            await client.call_tool(
                "trigger_bundle_job", {"catalog": "c", "schema": "s", "job_name": "not_deployed", "wait_sec": 0}
            )
        )
        assert "databricks bundle deploy" in no_job
        too_long = error_text(
            await client.call_tool("trigger_bundle_job", {"catalog": "c", "schema": "s", "wait_sec": 50})
        )
        assert "wait_sec=50" in too_long


async def test_a_failing_run_is_reported_with_its_error(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    job_id = standin.register_job("retail_data_generation", ASSETS / "job_generate.py")
    standin.faults.fail_job_runs(job_id, "Catalog does not exist: nowhere")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        handle = ok(await client.call_tool("trigger_bundle_job", {"catalog": "nowhere", "schema": "s"}))
        assert handle["done"] is True and handle["success"] is False and handle["result_state"] == "FAILED"
        assert "get_job_run" in handle["message"]
        details = ok(await client.call_tool("get_job_run", {"run_id": handle["run_id"]}))
    assert details["success"] is False
    assert "Catalog does not exist: nowhere" in details["error"]
    assert details["tasks"][0]["error_trace"] and "\x1b[" not in details["tasks"][0]["error_trace"]


async def test_cancelling_the_trigger_call_cancels_its_run(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    standin.register_job("retail_data_generation", ASSETS / "job_slow.py")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(
                client.call_tool, "trigger_bundle_job", {"catalog": volume.catalog, "schema": volume.schema}
            )
            deadline = time.monotonic() + 30
            while not standin.requests.find("GET", r"/api/2\.2/jobs/runs/get$") and time.monotonic() < deadline:
                await anyio.sleep(0.05)  # until the run started and is being waited for
            await anyio.sleep(0.5)
            group.cancel_scope.cancel()
        (run_now,) = standin.requests.find("POST", r"/api/2\.2/jobs/run-now$")
        assert run_now.status == 200
        deadline = time.monotonic() + 30
        while not standin.requests.find("POST", r"/api/2\.2/jobs/runs/cancel$") and time.monotonic() < deadline:
            await anyio.sleep(0.2)
        assert standin.requests.find("POST", r"/api/2\.2/jobs/runs/cancel$"), "the run was not cancelled"
        runs = standin.requests.find("GET", r"/api/2\.2/jobs/runs/get$")
        run_id = int(runs[-1].query["run_id"])
        deadline = time.monotonic() + 20
        while True:
            details = ok(await client.call_tool("get_job_run", {"run_id": run_id}))
            if details["done"] or time.monotonic() > deadline:
                break
            await anyio.sleep(0.3)
    assert details["done"] is True and details["result_state"] == "CANCELED"
