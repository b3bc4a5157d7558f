"""Jobs API 2.2 of the stand-in: registered jobs whose single task really runs a script.

A test registers a job (name, a local Python file standing for a ``spark_python_task``,
default parameters, optionally job libraries and extra environment variables).
``run-now`` creates a run with one task run (its own ``run_id``),
PENDING for ``pending_seconds``, then RUNNING while ``python <file> <params...>`` runs,
then TERMINATED with SUCCESS or FAILED (INTERNAL_ERROR when the file cannot be run);
``runs/cancel`` kills the process and ends the run CANCELED. ``runs/get-output`` on the
task run id returns the tail of the task's stdout/stderr as ``logs`` and, for a failed
task, ``error`` (the exception line) and ``error_trace`` (the traceback, with ANSI
colour codes as on a real cluster). On the parent run id it is refused, as the real API
refuses it for multi-task runs.

Job libraries emulate the ``libraries: - whl: ...`` of a bundle's job task: each entry (a
folder such as the project root, or a pure-Python ``.whl``) is importable in that job's
task process only, through ``STANDIN_JOB_LIBRARIES`` (read by ``sandbox_main`` after it
isolated itself from the repository) and ``PYTHONPATH`` (for the Python processes the task
starts, e.g. Spark's workers). Every other job and every execution context stays isolated.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .cluster_runner import ScriptRunProcess
from .faults import Faults
from .http_core import ApiError, Request, Response, Router, int_param

LOG_TAIL_BYTES = 5 * 1024 * 1024
TASK_FAILURE_MESSAGE = "Workload failed, see run output for details"
DONE_STATES = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}
RUN_PAGE = "/?o=1234567890123456#job/"  # run_page_url after the host: the workspace id, then the run's place


@dataclass
class Job:
    job_id: int
    name: str
    script: str
    default_params: list[str]
    task_key: str
    max_concurrent_runs: int
    pending_seconds: float
    created_time: int
    libraries: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def settings(self, with_tasks: bool = True) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "name": self.name,
            "max_concurrent_runs": self.max_concurrent_runs,
            "format": "MULTI_TASK",
            "timeout_seconds": 0,
        }
        if with_tasks:
            settings["tasks"] = [
                {
                    "task_key": self.task_key,
                    "spark_python_task": {"python_file": self.script, "parameters": list(self.default_params)},
                    "existing_cluster_id": "standin-job-cluster",
                    "run_if": "ALL_SUCCESS",
                    "timeout_seconds": 0,
                }
            ]
            if self.libraries:
                settings["tasks"][0]["libraries"] = [{"whl": path} for path in self.libraries]
        return settings

    def process_env(self, base: dict[str, str]) -> dict[str, str]:
        """The task process's environment: ``base`` plus this job's libraries and variables."""
        env = dict(base)
        if self.libraries:
            joined = os.pathsep.join(self.libraries)
            env["STANDIN_JOB_LIBRARIES"] = joined
            env["PYTHONPATH"] = joined
        env.update(self.env)
        return env


@dataclass
class Run:
    run_id: int
    task_run_id: int
    job: Job
    number_in_job: int
    params: list[str]
    overriding: dict[str, Any]
    start_time: int
    life_cycle_state: str = "PENDING"
    result_state: str | None = None
    state_message: str = ""
    task_state_message: str = ""
    end_time: int = 0
    process: ScriptRunProcess | None = None
    cancel_requested: bool = False
    output: str = ""
    error: str | None = None
    error_trace: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def done(self) -> bool:
        return self.life_cycle_state in DONE_STATES


def _color_trace(trace: str) -> str:
    """Colour a traceback like the Jobs UI sends it back (ANSI escape codes)."""
    out = []
    for line in trace.splitlines():
        if line.lstrip().startswith("File "):
            out.append(f"\x1b[0;32m{line}\x1b[0m")
        elif line and not line.startswith(" "):
            out.append(f"\x1b[0;31m{line}\x1b[0m")
        else:
            out.append(line)
    return "\n".join(out)


def task_failure(output: str, code: int) -> tuple[str, str]:
    """The ``error`` (the exception line) and coloured ``error_trace`` of a task process that failed."""
    trimmed = output.rstrip()
    last = trimmed.splitlines()[-1].strip() if trimmed else f"exit code {code}"
    start = trimmed.rfind("Traceback (most recent call last)")
    trace = trimmed[start:] if start >= 0 else trimmed[-4000:]
    return last, _color_trace(trace)


def task_failure_run_message(task_key: str) -> str:
    """The run-level ``state_message`` of a run whose task ``task_key`` failed."""
    return (
        f"Task {task_key} failed with message: {TASK_FAILURE_MESSAGE}. This caused all downstream tasks to get skipped."
    )


def write_failing_script(path: Path, message: str) -> str:
    """Write a task script that prints its arguments and raises ``RuntimeError(message)`` (injected faults)."""
    path.write_text(
        f"import sys\nprint('starting task', sys.argv[1:])\nraise RuntimeError({message!r})\n",
        encoding="utf-8",
    )
    return str(path)


def state_json(life_cycle_state: str, result_state: str | None, message: str) -> dict[str, Any]:
    """A run's or task's ``state`` as ``runs/get`` answers it."""
    state: dict[str, Any] = {
        "life_cycle_state": life_cycle_state,
        "state_message": message,
        "user_cancelled_or_timedout": result_state in ("CANCELED", "TIMEDOUT"),
    }
    if result_state:
        state["result_state"] = result_state
    return state


def cannot_read_file_message(path: str) -> str:
    """The ``state_message`` of a run whose Python file cannot be read."""
    return f"Run failed with error message\n Cannot read the python file {path}."


def multi_task_output_error() -> ApiError:
    """``runs/get-output`` on the parent run id: refused, as the real API refuses it for multi-task runs."""
    return ApiError(
        400,
        "INVALID_PARAMETER_VALUE",
        "Retrieving the output of runs with multiple tasks is not supported. "
        "Please retrieve the output of each individual task run instead.",
    )


def output_body(metadata: dict[str, Any], output: str, error: str | None, error_trace: str | None) -> dict[str, Any]:
    """The ``runs/get-output`` answer of a task run: its metadata, the log tail, error and trace."""
    data = output.encode("utf-8")
    body: dict[str, Any] = {
        "metadata": metadata,
        "logs": data[-LOG_TAIL_BYTES:].decode("utf-8", errors="replace"),
        "logs_truncated": len(data) > LOG_TAIL_BYTES,
    }
    if error:
        body["error"] = error
    if error_trace:
        body["error_trace"] = error_trace
    return body


class CancellableRun(Protocol):
    """What ``runs/cancel`` needs of a run, a job's or a one-time run."""

    lock: threading.Lock
    cancel_requested: bool
    life_cycle_state: str

    @property
    def done(self) -> bool: ...


