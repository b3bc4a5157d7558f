"""Clusters API and Command Execution API 1.2 of the stand-in.

A cluster is a record with a state. ``clusters/start`` on a TERMINATED cluster moves it
to PENDING, and it becomes RUNNING ``start_delay`` seconds later (computed when it is
read, so no timer is needed). Execution contexts can only be created on a RUNNING
cluster; each one is a real Python subprocess (see ``cluster_runner``).

Command results have the real shapes: ``Finished`` with ``{"resultType": "text",
"data": ...}``, or ``Finished`` with ``{"resultType": "error", "summary": ..., "cause":
...}`` when the Python code raised. Like a real cluster, the summary holds HTML
(``<span class="ansi-red-fg">``) and the cause holds ANSI colour codes.
"""

from __future__ import annotations

import html
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .cluster_runner import CommandJob, ExecutionContextProcess
from .faults import Faults
from .http_core import ApiError, Request, Response, Router

MAX_CONTEXTS_PER_CLUSTER = 145
RED = "\x1b[0;31m"
GREEN = "\x1b[0;32m"
CYAN = "\x1b[0;36m"
RESET = "\x1b[0m"


@dataclass
class Cluster:
    cluster_id: str
    cluster_name: str
    state: str = "RUNNING"
    start_delay: float = 1.0
    ready_at: float | None = None
    state_message: str = ""
    starts: int = 0
    cluster_source: str = "UI"
    data_security_mode: str = "SINGLE_USER"
    spark_version: str = "15.4.x-scala2.12"

    def current_state(self) -> str:
        if self.state == "PENDING" and self.ready_at is not None and time.monotonic() >= self.ready_at:
            self.state = "RUNNING"
            self.state_message = ""
        return self.state

    def to_json(self, creator: str) -> dict[str, Any]:
        state = self.current_state()
        return {
            "cluster_id": self.cluster_id,
            "cluster_name": self.cluster_name,
            "state": state,
            "state_message": self.state_message,
            "spark_version": self.spark_version,
            "node_type_id": "i3.xlarge",
            "driver_node_type_id": "i3.xlarge",
            "num_workers": 0,
            "autotermination_minutes": 60,
            "data_security_mode": self.data_security_mode,
            "creator_user_name": creator,
            "cluster_source": self.cluster_source,
        } | ({"single_user_name": creator} if self.data_security_mode == "SINGLE_USER" else {})


@dataclass
class Command:
    command_id: str
    context_id: str
    status: str = "Queued"
    results: dict[str, Any] | None = None
    job: CommandJob | None = None
    cancel_requested: bool = False


@dataclass
class Context:
    context_id: str
    cluster_id: str
    process: ExecutionContextProcess
    commands: dict[str, Command] = field(default_factory=dict)


def render_error(ename: str, evalue: str, tb: str) -> dict[str, Any]:
    """A Python error as a real cluster reports it: HTML summary, ANSI-coloured cause."""
    summary = f'<span class="ansi-red-fg">{html.escape(ename)}</span>: {html.escape(evalue)}'
    lines = tb.rstrip("\n").splitlines()
    if lines and lines[0].startswith("Traceback"):
        lines = lines[1:]
    if lines and lines[-1].startswith(ename):
        lines = lines[:-1]
    body = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith("File "):
            body.append(f"{GREEN}{line}{RESET}")
        else:
            body.append(f"{CYAN}{line}{RESET}" if stripped else line)
    cause = (
        f"{RED}{'-' * 75}{RESET}\n"
        f"{RED}{ename}{RESET}{' ' * max(1, 42 - len(ename))}Traceback (most recent call last)\n"
        + "\n".join(body)
        + f"\n\n{RED}{ename}{RESET}: {evalue}"
    )
    return {"resultType": "error", "summary": summary, "cause": cause}


