"""One-time runs (``POST /api/2.x/jobs/runs/submit``) of the stand-in's Jobs API, really run.

``SubmitRunsApi`` is the stand-in's Jobs API (registered jobs, ``run-now``) plus one-time runs, as
``WorkspaceClient.jobs.submit(...)`` sends them; ``runs/get``, ``runs/get-output`` and
``runs/cancel`` answer for both kinds of run. The request is checked as the service checks it
(see ``submit_spec``); a second submit with the same ``idempotency_token`` answers the first run's id
and starts nothing.

A run stays PENDING ``submit_pending_seconds``, then runs its tasks one after the other in an order
that respects ``depends_on``. Each task gets its compute first: ``environment_key`` is serverless
(nothing to wait for), ``existing_cluster_id`` must exist and is started first when TERMINATED
(the run waits while it is PENDING, as Databricks does), ``new_cluster`` makes a job cluster
(``cluster_source`` JOB) that is terminated when the task ends. Then its dependencies (the
environment's, or the task's ``libraries`` on a cluster) are installed into the run's sandbox
(``environments.install``), importable in the task process only (``STANDIN_JOB_LIBRARIES`` and
``PYTHONPATH``, as for job libraries). Then the task's process runs (``cluster_runner``):
``spark_python_task`` runs ``python_file`` (a workspace file, ``/Workspace/...`` or ``/Users/...``, a
``/Volumes/...`` file, or a local file) with its parameters; ``python_wheel_task`` runs the entry
point of the installed wheel. ``task_env`` adds environment variables to every task process (e.g.
``PYSPARK_SUBMIT_ARGS`` for a local Spark session). With ``spark`` set (``StandinWorkspace.enable_spark``),
tasks run on the stand-in's Spark runtime and the tables they leave are registered in Unity Catalog when
they end (``spark_runtime``).

Outcomes, as the Jobs service reports them (``state``, and the newer ``status`` with
``termination_details``): every task succeeded: TERMINATED / SUCCESS. A task's process failed: the
task is TERMINATED / FAILED ("Workload failed, see run output for details"; ``runs/get-output`` of
its run id has ``error`` and ``error_trace``) and the run INTERNAL_ERROR / FAILED ("Task <key> failed
with message: ..."), as the Databricks CLI's test server (libs/testserver/jobs.go) reports a
multi-task run, measured on serverless (the run-now runs of ``jobs_api`` still end TERMINATED /
FAILED); tasks depending on it are SKIPPED / UPSTREAM_FAILED. A
dependency cannot be installed, or the Python file cannot be read: task and run INTERNAL_ERROR /
FAILED with the service's "Library installation failed for library due to user error ..." or
"Cannot read the python file ..." message. ``timeout_seconds`` (run or task) passed: TERMINATED /
TIMEDOUT. ``runs/cancel``: TERMINATED / CANCELED.

``submitted(run_id)`` gives tests the request as received, the task environment, and every
dependency installed per environment and per task with each of its requirements and what met it.
``faults.fail_submitted_runs`` makes tasks raise instead of running their code.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cluster_runner import ScriptRunProcess
from .compute_api import ComputeApi
from .environments import Dependency, LibraryInstallError, RequirementCheck, install
from .files_api import VolumeStore
from .http_core import ApiError, Request, Response, Router, int_param
from .jobs_api import (
    DONE_STATES,
    RUN_PAGE,
    TASK_FAILURE_MESSAGE,
    JobsApi,
    cannot_read_file_message,
    check_idempotency_token,
    multi_task_output_error,
    output_body,
    request_cancel,
    state_json,
    task_failure,
    task_failure_run_message,
    write_failing_script,
)
from .spark_runtime import SparkRuntime
from .submit_spec import SubmitSpec, TaskSpec, parse_submit
from .workspace_api import WorkspaceStore

LOG = logging.getLogger("databricks_standin")
WORKSPACE_PREFIXES = ("/Workspace/", "/Users/", "/Shared/", "/Repos/")
CANCELED_MESSAGE = "Run was cancelled by user."
POLL_SECONDS = 0.02
V2_STATES = {"PENDING": "PENDING", "RUNNING": "RUNNING", "TERMINATING": "TERMINATING"}


@dataclass
class TaskRun:
    """One task of a submitted run: its own run id, state and process."""

    spec: TaskSpec
    run_id: int
    life_cycle_state: str = "PENDING"
    result_state: str | None = None
    state_message: str = ""
    termination: tuple[str, str] | None = None  # (code, type) of status.termination_details
    start_time: int = 0
    end_time: int = 0
    cluster_id: str | None = None
    process: ScriptRunProcess | None = None
    output: str = ""
    error: str | None = None
    error_trace: str | None = None

    @property
    def done(self) -> bool:
        return self.life_cycle_state in DONE_STATES


@dataclass
class Submission:
    """What a one-time run was asked for and what its sandbox got, for tests to assert on."""

    run_id: int
    spec: dict[str, Any]
    task_env: dict[str, str]
    environments: dict[str, list[Dependency]] = field(default_factory=dict)  # by environment_key
    task_libraries: dict[str, list[Dependency]] = field(default_factory=dict)  # by task_key (cluster tasks)

    def _all(self) -> list[Dependency]:
        return [d for deps in (*self.environments.values(), *self.task_libraries.values()) for d in deps]

    @property
    def installed(self) -> list[str]:
        """Names of the distributions pip installed into the run's sandbox (the runtime's are not)."""
        return sorted({d.name for d in self._all() if d.installed})

    def requirements(self, name: str) -> tuple[RequirementCheck, ...]:
        """The ``Requires-Dist`` checks of the installed distribution ``name``."""
        for dependency in self._all():
            if dependency.name == name:
                return dependency.requirements
        raise KeyError(f"{name} was not installed by run {self.run_id}; installed: {self.installed}")


@dataclass
class SubmittedRun:
    """A one-time run: its checked spec, its task runs, its outcome."""

    run_id: int
    spec: SubmitSpec
    tasks: list[TaskRun]
    submission: Submission
    scratch: Path
    start_time: int
    started: float  # time.monotonic() at submit, for timeout_seconds
    life_cycle_state: str = "PENDING"
    result_state: str | None = None
    state_message: str = ""
    termination: tuple[str, str] | None = None
    end_time: int = 0
    cancel_requested: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def done(self) -> bool:
        return self.life_cycle_state in DONE_STATES

    def task(self, task_key: str) -> TaskRun:
        return next(t for t in self.tasks if t.spec.task_key == task_key)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _end(task: TaskRun, life_cycle: str, result: str, message: str, termination: tuple[str, str]) -> None:
    task.life_cycle_state = life_cycle
    task.result_state = result
    task.state_message = message
    task.termination = termination
    task.end_time = _now_ms()


def _status_json(life_cycle: str, termination: tuple[str, str] | None, message: str) -> dict[str, Any]:
    """The newer ``status`` of a run or task: a V2 state and, once over, ``termination_details``."""
    status: dict[str, Any] = {"state": V2_STATES.get(life_cycle, "TERMINATED")}
    if termination is not None:
        code, kind = termination
        status["termination_details"] = {"code": code, "type": kind, "message": message}
    return status


class SubmitRunsApi(JobsApi):
    """The Jobs API with one-time runs: ``runs/submit`` plus ``runs/get|get-output|cancel`` for them."""

    def __init__(self, *args: Any, compute: ComputeApi, workspace: WorkspaceStore, volumes: VolumeStore) -> None:
        """``args`` are ``JobsApi``'s; one-time runs also need the clusters and the two file stores."""
        super().__init__(*args)
        self.compute = compute
        self.workspace = workspace
        self.volumes = volumes
        self.task_env: dict[str, str] = {}
        self.spark: SparkRuntime | None = None
        self.submit_pending_seconds = 0.2
        self.submitted_runs: dict[int, SubmittedRun] = {}
        self._submitted_tasks: dict[int, SubmittedRun] = {}
        self._submit_tokens: dict[str, int] = {}

    def register(self, router: Router) -> None:
        super().register(router)
        router.add("POST", r"/api/2\.[12]/jobs/runs/submit", self.submit)

    def submitted(self, run_id: int) -> Submission:
        """What one-time run ``run_id`` was asked for and what was installed for it."""
        with self._lock:
            run = self.submitted_runs.get(int(run_id))
        if run is None:
            raise KeyError(f"no one-time run {run_id}; submitted runs: {sorted(self.submitted_runs)}")
        return run.submission

    # -- submit --------------------------------------------------------------------------

    def submit(self, req: Request) -> Response:
        body = req.json()
        token = check_idempotency_token(body.get("idempotency_token"))
        with self._lock:
            if token and token in self._submit_tokens:
                return Response(200, {"run_id": self._submit_tokens[token]})
            spec = parse_submit(body, self.compute.cluster)
            run_id = next(self._ids)
            run = SubmittedRun(
                run_id=run_id,
                spec=spec,
                tasks=[TaskRun(task, next(self._ids)) for task in spec.tasks],
                submission=Submission(run_id, body, dict(self.task_env)),
                scratch=self._scratch / f"submit-{run_id}",
                start_time=_now_ms(),
                started=time.monotonic(),
            )
            self.submitted_runs[run_id] = run
            self._submitted_tasks.update({task.run_id: run for task in run.tasks})
            if token:
                self._submit_tokens[token] = run_id
            thread = threading.Thread(
                target=self._execute_submitted, args=(run,), daemon=True, name=f"standin-submit-{run_id}"
            )
            self._threads.append(thread)
        thread.start()
        return Response(200, {"run_id": run_id})

    # -- execution -----------------------------------------------------------------------

    def _wait_until(self, run: SubmittedRun, ready: Callable[[], bool], deadline: float | None) -> str | None:
        """Poll ``ready`` until it holds; otherwise why the wait stopped early: "cancel" or "timeout"."""
        while not ready():
            if run.cancel_requested:
                return "cancel"
            if deadline is not None and time.monotonic() >= deadline:
                return "timeout"
            time.sleep(POLL_SECONDS)
        return None

    def _execute_submitted(self, run: SubmittedRun) -> None:
        try:
            self._run_tasks(run)
        except Exception as exc:  # a bug in the stand-in ends the run visibly instead of leaving it PENDING
            LOG.exception("one-time run %s failed in the stand-in", run.run_id)
            with run.lock:
                for task in run.tasks:
                    if not task.done:
                        _end(
                            task,
                            "INTERNAL_ERROR",
                            "FAILED",
                            f"stand-in bug: {exc!r}",
                            ("INTERNAL_ERROR", "INTERNAL_ERROR"),
                        )
        self._finish_submitted(run)

    def _run_tasks(self, run: SubmittedRun) -> None:
        pending_until = time.monotonic() + self.submit_pending_seconds
        self._wait_until(run, lambda: time.monotonic() >= pending_until, None)
        run_deadline = run.started + run.spec.timeout_seconds if run.spec.timeout_seconds else None
        for task in run.tasks:
            if run.cancel_requested:
                break
            failed = [u for u in task.spec.depends_on if run.task(u).result_state != "SUCCESS"]
            if failed:
                with run.lock:
                    _end(task, "SKIPPED", "UPSTREAM_FAILED", "Upstream task(s) failed.", ("SKIPPED", "SUCCESS"))
                continue
            deadline = run_deadline
            if task.spec.timeout_seconds:
                own = time.monotonic() + task.spec.timeout_seconds
                deadline = own if deadline is None else min(deadline, own)
            job_cluster = task.spec.compute == "new_cluster"
            try:
                self._run_task(run, task, deadline)
            finally:
                if job_cluster and task.cluster_id:
                    self.compute.terminate(task.cluster_id, "Job cluster terminated: its run is over.")

    def _run_task(self, run: SubmittedRun, task: TaskRun, deadline: float | None) -> None:
        with run.lock:
            task.start_time = _now_ms()
        if not self._get_compute(run, task, deadline):
            return
        try:
            libraries = self._install(run, task)
        except LibraryInstallError as err:
            where = f"the driver node of cluster {task.cluster_id}" if task.cluster_id else "serverless compute"
            with run.lock:
                task.error = err.state_message(where)
                _end(task, "INTERNAL_ERROR", "FAILED", task.error, ("LIBRARY_INSTALLATION_ERROR", "CLIENT_ERROR"))
            return
        command = self._command(run, task)
        if command is None:
            return
        mode, script, args = command
        env = self._process_env()
        if libraries:
            joined = os.pathsep.join(str(p) for p in libraries)
            env["STANDIN_JOB_LIBRARIES"] = env["PYTHONPATH"] = joined
        spark, export = self.spark, run.scratch / f"spark-catalog-{task.spec.task_key}.json"
        if spark is not None:
            run.scratch.mkdir(parents=True, exist_ok=True)
            env = spark.task_env(env, export, self.faults.take_spark_sql_faults())
        env.update(run.submission.task_env)
        with run.lock:
            if run.cancel_requested:
                return
            task.process = ScriptRunProcess(script, [self._rewrite_arg(a) for a in args], env, mode=mode)
            task.life_cycle_state = run.life_cycle_state = "RUNNING"
            task.state_message = run.state_message = "In run"
        process = task.process
        stopped = self._wait_until(run, lambda: not process.running, deadline)
        if stopped == "timeout":
            process.kill()
        code = process.wait()
        output = process.output()
        if spark is not None:
            spark.sync(export)
        with run.lock:
            task.output = output
            if stopped == "timeout":
                message = (
                    f"Task {task.spec.task_key} timed out: it ran longer than the timeout_seconds of the run or task."
                )
                _end(task, "TERMINATED", "TIMEDOUT", message, ("CANCELED", "CLIENT_ERROR"))
            elif run.cancel_requested:
                _end(task, "TERMINATED", "CANCELED", CANCELED_MESSAGE, ("USER_CANCELED", "SUCCESS"))
            elif code == 0:
                _end(task, "TERMINATED", "SUCCESS", "", ("SUCCESS", "SUCCESS"))
            else:
                task.error, task.error_trace = task_failure(output, code)
                _end(task, "TERMINATED", "FAILED", TASK_FAILURE_MESSAGE, ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"))

    def _get_compute(self, run: SubmittedRun, task: TaskRun, deadline: float | None) -> bool:
        """Start or make the task's cluster and wait for it; False when the run was cancelled or timed out."""
        if task.spec.compute == "new_cluster":
            new = task.spec.new_cluster or {}
            cluster = self.compute.add_cluster(
                f"0000-{secrets.token_hex(3)}-job{secrets.token_hex(2)}",
                f"job-{run.run_id}-run-{task.run_id}",
                "RUNNING",
                0.0,
                cluster_source="JOB",
                data_security_mode=new.get("data_security_mode", "SINGLE_USER"),
                spark_version=new["spark_version"],
            )
            task.cluster_id = cluster.cluster_id
        if task.spec.compute != "existing_cluster_id":
            return True
        cluster_id = task.spec.existing_cluster_id or ""
        task.cluster_id = cluster_id
        with run.lock:
            task.state_message = run.state_message = f"Waiting for cluster {cluster_id} to start"
        stopped = self._wait_until(run, lambda: self.compute.state_for_run(cluster_id) == "RUNNING", deadline)
        if stopped == "timeout":
            message = f"Task {task.spec.task_key} timed out waiting for cluster {cluster_id}."
            with run.lock:
                _end(task, "TERMINATED", "TIMEDOUT", message, ("CANCELED", "CLIENT_ERROR"))
        return stopped is None

    def _install(self, run: SubmittedRun, task: TaskRun) -> list[Path]:
        """Install the task's dependencies (once per environment and run); the folders to import from."""
        key = task.spec.environment_key
        if key is not None:
            target, record = run.scratch / f"env-{key}", run.submission.environments
            dependencies = run.spec.environments[key].dependencies
        else:
            key = task.spec.task_key
            target, record = run.scratch / f"libraries-{key}", run.submission.task_libraries
            dependencies = task.spec.libraries
        if dependencies and key not in record:
            record[key] = install(dependencies, target, self._local_file, self._process_env())
        return [target] if target.is_dir() else []

    def _local_file(self, path: str) -> Path | None:
        """The existing local file behind a workspace, ``/Volumes/...`` or local path; None when there is none."""
        try:
            if path.startswith("/Volumes/"):
                local = self.volumes.local_path(path)
            elif path.startswith(WORKSPACE_PREFIXES):
                local = self.workspace.local(self.workspace.normalize(path))
            else:
                local = Path(path)
        except (ValueError, ApiError):
            return None
        return local if local.is_file() else None

    def _command(self, run: SubmittedRun, task: TaskRun) -> tuple[str, str, list[str]] | None:
        """(sandbox mode, script or package, arguments) of the task; None when its file cannot be read."""
        spec = task.spec
        failing = self.faults.submitted_task_failure(spec.task_key)
        if failing is not None:
            run.scratch.mkdir(parents=True, exist_ok=True)
            script = write_failing_script(run.scratch / f"failing_{spec.task_key}.py", failing)
            return "script", script, list(spec.parameters)
        if spec.task_type == "python_wheel_task":
            return "wheel", spec.package_name or "", [spec.entry_point or "", *spec.parameters]
        python_file = spec.python_file or ""
        local = self._local_file(python_file)
        if local is None:
            with run.lock:
                message = cannot_read_file_message(python_file)
                _end(task, "INTERNAL_ERROR", "FAILED", message, ("RESOURCE_NOT_FOUND", "CLIENT_ERROR"))
            return None
        return "script", str(local), list(spec.parameters)

    def _finish_submitted(self, run: SubmittedRun) -> None:
        with run.lock:
            for task in run.tasks:
                if not task.done:  # cancelled before it ran
                    _end(task, "TERMINATED", "CANCELED", CANCELED_MESSAGE, ("USER_CANCELED", "SUCCESS"))
            failed = next((t for t in run.tasks if t.result_state not in ("SUCCESS", "UPSTREAM_FAILED")), None)
            outcome: tuple[str, str | None, str, tuple[str, str] | None]
            if failed is None:
                outcome = ("TERMINATED", "SUCCESS", "", ("SUCCESS", "SUCCESS"))
            elif failed.result_state == "FAILED" and failed.life_cycle_state == "TERMINATED":
                message = task_failure_run_message(failed.spec.task_key)
                outcome = ("INTERNAL_ERROR", "FAILED", message, ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"))
            else:  # cancelled, timed out, or a failure before the task's code ran: the task's own words
                outcome = (failed.life_cycle_state, failed.result_state, failed.state_message, failed.termination)
            run.life_cycle_state, run.result_state, run.state_message, run.termination = outcome
            run.end_time = _now_ms()

    # -- runs/get, get-output, cancel ----------------------------------------------------

    def _find(self, run_id: Any) -> tuple[SubmittedRun, TaskRun | None] | None:
        """The submitted run of ``run_id`` (a run or task run id), and the task run when it is one."""
        rid = int_param(run_id, "run_id")
        with self._lock:
            run = self.submitted_runs.get(rid) or self._submitted_tasks.get(rid)
        if run is None:
            return None
        return run, next((t for t in run.tasks if t.run_id == rid), None)

    def _submitted_task_json(self, run: SubmittedRun, task: TaskRun) -> dict[str, Any]:
        body = dict(task.spec.raw) | {
            "run_id": task.run_id,
            "state": state_json(task.life_cycle_state, task.result_state, task.state_message),
            "status": _status_json(task.life_cycle_state, task.termination, task.state_message),
            "start_time": task.start_time,
            "end_time": task.end_time,
            "attempt_number": 0,
            "run_page_url": f"{self._base_url()}{RUN_PAGE}run/{task.run_id}",
        }
        if task.cluster_id:
            body["cluster_instance"] = {"cluster_id": task.cluster_id}
        return body

    def _submitted_json(self, run: SubmittedRun) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "number_in_job": run.run_id,
            "original_attempt_run_id": run.run_id,
            "creator_user_name": self.creator,
            "run_name": run.spec.run_name,
            "run_type": "SUBMIT_RUN",
            "format": "MULTI_TASK",
            "trigger": "ONE_TIME",
            "state": state_json(run.life_cycle_state, run.result_state, run.state_message),
            "status": _status_json(run.life_cycle_state, run.termination, run.state_message),
            "start_time": run.start_time,
            "end_time": run.end_time,
            "run_page_url": f"{self._base_url()}{RUN_PAGE}run/{run.run_id}",
            "tasks": [self._submitted_task_json(run, task) for task in run.tasks],
        }

    def get_run(self, req: Request) -> Response:
        found = self._find(req.query.get("run_id"))
        if found is None:
            return super().get_run(req)
        run, _ = found
        with run.lock:
            return Response(200, self._submitted_json(run))

    def get_run_output(self, req: Request) -> Response:
        found = self._find(req.query.get("run_id"))
        if found is None:
            return super().get_run_output(req)
        run, task = found
        if task is None:
            raise multi_task_output_error()
        with run.lock:
            output = task.output if task.done else (task.process.output() if task.process else "")
            return Response(
                200, output_body(self._submitted_task_json(run, task), output, task.error, task.error_trace)
            )

    def cancel_run(self, req: Request) -> Response:
        found = self._find(req.json().get("run_id"))
        if found is None:
            return super().cancel_run(req)
        run, _ = found
        return request_cancel(run, lambda: [t.process for t in run.tasks if t.process is not None])

    def close_all(self) -> None:
        with self._lock:
            runs = list(self.submitted_runs.values())
        for run in runs:
            run.cancel_requested = True
            for task in run.tasks:
                if task.process is not None:
                    task.process.kill()
        super().close_all()  # joins every run thread, then removes the scratch folder
        for run in runs:
            for task in run.tasks:
                if task.process is not None:
                    task.process.cleanup()
