"""submit_generation_run through a real MCP client: the run is submitted and followed with get_job_run and
cancel_job_run. The run is held PENDING here (no Spark): tests/server/adapters/databricks/test_generation_run.py
runs the job for real."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mcp

from generator.schema import TABLE_NAMES
from server.app import build_server
from tests.server.mcp_helpers import ProgressLog, assert_no_secret, error_text, make_settings, ok


async def test_submit_returns_at_once_and_the_run_is_followed_and_cancelled(
    credentials: dict[str, str], standin: Any, data_root: Path
) -> None:
    standin.jobs.submit_pending_seconds = 120  # the run waits; the test cancels it
    catalog = standin.create_catalog()
    progress = ProgressLog()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        arguments = {
            "catalog": catalog,
            "schema": "retail",
            "scale_factor": 0.5,
            "days": 3,
            "end_date": "2025-03-31",
            "customer_history": True,
        }
        result = await client.call_tool("submit_generation_run", arguments, progress_callback=progress)
        handle = ok(result)
        assert handle["done"] is False and handle["life_cycle_state"] == "PENDING"
        assert handle["run_page_url"].startswith(standin.url) and handle["workspace_host"] == standin.url
        assert handle["job_id"] is None and handle["schema_created"] is True
        assert handle["compute"] == "serverless (environment version 4)"
        assert handle["tables"] == [f"{catalog}.retail.{t}" for t in (*TABLE_NAMES, "customers_history")]
        assert set(handle["uploaded"]) == {"wheel", "job_script"}
        assert all(path.startswith(handle["upload_folder"] + "/") for path in handle["uploaded"].values())
        assert f"get_job_run(run_id={handle['run_id']})" in handle["message"]
        assert f"writes {catalog}.retail on serverless" in handle["message"]
        progress.assert_increasing()
        params = standin.jobs.submitted(handle["run_id"]).spec["tasks"][0]["spark_python_task"]["parameters"]
        assert params[params.index("--end-date") + 1] == "2025-03-31" and params[params.index("--days") + 1] == "3"
        assert params[params.index("--customer-history") + 1] == "true"

        again = ok(
            await client.call_tool(
                "submit_generation_run", {**arguments, "idempotency_token": handle["idempotency_token"]}
            )
        )
        assert again["run_id"] == handle["run_id"] and len(standin.jobs.submitted_runs) == 1

        followed = ok(await client.call_tool("get_job_run", {"run_id": handle["run_id"]}))
        assert followed["life_cycle_state"] == "PENDING" and followed["workspace_host"] == standin.url
        cancelled = ok(await client.call_tool("cancel_job_run", {"run_id": handle["run_id"]}))
        assert cancelled["result_state"] == "CANCELED" and cancelled["done"] is True

        missing = error_text(await client.call_tool("submit_generation_run", {"catalog": "absent", "schema": "s"}))
        assert "Catalog 'absent' does not exist" in missing and "main" in missing
        refused = error_text(
            await client.call_tool("submit_generation_run", {"catalog": catalog, "schema": "s", "cluster_id": "a b"})
        )
        assert "cluster_id='a b'" in refused
    assert_no_secret(standin.token, result)


async def test_an_incremental_run_gets_only_the_parameters_the_call_set(
    credentials: dict[str, str], standin: Any, data_root: Path
) -> None:
    """The tables hold the rest: the job takes every dataset parameter not set in the call from them."""
    standin.jobs.submit_pending_seconds = 120
    catalog = standin.create_catalog()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        arguments = {"catalog": catalog, "schema": "retail", "mode": "incremental", "end_date": "2026-01-07"}
        handle = ok(await client.call_tool("submit_generation_run", arguments))
        params = standin.jobs.submitted(handle["run_id"]).spec["tasks"][0]["spark_python_task"]["parameters"]
        assert dict(zip(params[0::2], params[1::2], strict=True)) == {
            "--catalog": catalog,
            "--schema": "retail",
            "--overwrite": "true",
            "--end-date": "2026-01-07",
            "--mode": "incremental",
        }
        ok(await client.call_tool("cancel_job_run", {"run_id": handle["run_id"]}))
        refused = error_text(await client.call_tool("submit_generation_run", {**arguments, "mode": "append"}))
        assert "mode='append'" in refused and "incremental" in refused