class ComputeApi:
    """Handlers of ``/api/2.x/clusters/*`` and ``/api/1.2/{contexts,commands}/*``."""

    def __init__(
        self,
        faults: Faults,
        creator: str,
        process_env: Callable[[], dict[str, str]],
        rewrite_code: Callable[[str], str],
        unrewrite_output: Callable[[str], str],
    ) -> None:
        self.faults = faults
        self.creator = creator
        self._process_env = process_env
        self._rewrite_code = rewrite_code
        self._unrewrite_output = unrewrite_output
        self._lock = threading.RLock()
        self.clusters: dict[str, Cluster] = {}
        self.contexts: dict[str, Context] = {}
        self.destroyed_contexts: set[str] = set()
        self._ids = itertools.count(1)

    def register(self, router: Router) -> None:
        router.add("GET", r"/api/2\.[01]/clusters/get", self.cluster_get)
        router.add("POST", r"/api/2\.[01]/clusters/start", self.cluster_start)
        router.add("GET", r"/api/2\.[01]/clusters/list", self.cluster_list)
        router.add("POST", r"/api/1\.2/contexts/create", self.context_create)
        router.add("GET", r"/api/1\.2/contexts/status", self.context_status)
        router.add("POST", r"/api/1\.2/contexts/destroy", self.context_destroy)
        router.add("POST", r"/api/1\.2/commands/execute", self.command_execute)
        router.add("GET", r"/api/1\.2/commands/status", self.command_status)
        router.add("POST", r"/api/1\.2/commands/cancel", self.command_cancel)

    # -- clusters ------------------------------------------------------------------------

    def add_cluster(
        self,
        cluster_id: str,
        name: str,
        state: str,
        start_delay: float,
        *,
        cluster_source: str = "UI",
        data_security_mode: str = "SINGLE_USER",
        spark_version: str = "15.4.x-scala2.12",
    ) -> Cluster:
        cluster = Cluster(
            cluster_id=cluster_id,
            cluster_name=name,
            state=state,
            start_delay=start_delay,
            cluster_source=cluster_source,
            data_security_mode=data_security_mode,
            spark_version=spark_version,
        )
        if state == "TERMINATED":
            cluster.state_message = "Inactive cluster terminated (inactive for 60 minutes)."
        with self._lock:
            self.clusters[cluster_id] = cluster
        return cluster

    def cluster(self, cluster_id: Any, legacy: bool = False) -> Cluster:
        """The cluster ``cluster_id``, or the API's error for an unknown id."""
        with self._lock:
            cluster = self.clusters.get(str(cluster_id or ""))
        if cluster is None:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Cluster {cluster_id} does not exist", legacy=legacy)
        return cluster

    def cluster_get(self, req: Request) -> Response:
        with self._lock:
            return Response(200, self.cluster(req.query.get("cluster_id")).to_json(self.creator))

    def cluster_list(self, req: Request) -> Response:
        with self._lock:
            return Response(200, {"clusters": [c.to_json(self.creator) for c in self.clusters.values()]})

    def cluster_start(self, req: Request) -> Response:
        with self._lock:
            cluster = self.cluster(req.json().get("cluster_id"))
            state = cluster.current_state()
            if state != "TERMINATED":
                raise ApiError(
                    400,
                    "INVALID_STATE",
                    f"Cluster {cluster.cluster_id} is in unexpected state {state.capitalize()}.",
                )
            self._start(cluster)
        return Response(200, {})

    def _start(self, cluster: Cluster) -> None:
        cluster.state = "PENDING"
        cluster.state_message = "Starting Spark"
        cluster.ready_at = time.monotonic() + cluster.start_delay
        cluster.starts += 1

    def state_for_run(self, cluster_id: str) -> str:
        """The state of a cluster a job run needs, starting it first when TERMINATED (as the Jobs service does)."""
        with self._lock:
            cluster = self.cluster(cluster_id)
            if cluster.current_state() == "TERMINATED":
                self._start(cluster)
            return cluster.current_state()

    def terminate(self, cluster_id: str, message: str) -> None:
        """End a cluster (a job cluster when its run is over)."""
        with self._lock:
            cluster = self.cluster(cluster_id)
            cluster.state = "TERMINATED"
            cluster.state_message = message

    # -- execution contexts --------------------------------------------------------------

    def context_create(self, req: Request) -> Response:
        body = req.json()
        language = str(body.get("language", "python")).lower()
        with self._lock:
            cluster = self.cluster(body.get("clusterId"), legacy=True)
            if cluster.current_state() != "RUNNING":
                raise ApiError(
                    400,
                    "INVALID_STATE",
                    f"Cluster {cluster.cluster_id} is not running (state {cluster.state}); "
                    "an execution context needs a running cluster.",
                    legacy=True,
                )
            if language != "python":
                raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Unsupported language {language}", legacy=True)
            open_here = sum(1 for c in self.contexts.values() if c.cluster_id == cluster.cluster_id)
            if open_here >= MAX_CONTEXTS_PER_CLUSTER:
                raise ApiError(
                    400,
                    "RESOURCE_EXHAUSTED",
                    "Too many execution contexts are open right now.(Limit set currently to 145)",
                    legacy=True,
                )
            context_id = str(7_000_000_000_000_000_000 + next(self._ids))
        process = ExecutionContextProcess(context_id, self._process_env())
        with self._lock:
            self.contexts[context_id] = Context(context_id, cluster.cluster_id, process)
        return Response(200, {"id": context_id})

    def _context(self, cluster_id: Any, context_id: Any) -> Context:
        self.cluster(cluster_id, legacy=True)
        with self._lock:
            context = self.contexts.get(str(context_id or ""))
        if context is None or context.cluster_id != str(cluster_id):
            raise ApiError(
                400, "INVALID_PARAMETER_VALUE", f"ContextId {context_id} does not exist on cluster", legacy=True
            )
        return context

    def context_status(self, req: Request) -> Response:
        context = self._context(req.query.get("clusterId"), req.query.get("contextId"))
        status = "Running" if context.process.alive else "Error"
        return Response(200, {"id": context.context_id, "status": status})

    def context_destroy(self, req: Request) -> Response:
        body = req.json()
        context = self._context(body.get("clusterId"), body.get("contextId"))
        with self._lock:
            self.contexts.pop(context.context_id, None)
            self.destroyed_contexts.add(context.context_id)
        context.process.close()
        return Response(200, {"id": context.context_id})

    def close_all(self) -> None:
        with self._lock:
            contexts = list(self.contexts.values())
            self.contexts.clear()
        for context in contexts:
            context.process.close()

    @property
    def open_context_ids(self) -> list[str]:
        with self._lock:
            return list(self.contexts)

    # -- commands ------------------------------------------------------------------------

    def command_execute(self, req: Request) -> Response:
        body = req.json()
        context = self._context(body.get("clusterId"), body.get("contextId"))
        if str(body.get("language", "python")).lower() != "python":
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "Only python commands are supported", legacy=True)
        code = body.get("command")
        if not isinstance(code, str):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "command is required", legacy=True)
        command_id = f"{next(self._ids):08x}standin{int(time.time() * 1000) % 10**8:08d}"
        command = Command(command_id=command_id, context_id=context.context_id)

        def on_state(state: str, answer: dict | None) -> None:
            with self._lock:
                if state == "Running":
                    command.status = "Running" if not command.cancel_requested else "Cancelling"
                    return
                assert answer is not None
                output = self._unrewrite_output(answer.get("output", ""))
                if answer.get("ok"):
                    command.status = "Finished"
                    command.results = {"resultType": "text", "data": output}
                elif answer.get("cancelled"):
                    command.status = "Cancelled"
                    command.results = None
                elif answer.get("ename") == "ContextLost":
                    command.status = "Error"
                    command.results = {
                        "resultType": "error",
                        "summary": "ContextLost: the execution context was destroyed or crashed",
                        "cause": answer.get("evalue", ""),
                    }
                else:
                    command.status = "Finished"
                    command.results = render_error(
                        answer.get("ename", "Exception"),
                        self._unrewrite_output(answer.get("evalue", "")),
                        self._unrewrite_output(answer.get("traceback", "")),
                    )

        job = CommandJob(
            command_id=command_id,
            code=self._rewrite_code(code),
            delay=self.faults.slow_command_seconds,
            on_state=on_state,
        )
        command.job = job
        with self._lock:
            context.commands[command_id] = command
        context.process.submit(job)
        return Response(200, {"id": command_id})

    def _command(self, cluster_id: Any, context_id: Any, command_id: Any) -> tuple[Context, Command]:
        context = self._context(cluster_id, context_id)
        with self._lock:
            command = context.commands.get(str(command_id or ""))
        if command is None:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Command {command_id} does not exist", legacy=True)
        return context, command

    def command_status(self, req: Request) -> Response:
        _, command = self._command(req.query.get("clusterId"), req.query.get("contextId"), req.query.get("commandId"))
        with self._lock:
            body: dict[str, Any] = {"id": command.command_id, "status": command.status}
            if command.results is not None:
                body["results"] = command.results
        return Response(200, body)

    def command_cancel(self, req: Request) -> Response:
        body = req.json()
        context, command = self._command(body.get("clusterId"), body.get("contextId"), body.get("commandId"))
        with self._lock:
            command.cancel_requested = True
            if command.status == "Queued" and command.job is not None:
                command.job.cancelled = True
                command.status = "Cancelled"
            elif command.status == "Running":
                command.status = "Cancelling"
        if command.status == "Cancelling":
            context.process.interrupt(command.command_id)
        return Response(200, {"id": command.command_id})