def request_cancel(run: CancellableRun, processes: Callable[[], list[ScriptRunProcess]]) -> Response:
    """``runs/cancel``: flag the run (RUNNING becomes TERMINATING) and kill its ``processes``; a run that is
    over is left as it is."""
    with run.lock:
        if run.done:
            return Response(200, {})
        run.cancel_requested = True
        if run.life_cycle_state == "RUNNING":
            run.life_cycle_state = "TERMINATING"
        running = processes()
    for process in running:
        process.kill()
    return Response(200, {})


def check_idempotency_token(token: Any) -> str | None:
    """The ``idempotency_token`` of a request, refused as the Jobs API refuses it (at most 64 characters)."""
    if token is not None and (not isinstance(token, str) or len(token) > 64):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "idempotency_token must be at most 64 characters")
    return token or None


class JobsApi:
    """Handlers of ``/api/2.x/jobs/*``."""

    def __init__(
        self,
        base_url: Callable[[], str],
        faults: Faults,
        creator: str,
        process_env: Callable[[], dict[str, str]],
        rewrite_arg: Callable[[str], str],
    ) -> None:
        self._base_url = base_url
        self.faults = faults
        self.creator = creator
        self._process_env = process_env
        self._rewrite_arg = rewrite_arg
        self._lock = threading.RLock()
        self.jobs: dict[int, Job] = {}
        self.runs: dict[int, Run] = {}
        self._task_runs: dict[int, Run] = {}
        self._tokens: dict[str, int] = {}
        self._ids = itertools.count(900_001)
        self._threads: list[threading.Thread] = []
        self._scratch = Path(tempfile.mkdtemp(prefix="standin-jobs-"))

    def register(self, router: Router) -> None:
        router.add("GET", r"/api/2\.[12]/jobs/list", self.list_jobs)
        router.add("GET", r"/api/2\.[12]/jobs/get", self.get_job)
        router.add("POST", r"/api/2\.[12]/jobs/run-now", self.run_now)
        router.add("GET", r"/api/2\.[12]/jobs/runs/get", self.get_run)
        router.add("GET", r"/api/2\.[12]/jobs/runs/get-output", self.get_run_output)
        router.add("POST", r"/api/2\.[12]/jobs/runs/cancel", self.cancel_run)

    # -- jobs ----------------------------------------------------------------------------

    def add_job(
        self,
        name: str,
        script: str,
        *,
        job_id: int | None,
        default_params: list[str] | None,
        task_key: str,
        max_concurrent_runs: int,
        pending_seconds: float,
        libraries: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> Job:
        with self._lock:
            jid = job_id if job_id is not None else next(self._ids)
            job = Job(
                job_id=jid,
                name=name,
                script=str(script),
                default_params=list(default_params or []),
                task_key=task_key,
                max_concurrent_runs=max_concurrent_runs,
                pending_seconds=pending_seconds,
                created_time=int(time.time() * 1000),
                libraries=[str(Path(lib).resolve()) for lib in libraries or []],
                env=dict(env or {}),
            )
            self.jobs[jid] = job
        return job

    def _job(self, job_id: Any) -> Job:
        jid = int_param(job_id, "job_id")
        with self._lock:
            job = self.jobs.get(jid)
        if job is None:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Job {jid} does not exist.")
        return job

    def _base_job(self, job: Job, with_tasks: bool) -> dict[str, Any]:
        return {
            "job_id": job.job_id,
            "creator_user_name": self.creator,
            "created_time": job.created_time,
            "settings": job.settings(with_tasks),
        }

    def list_jobs(self, req: Request) -> Response:
        name = req.query.get("name")
        limit = int_param(req.query.get("limit", 20), "limit")
        if not 1 <= limit <= 100:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "limit must be between 1 and 100")
        offset = int_param(req.query.get("offset", 0), "offset")
        token = req.query.get("page_token")
        if token:
            offset = int_param(token.removeprefix("offset-"), "page_token")
        expand = req.query.get("expand_tasks", "false").lower() == "true"
        with self._lock:
            jobs = sorted(self.jobs.values(), key=lambda j: j.job_id)
        if name is not None:
            jobs = [j for j in jobs if j.name.lower() == name.lower()]
        page = jobs[offset : offset + limit]
        body: dict[str, Any] = {"has_more": offset + limit < len(jobs)}
        if page:
            body["jobs"] = [self._base_job(j, expand) for j in page]
        if body["has_more"]:
            body["next_page_token"] = f"offset-{offset + limit}"
        return Response(200, body)

    def get_job(self, req: Request) -> Response:
        return Response(200, self._base_job(self._job(req.query.get("job_id")), True))

    # -- runs ----------------------------------------------------------------------------

    def run_now(self, req: Request) -> Response:
        body = req.json()
        job = self._job(body.get("job_id"))
        token = check_idempotency_token(body.get("idempotency_token"))
        python_params = body.get("python_params")
        job_parameters = body.get("job_parameters")
        overriding: dict[str, Any] = {}
        if python_params is not None:
            if not isinstance(python_params, list) or not all(isinstance(p, str) for p in python_params):
                raise ApiError(400, "INVALID_PARAMETER_VALUE", "python_params must be a list of strings")
            encoded = json.dumps(python_params)
            if not encoded.isascii():
                raise ApiError(400, "INVALID_PARAMETER_VALUE", "python_params must only contain ASCII characters")
            if len(encoded.encode()) > 10_000:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", "python_params cannot exceed 10,000 bytes")
            params = list(python_params)
            overriding["python_params"] = params
        elif job_parameters is not None:
            if not isinstance(job_parameters, dict):
                raise ApiError(400, "INVALID_PARAMETER_VALUE", "job_parameters must be an object")
            params = [f"--{k}={v}" for k, v in job_parameters.items()]
            overriding["job_parameters"] = dict(job_parameters)
        else:
            params = list(job.default_params)
        with self._lock:
            if token and token in self._tokens:
                return Response(200, {"run_id": self._tokens[token], "number_in_job": self._tokens[token]})
            active = sum(1 for r in self.runs.values() if r.job.job_id == job.job_id and not r.done)
            run = Run(
                run_id=next(self._ids),
                task_run_id=next(self._ids),
                job=job,
                number_in_job=0,
                params=params,
                overriding=overriding,
                start_time=int(time.time() * 1000),
            )
            run.number_in_job = run.run_id
            self.runs[run.run_id] = run
            self._task_runs[run.task_run_id] = run
            if token:
                self._tokens[token] = run.run_id
            if active >= job.max_concurrent_runs:
                run.life_cycle_state = "SKIPPED"
                run.state_message = (
                    f"Skipping this run because the limit of {job.max_concurrent_runs} "
                    "maximum concurrent runs has been reached."
                )
                run.end_time = run.start_time
                return Response(200, {"run_id": run.run_id, "number_in_job": run.number_in_job})
            thread = threading.Thread(target=self._execute, args=(run,), daemon=True, name=f"standin-run-{run.run_id}")
            self._threads.append(thread)
        thread.start()
        return Response(200, {"run_id": run.run_id, "number_in_job": run.number_in_job})

    def _execute(self, run: Run) -> None:
        deadline = time.monotonic() + run.job.pending_seconds
        while time.monotonic() < deadline and not run.cancel_requested:
            time.sleep(0.02)
        script = run.job.script
        failing = self.faults.failing_jobs.get(run.job.job_id)
        if failing is not None:
            script = write_failing_script(self._scratch / f"failing_task_{run.run_id}.py", failing)
        with run.lock:
            if run.cancel_requested:
                self._finish(run, "TERMINATED", "CANCELED", "Run was cancelled by user.")
                return
            if not Path(script).is_file():
                self._finish(run, "INTERNAL_ERROR", "FAILED", cannot_read_file_message(script))
                return
            run.process = ScriptRunProcess(
                script, [self._rewrite_arg(a) for a in run.params], run.job.process_env(self._process_env())
            )
            run.life_cycle_state = "RUNNING"
            run.state_message = "In run"
        code = run.process.wait()
        output = run.process.output()
        with run.lock:
            run.output = output
            if run.cancel_requested:
                self._finish(run, "TERMINATED", "CANCELED", "Run was cancelled by user.")
            elif code == 0:
                self._finish(run, "TERMINATED", "SUCCESS", "")
            else:
                run.error, run.error_trace = task_failure(output, code)
                run.task_state_message = TASK_FAILURE_MESSAGE
                self._finish(
                    run,
                    "TERMINATED",
                    "FAILED",
                    task_failure_run_message(run.job.task_key),
                )

    def _finish(self, run: Run, life_cycle: str, result: str, message: str) -> None:
        run.life_cycle_state = life_cycle
        run.result_state = result
        run.state_message = message
        if result == "CANCELED":
            run.task_state_message = message
        run.end_time = int(time.time() * 1000)

    def _state(self, run: Run, task: bool) -> dict[str, Any]:
        message = run.task_state_message if task else run.state_message
        return state_json(run.life_cycle_state, run.result_state, message)

    def _task_json(self, run: Run) -> dict[str, Any]:
        return {
            "run_id": run.task_run_id,
            "task_key": run.job.task_key,
            "state": self._state(run, task=True),
            "start_time": run.start_time,
            "end_time": run.end_time,
            "spark_python_task": {"python_file": run.job.script, "parameters": run.params},
            "existing_cluster_id": "standin-job-cluster",
            "attempt_number": 0,
        }

    def _run_json(self, run: Run) -> dict[str, Any]:
        return {
            "job_id": run.job.job_id,
            "run_id": run.run_id,
            "number_in_job": run.number_in_job,
            "original_attempt_run_id": run.run_id,
            "creator_user_name": self.creator,
            "run_name": run.job.name,
            "run_type": "JOB_RUN",
            "format": "MULTI_TASK",
            "trigger": "ONE_TIME",
            "state": self._state(run, task=False),
            "start_time": run.start_time,
            "end_time": run.end_time,
            "run_page_url": f"{self._base_url()}{RUN_PAGE}{run.job.job_id}/run/{run.run_id}",
            "overriding_parameters": run.overriding,
            "tasks": [] if run.life_cycle_state == "SKIPPED" else [self._task_json(run)],
        }

    def _run(self, run_id: Any) -> Run:
        rid = int_param(run_id, "run_id")
        with self._lock:
            run = self.runs.get(rid) or self._task_runs.get(rid)
        if run is None:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Run {rid} does not exist.")
        return run

    def get_run(self, req: Request) -> Response:
        run = self._run(req.query.get("run_id"))
        with run.lock:
            return Response(200, self._run_json(run))

    def get_run_output(self, req: Request) -> Response:
        rid = int_param(req.query.get("run_id"), "run_id")
        run = self._run(rid)
        if rid == run.run_id:
            raise multi_task_output_error()
        with run.lock:
            output = run.output if run.done else (run.process.output() if run.process else "")
            metadata = self._task_json(run) | {"job_id": run.job.job_id}
            return Response(200, output_body(metadata, output, run.error, run.error_trace))

    def cancel_run(self, req: Request) -> Response:
        run = self._run(req.json().get("run_id"))
        return request_cancel(run, lambda: [run.process] if run.process is not None else [])

    def close_all(self) -> None:
        with self._lock:
            runs = list(self.runs.values())
            threads = list(self._threads)
        for run in runs:
            run.cancel_requested = True
            if run.process is not None:
                run.process.kill()
        for thread in threads:
            thread.join(timeout=5)
        for run in runs:
            if run.process is not None:
                run.process.cleanup()
        shutil.rmtree(self._scratch, ignore_errors=True)
