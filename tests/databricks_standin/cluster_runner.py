"""Processes behind the stand-in's compute: execution contexts and job task runs.

Each execution context (Command Execution API 1.2) is one long-lived Python subprocess
(``sandbox_main.py context``) of the test interpreter, so variables persist between
commands exactly as in a notebook, and the code really runs: it imports pyarrow, writes
files under ``/Volumes/...``, raises, sleeps, can be interrupted.

A job task run is one ``sandbox_main.py script <file> <args...>`` subprocess whose
stdout and stderr go to a log file, read back by ``runs/get-output``.

Both kinds of process run in a fresh temporary working directory with ``PYTHONPATH`` and
every ``DATABRICKS_*`` variable removed from their environment (a cluster has neither
this repository nor the caller's credentials), and in their own process group so that a
cancel or a destroy ends the process and everything it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_MAIN = Path(__file__).resolve().parent / "sandbox_main.py"


def sandbox_env(volumes_root_for_code: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a cluster process: the test process's, minus paths and secrets."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATABRICKS_") and k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}
    }
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["STANDIN_VOLUMES_ROOT"] = volumes_root_for_code
    if extra:
        env.update(extra)
    return env


def kill_process_group(proc: subprocess.Popen, grace: float = 2.0) -> None:
    """Terminate ``proc`` and its children (its own session), then kill what is left."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@dataclass
class CommandJob:
    """One command queued in a context; ``on_state`` is told "Running" and then the answer."""

    command_id: str
    code: str
    delay: float
    on_state: Callable[[str, dict | None], None]
    done: threading.Event = field(default_factory=threading.Event)
    cancelled: bool = False


class ExecutionContextProcess:
    """A notebook-like Python process that runs commands one after another."""

    def __init__(self, context_id: str, env: dict[str, str]) -> None:
        self.context_id = context_id
        self.workdir = tempfile.mkdtemp(prefix=f"standin-ctx-{context_id}-")
        self._stderr = open(Path(self.workdir) / "_context_stderr.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, str(SANDBOX_MAIN), "context"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=self.workdir,
            env=env,
            start_new_session=True,
        )
        self._queue: queue.Queue[CommandJob | None] = queue.Queue()
        self._current: CommandJob | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=f"standin-ctx-{context_id}", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def submit(self, job: CommandJob) -> None:
        self._queue.put(job)

    def interrupt(self, command_id: str) -> bool:
        """Send SIGINT if ``command_id`` is the running command; True when it was."""
        with self._lock:
            running = self._current is not None and self._current.command_id == command_id
        if running and self.alive:
            try:
                os.kill(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                return False
            return True
        return False

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.cancelled:  # cancelled while it waited in the queue
                job.done.set()
                continue
            with self._lock:
                self._current = job
            try:
                job.on_state("Running", None)
                answer = self._run(job)
                job.on_state("Answered", answer)
            finally:
                with self._lock:
                    self._current = None
                job.done.set()

    def _run(self, job: CommandJob) -> dict:
        if not self.alive or self.proc.stdin is None or self.proc.stdout is None:
            return {"ok": False, "ename": "ContextLost", "evalue": "the execution context is gone", "output": ""}
        request = json.dumps({"id": job.command_id, "code": job.code, "delay": job.delay}) + "\n"
        try:
            self.proc.stdin.write(request.encode("utf-8"))
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError, ValueError):
            line = b""
        if not line:
            return {
                "ok": False,
                "ename": "ContextLost",
                "evalue": "the Python process of the execution context ended (destroyed or crashed)",
                "output": "",
                "lost": True,
            }
        return json.loads(line)

    def close(self) -> None:
        """End the process (and its children); queued commands answer as lost."""
        self._queue.put(None)
        kill_process_group(self.proc)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        self._stderr.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
        # Drain anything still queued so waiters are released.
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job.on_state(
                    "Answered",
                    {"ok": False, "ename": "ContextLost", "evalue": "context destroyed", "output": ""},
                )
                job.done.set()


class ScriptRunProcess:
    """A job task: ``python <script> <args...>`` with output captured to a log file.

    ``mode="wheel"`` runs a ``python_wheel_task`` instead: ``script`` is the package name and the
    first argument the entry point (see ``sandbox_main``).
    """

    def __init__(self, script: str, args: list[str], env: dict[str, str], *, mode: str = "script") -> None:
        self.workdir = tempfile.mkdtemp(prefix="standin-run-")
        self.log_path = Path(self.workdir) / "_task_output.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, str(SANDBOX_MAIN), mode, script, *args],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            env=env,
            start_new_session=True,
        )

    def wait(self) -> int:
        code = self.proc.wait()
        self._log.close()
        return code

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        kill_process_group(self.proc, grace=1.0)

    def cleanup(self) -> None:
        """Remove the run's working folder (after the process ended)."""
        shutil.rmtree(self.workdir, ignore_errors=True)

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
