"""Triggering and following the bundle's data generation job (Jobs API 2.2).

The Databricks Asset Bundle of this project deploys a job named ``retail_data_generation``;
deployed in development mode it is named ``[dev <user>] retail_data_generation``. The job's
Python task takes the pipeline's command-line form::

    --catalog <c> --schema <s> --scale small|medium|large --days <1..365> --overwrite true|false --seed <n>

``trigger_bundle_job`` finds the job (exact name first, then dev-mode copies, preferring the
caller's own), validates every parameter before any request, starts a run with an
idempotency token (a retried call never starts a second run), waits up to ``wait_sec``
and returns a handle; ``get_job_run`` reports a run with each task's error and the tail of
its output; ``cancel_job_run`` cancels one. A run that fails still ends ``TERMINATED``:
``success`` is true only when ``result_state == "SUCCESS"``.

Functions that wait accept ``cancel`` (a ``threading.Event``): when it is set while
waiting, the run this call started is cancelled (``runs/cancel``) and its state returned,
so that a cancelled tool call does not leave a run behind.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Collection
from datetime import date
from typing import Any

from pydantic import StrictBool

from databricks.sdk import WorkspaceClient
from generator import rules
from generator.fields import (
    CatalogName,
    Days,
    Id,
    IdempotencyToken,
    JobName,
    Scale,
    SchemaName,
    Seed,
    seconds,
    validated,
    whole_number,
)
from generator.spec import DEFAULT_DAYS, DEFAULT_SCALE, DEFAULT_SEED
from server.adapters.databricks.auth import resolve_client, workspace_host
from server.adapters.databricks.calls import api_error, describe, is_not_found, with_retries
from server.adapters.databricks.errors import AmbiguousJobError, JobNotFoundError
from server.adapters.databricks.polling import ProgressFn, remaining, report, sleep_until_next_poll
from server.adapters.secrets import redact
from server.adapters.text import cap_text, clean_text

LOG = logging.getLogger(__name__)

DEFAULT_JOB_NAME = "retail_data_generation"
DONE_STATES = frozenset({"TERMINATED", "SKIPPED", "INTERNAL_ERROR"})
NOT_STARTED_STATES = frozenset({"QUEUED", "PENDING", "BLOCKED", "WAITING_FOR_RETRY"})
MAX_PYTHON_PARAMS_BYTES = 10_000
MAX_WAIT_SEC = 3600
MAX_JOBS_SCANNED = 10_000
LOG_TAIL_CHARS = 4_000
TRACE_CHARS = 8_000
_DEV_PREFIX = re.compile(r"^\[dev ([^\]]+)\] (.+)$")
WaitSeconds = seconds(0, MAX_WAIT_SEC, "Seconds to wait for the run to end.")
OutputChars = whole_number(100, 100_000, "Characters of each task's output to return (its end).")


def build_python_params(
    catalog: str,
    schema: str,
    scale: str,
    days: int,
    overwrite: bool,
    seed: int,
    *,
    scale_factor: float | None = None,
    end_date: date | None = None,
    customer_history: bool | None = None,
    mode: str | None = None,
    passed: Collection[str] | None = None,
) -> list[str]:
    """The pipeline's CLI arguments (``--scale-factor``, ``--end-date``, ``--customer-history`` and ``--mode``
    when given; of the dataset parameters only those in ``passed``, when it is given, so that an incremental
    or merge run takes the others from the tables); raises ``RuleErrors`` when they break the Jobs API's limits."""
    dataset = {
        "scale": scale,
        "days": str(days),
        "seed": str(seed),
        "scale_factor": None if scale_factor is None else repr(float(scale_factor)),
        "end_date": None if end_date is None else end_date.isoformat(),
        "customer_history": None if customer_history is None else ("true" if customer_history else "false"),
    }
    params = ["--catalog", catalog, "--schema", schema, "--overwrite", "true" if overwrite else "false"]
    for name, value in dataset.items():
        if value is not None and (passed is None or name in passed):
            params += ["--" + name.replace("_", "-"), value]
    if mode is not None:
        params += ["--mode", mode]
    encoded = json.dumps(params)
    for field, value in (("catalog", catalog), ("schema", schema)):
        if not value.isascii():
            raise rules.refusal(field, value, "ASCII characters only (the Jobs API requires python_params to be ASCII)")
    if len(encoded.encode("utf-8")) > MAX_PYTHON_PARAMS_BYTES:
        raise rules.refusal("python_params", encoded[:80], "at most 10,000 bytes as JSON")
    return params


