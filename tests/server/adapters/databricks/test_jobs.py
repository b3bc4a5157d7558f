"""trigger_bundle_job, get_job_run, cancel_job_run against the stand-in's Jobs API."""

from __future__ import annotations

import json
import threading
import time

import pytest

from generator.rules import RuleErrors
from server.adapters.databricks import (
    AmbiguousJobError,
    JobNotFoundError,
    cancel_job_run,
    get_job_run,
    trigger_bundle_job,
)

HANDLE_KEYS = {
    "run_id",
    "job_id",
    "run_page_url",
    "life_cycle_state",
    "result_state",
    "state_message",
    "done",
    "success",
}


def test_trigger_finds_the_dev_mode_job_and_the_run_writes_files(standin, workspace_client, volume, assets):
    standin.register_job("other_job", assets / "job_slow.py")
    job_id = standin.register_job("[dev standin_user] retail_data_generation", assets / "job_generate.py")
    progress = []
    handle = trigger_bundle_job(
        volume.catalog,
        volume.schema,
        scale="Medium",
        days=30,
        overwrite=False,
        seed=7,
        wait_sec=30,
        client=workspace_client,
        progress=lambda d, t, m: progress.append(m),
    )
    assert set(handle) == HANDLE_KEYS
    assert handle["job_id"] == job_id
    assert handle["done"] is True and handle["success"] is True, handle
    assert handle["life_cycle_state"] == "TERMINATED" and handle["result_state"] == "SUCCESS"
    assert handle["run_page_url"].endswith(f"#job/{job_id}/run/{handle['run_id']}")
    written = json.loads((volume.local / "job_output" / "orders.json").read_text())
    assert written == {
        "table": "orders",
        "catalog": volume.catalog,
        "schema": volume.schema,
        "scale": "medium",
        "days": 30,
        "overwrite": "false",
        "seed": 7,
    }
    run_now = standin.requests.find("POST", r"/api/2\.2/jobs/run-now$")
    assert len(run_now) == 1
    assert any("Found job" in m for m in progress)
    details = get_job_run(handle["run_id"], client=workspace_client)
    assert details["success"] is True and details["error"] is None
    (task,) = details["tasks"]
    assert task["task_key"] == "generate" and task["result_state"] == "SUCCESS"
    assert "generated medium data for 30 days" in task["logs"]


def test_exact_name_wins_over_dev_copies_and_several_exact_names_are_ambiguous(standin, workspace_client, assets):
    standin.register_job("[dev someone] retail_data_generation", assets / "job_generate.py")
    exact = standin.register_job("retail_data_generation", assets / "job_generate.py")
    handle = trigger_bundle_job("main", "s", wait_sec=0, client=workspace_client)
    assert handle["job_id"] == exact
    standin.register_job("retail_data_generation", assets / "job_generate.py")
    with pytest.raises(AmbiguousJobError, match="Pass job_id"):
        trigger_bundle_job("main", "s", wait_sec=0, client=workspace_client)


def test_several_dev_copies_prefer_the_callers_own(standin, workspace_client, assets):
    standin.register_job("[dev alice] retail_data_generation", assets / "job_generate.py")
    mine = standin.register_job("[dev standin_user] retail_data_generation", assets / "job_generate.py")
    handle = trigger_bundle_job("main", "s", wait_sec=0, client=workspace_client)
    assert handle["job_id"] == mine
    standin.register_job("[dev standin_user] retail_data_generation", assets / "job_generate.py")
    with pytest.raises(AmbiguousJobError, match=r"\[dev alice\]"):
        trigger_bundle_job("main", "s", wait_sec=0, client=workspace_client)


def test_the_serverless_and_the_classic_targets_jobs_are_told_apart_by_name(standin, workspace_client, assets):
    """The bundle's dev (serverless) and classic (job cluster) targets can both be deployed by one user."""
    serverless = standin.register_job("[dev standin_user] retail_data_generation", assets / "job_generate.py")
    classic = standin.register_job("[dev standin_user] retail_data_generation_classic", assets / "job_generate.py")
    assert trigger_bundle_job("main", "s", wait_sec=0, client=workspace_client)["job_id"] == serverless
    chosen = trigger_bundle_job(
        "main", "s", wait_sec=0, job_name="retail_data_generation_classic", client=workspace_client
    )
    assert chosen["job_id"] == classic


def test_job_lookup_pages_through_many_jobs(standin, workspace_client, assets):
    for i in range(120):
        standin.register_job(f"filler_{i}", assets / "job_slow.py")
    wanted = standin.register_job("[dev standin_user] retail_data_generation", assets / "job_generate.py")
    handle = trigger_bundle_job("main", "s", wait_sec=0, client=workspace_client)
    assert handle["job_id"] == wanted
    assert len(standin.requests.find("GET", r"/api/2\.2/jobs/list$")) >= 3  # name query + two pages