def _name_of(job: Any) -> str:
    settings = getattr(job, "settings", None)
    return getattr(settings, "name", None) or ""


def _user_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def find_job(client: WorkspaceClient, job_name: str) -> tuple[int, str]:
    """(job_id, name) of the job named ``job_name`` or its bundle dev-mode copy.

    An exact name wins; otherwise ``[dev <user>] <job_name>`` copies are considered and, when
    several exist, the caller's own. Raises ``JobNotFoundError`` or ``AmbiguousJobError`` (which
    lists the candidates with their ids) and ``DatabricksApiError`` when listing fails.
    """
    try:
        named = with_retries(lambda: list(client.jobs.list(name=job_name, limit=100)))
    except Exception as exc:
        raise api_error(exc, f"list jobs named {job_name!r}") from None
    exact = [j for j in named if _name_of(j) == job_name] or named
    if len(exact) == 1:
        return int(exact[0].job_id), _name_of(exact[0])
    if len(exact) > 1:
        listing = ", ".join(f"{_name_of(j)!r} (job_id {j.job_id})" for j in exact)
        raise AmbiguousJobError(f"{len(exact)} jobs are named {job_name!r}: {listing}. Pass job_id to choose one.")

    candidates: list[tuple[Any, str]] = []
    try:
        for scanned, job in enumerate(client.jobs.list(limit=100), start=1):
            match = _DEV_PREFIX.match(_name_of(job))
            if match and match.group(2).lower() == job_name.lower():
                candidates.append((job, match.group(1)))
            if scanned >= MAX_JOBS_SCANNED:
                break
    except Exception as exc:
        raise api_error(exc, "list the workspace's jobs") from None
    if len(candidates) > 1:
        try:
            me = with_retries(lambda: client.current_user.me())
            mine_keys = {_user_key((me.user_name or "").split("@")[0]), _user_key(me.display_name or "")} - {""}
        except Exception as exc:  # noqa: BLE001 - without the user name the choice stays ambiguous
            LOG.info("could not read the current user: %s", describe(exc))
            mine_keys = set()
        mine = [c for c in candidates if _user_key(c[1]) in mine_keys]
        if len(mine) == 1:
            candidates = mine
    if len(candidates) == 1:
        job = candidates[0][0]
        return int(job.job_id), _name_of(job)
    if candidates:
        listing = ", ".join(f"{_name_of(j)!r} (job_id {j.job_id})" for j, _ in candidates)
        raise AmbiguousJobError(
            f"No job is named exactly {job_name!r}, and several bundle dev-mode copies exist: {listing}. "
            "Pass job_id to choose one."
        )
    raise JobNotFoundError(
        redact(
            f"No job named {job_name!r} (nor a bundle dev-mode copy '[dev <user>] {job_name}') in "
            f"{workspace_host(client)}. Deploy the bundle first (`databricks bundle deploy`), or pass job_id."
        )
    )


def _enum_value(value: Any) -> str | None:
    if value is None:
        return None
    return value.value if hasattr(value, "value") else str(value)


def _handle(run: Any, job_id: int | None = None) -> dict[str, Any]:
    state = getattr(run, "state", None)
    life = _enum_value(getattr(state, "life_cycle_state", None)) or "UNKNOWN"
    result_state = _enum_value(getattr(state, "result_state", None))
    return {
        "run_id": int(run.run_id),
        "job_id": int(run.job_id) if getattr(run, "job_id", None) is not None else job_id,
        "run_page_url": getattr(run, "run_page_url", None),
        "life_cycle_state": life,
        "result_state": result_state,
        "state_message": redact(getattr(state, "state_message", None) or ""),
        "done": life in DONE_STATES,
        "success": result_state == "SUCCESS",
    }


def _get_run(client: WorkspaceClient, run_id: int) -> Any:
    try:
        return with_retries(lambda: client.jobs.get_run(run_id))
    except Exception as exc:
        if is_not_found(exc) or "does not exist" in str(exc):
            raise api_error(exc, f"get run {run_id}", hint="Check the run_id.") from None
        raise api_error(exc, f"get run {run_id}") from None


def _cancel_and_settle(client: WorkspaceClient, run_id: int, wait_sec: float) -> Any:
    try:
        with_retries(lambda: client.jobs.cancel_run(run_id))
    except Exception as exc:
        raise api_error(exc, f"cancel run {run_id}") from None
    deadline = time.monotonic() + wait_sec
    interval = 0.25
    while True:
        run = _get_run(client, run_id)
        if _handle(run)["done"] or remaining(deadline) <= 0:
            return run
        sleep_until_next_poll(interval, deadline, None)
        interval = min(interval * 1.5, 3.0)


@validated
def wait_for_job_run(
    run_id: Id,
    wait_sec: WaitSeconds = 30,
    *,
    client: WorkspaceClient | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    job_id: int | None = None,
) -> dict[str, Any]:
    """Poll a run until it is done or ``wait_sec`` passed; returns the run handle.

    When ``cancel`` is set while waiting, the run is cancelled and its state after the cancel
    is returned.
    """
    client = resolve_client(client)
    started = time.monotonic()
    deadline = started + float(wait_sec)
    interval = 0.25
    while True:
        if cancel is not None and cancel.is_set():
            report(progress, 0, None, f"Cancelling run {run_id}")
            return _handle(_cancel_and_settle(client, run_id, 15), job_id)
        handle = _handle(_get_run(client, run_id), job_id)
        if handle["done"] or remaining(deadline) <= 0:
            return handle
        elapsed = time.monotonic() - started
        report(progress, elapsed, float(wait_sec), f"Run {run_id}: {handle['life_cycle_state']} after {elapsed:.0f} s")
        sleep_until_next_poll(interval, deadline, cancel)
        interval = min(interval * 1.5, 5.0)