def test_missing_job_is_a_clear_error(standin, workspace_client):
    with pytest.raises(JobNotFoundError, match="databricks bundle deploy"):
        trigger_bundle_job("main", "s", client=workspace_client)
    with pytest.raises(JobNotFoundError, match="does not exist"):
        trigger_bundle_job("main", "s", job_id=424242, client=workspace_client)


def test_same_idempotency_token_returns_the_same_run(standin, workspace_client, assets):
    job_id = standin.register_job("retail_data_generation", assets / "job_generate.py")
    first = trigger_bundle_job(
        "main", "s", wait_sec=0, job_id=job_id, idempotency_token="tok-1", client=workspace_client
    )
    second = trigger_bundle_job(
        "main", "s", wait_sec=0, job_id=job_id, idempotency_token="tok-1", client=workspace_client
    )
    assert first["run_id"] == second["run_id"]
    bodies = standin.requests.find("POST", r"/jobs/run-now$")
    assert len(bodies) == 2


def test_failing_run_surfaces_error_and_trace(standin, workspace_client, assets):
    job_id = standin.register_job("retail_data_generation", assets / "job_generate.py")
    standin.faults.fail_job_runs(job_id, "catalog main does not exist")
    handle = trigger_bundle_job("main", "s", wait_sec=30, client=workspace_client)
    assert handle["done"] is True and handle["success"] is False
    assert handle["life_cycle_state"] == "TERMINATED" and handle["result_state"] == "FAILED"
    assert "failed" in handle["state_message"]
    details = get_job_run(handle["run_id"], client=workspace_client)
    assert details["success"] is False
    (task,) = details["tasks"]
    assert task["error"] == "RuntimeError: catalog main does not exist"
    assert "Traceback (most recent call last)" in task["error_trace"]
    assert "\x1b" not in task["error_trace"]
    assert details["error"] == "Task generate: RuntimeError: catalog main does not exist"


def test_a_run_that_is_still_going_returns_a_handle_and_can_be_cancelled(standin, workspace_client, assets):
    job_id = standin.register_job("retail_data_generation", assets / "job_slow.py", pending_seconds=0)
    handle = trigger_bundle_job("main", "s", wait_sec=1, client=workspace_client)
    assert handle["done"] is False and handle["life_cycle_state"] in {"PENDING", "RUNNING"}
    assert handle["job_id"] == job_id
    running = get_job_run(handle["run_id"], client=workspace_client)
    assert running["done"] is False
    cancelled = cancel_job_run(handle["run_id"], client=workspace_client, wait_sec=10)
    assert cancelled["done"] is True and cancelled["success"] is False
    assert cancelled["result_state"] == "CANCELED"
    again = cancel_job_run(handle["run_id"], client=workspace_client, wait_sec=0)  # harmless when done
    assert again["result_state"] == "CANCELED"


def test_cancel_event_cancels_the_run_it_started(standin, workspace_client, assets):
    standin.register_job("retail_data_generation", assets / "job_slow.py", pending_seconds=0)
    cancel = threading.Event()
    threading.Timer(0.8, cancel.set).start()
    started = time.monotonic()
    handle = trigger_bundle_job("main", "s", wait_sec=60, client=workspace_client, cancel=cancel)
    assert time.monotonic() - started < 20
    assert handle["done"] is True and handle["result_state"] == "CANCELED"
    assert standin.requests.find("POST", r"/jobs/runs/cancel$")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"catalog": "bad.catalog"}, "catalog"),
        ({"schema": "bad schema"}, "schema"),
        ({"scale": "huge"}, "scale"),
        ({"days": 0}, "days"),
        ({"days": 366}, "days"),
        ({"days": True}, "days"),
        ({"seed": -1}, "seed"),
        ({"overwrite": "yes"}, "overwrite"),
        ({"wait_sec": -1}, "wait_sec"),
        ({"catalog": "données"}, "catalog"),
        ({"idempotency_token": "x" * 65}, "idempotency_token"),
        ({"job_id": 0}, "job_id"),
    ],
)
def test_bad_parameters_are_refused_before_any_request(standin, workspace_client, kwargs, field):
    args = {"catalog": "main", "schema": "synthetic"} | kwargs
    with pytest.raises(RuleErrors) as info:
        trigger_bundle_job(client=workspace_client, **args)
    assert [error.field for error in info.value.errors] == [field]
    assert len(standin.requests) == 0


def test_bad_run_ids_are_refused_before_any_request(standin, workspace_client):
    with pytest.raises(RuleErrors):
        get_job_run(0, client=workspace_client)
    with pytest.raises(RuleErrors):
        cancel_job_run(12.5, client=workspace_client)
    assert len(standin.requests) == 0