@validated
def trigger_bundle_job(
    catalog: CatalogName,
    schema: SchemaName,
    scale: Scale = DEFAULT_SCALE,
    days: Days = DEFAULT_DAYS,
    overwrite: StrictBool = True,
    seed: Seed = DEFAULT_SEED,
    wait_sec: WaitSeconds = 30,
    *,
    job_name: JobName = DEFAULT_JOB_NAME,
    job_id: Id | None = None,
    client: WorkspaceClient | None = None,
    progress: ProgressFn | None = None,
    idempotency_token: IdempotencyToken | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Start the data generation job and wait up to ``wait_sec`` for it; returns the run handle.

    The job is ``job_id`` when given, else found by ``job_name`` (see ``find_job``). Parameters
    are validated before any request: catalog and schema are Unity Catalog names, ``scale`` is
    small/medium/large, ``days`` 1..365, ``seed`` >= 0. The run gets ``idempotency_token`` (a new
    uuid4 when None), so calling again with the same token returns the same run.

    Returns ``{run_id, job_id, run_page_url, life_cycle_state, result_state, state_message,
    done, success}``; ``done`` is false when the run is still going after ``wait_sec`` (follow
    it with ``get_job_run``). Raises ``JobNotFoundError``/``AmbiguousJobError`` when the job
    cannot be identified and ``DatabricksApiError`` when a request fails.
    """
    if idempotency_token is None:
        idempotency_token = str(uuid.uuid4())
    params = build_python_params(catalog, schema, scale, days, overwrite, seed)

    client = resolve_client(client)
    if job_id is None:
        job_id, found_name = find_job(client, job_name)
        report(progress, 0, None, f"Found job {found_name!r} (job_id {job_id})")
    try:
        waiter = with_retries(
            lambda: client.jobs.run_now(job_id, python_params=params, idempotency_token=idempotency_token)
        )
    except Exception as exc:
        if "does not exist" in str(exc):
            raise JobNotFoundError(redact(f"Job {job_id} does not exist in {workspace_host(client)}.")) from None
        raise api_error(exc, f"start job {job_id}") from None
    run_id = int(waiter.response.run_id)
    report(progress, 0, float(wait_sec) or None, f"Started run {run_id} of job {job_id}")
    return wait_for_job_run.raw_function(  # type: ignore[attr-defined]  # checked on entry here
        run_id, wait_sec, client=client, progress=progress, cancel=cancel, job_id=job_id
    )


@validated
def get_job_run(
    run_id: Id, *, client: WorkspaceClient | None = None, max_output_chars: OutputChars = LOG_TAIL_CHARS
) -> dict[str, Any]:
    """The state of a run, with each task's state, error, traceback and the tail of its output.

    Returns the handle keys (``run_id, job_id, run_page_url, life_cycle_state, result_state,
    state_message, done, success``) plus ``tasks`` (one dict per task: ``task_key, run_id,
    life_cycle_state, result_state, state_message, error, error_trace, logs``) and ``error``
    (the first task error, or the run's state message when it failed), all capped and with
    ANSI colour codes removed.
    """
    client = resolve_client(client)
    run = _get_run(client, run_id)
    handle = _handle(run)
    tasks: list[dict[str, Any]] = []
    first_error: str | None = None
    for task in getattr(run, "tasks", None) or []:
        state = getattr(task, "state", None)
        entry: dict[str, Any] = {
            "task_key": task.task_key,
            "run_id": task.run_id,
            "life_cycle_state": _enum_value(getattr(state, "life_cycle_state", None)),
            "result_state": _enum_value(getattr(state, "result_state", None)),
            "state_message": redact(getattr(state, "state_message", None) or ""),
            "error": None,
            "error_trace": None,
            "logs": None,
        }
        if task.run_id is not None and entry["life_cycle_state"] not in NOT_STARTED_STATES:
            try:
                output = with_retries(lambda task=task: client.jobs.get_run_output(task.run_id))
            except Exception as exc:  # noqa: BLE001 - one task's output must not hide the others
                entry["logs"] = f"(output not available: {describe(exc)})"
            else:
                if output.error:
                    entry["error"] = redact(cap_text(clean_text(output.error).strip(), TRACE_CHARS))
                if output.error_trace:
                    entry["error_trace"] = redact(cap_text(clean_text(output.error_trace), TRACE_CHARS, head_share=0.3))
                if output.logs:
                    logs = clean_text(output.logs)
                    if len(logs) > max_output_chars:
                        logs = (
                            f"[... {len(logs) - max_output_chars:,} earlier characters cut ...]\n"
                            + logs[-max_output_chars:]
                        )
                    entry["logs"] = redact(logs)
        if first_error is None and entry["error"]:
            first_error = f"Task {entry['task_key']}: {entry['error']}"
        tasks.append(entry)
    handle["tasks"] = tasks
    if first_error is None and handle["done"] and not handle["success"]:
        first_error = (
            handle["state_message"] or f"The run ended {handle['result_state'] or handle['life_cycle_state']}."
        )
    handle["error"] = first_error
    return handle


@validated
def cancel_job_run(run_id: Id, *, client: WorkspaceClient | None = None, wait_sec: WaitSeconds = 30) -> dict[str, Any]:
    """Cancel a run and wait up to ``wait_sec`` for it to stop; returns the run handle.

    Cancelling a run that already ended is harmless: its final state is returned.
    """
    client = resolve_client(client)
    return _handle(_cancel_and_settle(client, run_id, float(wait_sec)))
