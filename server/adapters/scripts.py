"""Runs a project's generate_data.py in a subprocess (the seed reference's `execute_script` contract).

The script gets SCALE_FACTOR and OUTPUT_PATH (`<project_path>/data`), no stdin, and its own process
group, so a timeout kills it together with any children. Its output streams to
`<project_path>/generation.log` as it arrives; only a capped head and tail of each stream stay in
memory, so a script that floods stdout cannot exhaust the server's memory or the agent's context.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from generator import rules
from generator.fields import Env, ScaleFactor, ScriptTimeout, validated
from server.adapters.secrets import SECRET_ENV_VARS

SCRIPT_NAME = "generate_data.py"
LOG_NAME = "generation.log"
DATA_DIR_NAME = "data"
#: Bytes of each stream kept from its start and from its end.
HEAD_BYTES = 2_000
#: generation.log stops growing here (a script flooding stdout must not fill the disk).
MAX_LOG_BYTES = 64 * 2**20
TAIL_BYTES = 6_000
_READ_SIZE = 64 * 1024
_KILL_GRACE_SEC = 2.0
_DRAIN_SEC = 5.0


class ScriptCancelledError(RuntimeError):
    """The run was stopped through the `cancel` event; the process group was killed."""


class _RunLog:
    """generation.log, shared by both pipes; it stops growing at MAX_LOG_BYTES so that a script
    flooding its output until the timeout cannot fill the disk."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._lock = threading.Lock()
        self._written = 0
        self._cut = False

    def write(self, chunk: bytes) -> None:
        with self._lock:
            room = MAX_LOG_BYTES - self._written
            if room <= 0:
                if not self._cut:
                    self._file.write(f"\n# log cut at {MAX_LOG_BYTES // 2**20} MiB: later output dropped\n".encode())
                    self._cut = True
                return
            self._file.write(chunk[:room])
            self._written += min(len(chunk), room)
            self._file.flush()

    def footer(self, text: str) -> None:
        with self._lock:
            self._file.write(f"\n# {text}\n".encode())
            self._file.flush()


class _CappedStream:
    """Drains one pipe: every chunk goes to the log file, only head and tail stay in memory."""

    def __init__(self, pipe: IO[bytes], log: _RunLog) -> None:
        self._pipe = pipe
        self._log = log
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)

    def _drain(self) -> None:
        fd = self._pipe.fileno()
        while True:
            try:
                chunk = os.read(fd, _READ_SIZE)
            except OSError:
                break
            if not chunk:
                break
            self._log.write(chunk)
            self.total += len(chunk)
            room = HEAD_BYTES - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                if len(self.tail) > TAIL_BYTES:
                    del self.tail[: len(self.tail) - TAIL_BYTES]
        self._pipe.close()

    @property
    def truncated(self) -> bool:
        """True when bytes between head and tail were dropped."""
        return self.total > len(self.head) + len(self.tail)

    def text(self, log_path: Path) -> str:
        """The captured output; when cut, a note in the middle says how much and where the rest is."""
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if not self.truncated:
            return head + tail
        cut = self.total - len(self.head) - len(self.tail)
        return f"{head}\n[... {cut:,} bytes cut here; the full output is in {log_path} ...]\n{tail}"


#: Variables the runner sets itself; `env` cannot override them.
RESERVED_ENV = ("SCALE_FACTOR", "OUTPUT_PATH")


@validated
def execute_script(
    project_path: str | Path,
    scale_factor: ScaleFactor = 1.0,
    python_bin: str | None = None,
    timeout_sec: ScriptTimeout = 300,
    env: Env = None,
    *,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Execute `<project_path>/generate_data.py` locally; its data lands in `<project_path>/data`.

    Returns {exit_code, stdout, stderr, duration_sec, log_path, truncated}; stdout and stderr are
    capped (head and tail) with a note when cut, and generation.log has the full output.
    Raises RuleErrors for a bad argument (`env` may not set SCALE_FACTOR or OUTPUT_PATH),
    FileNotFoundError when the script is missing, subprocess.TimeoutExpired on timeout (after
    killing the process group), ScriptCancelledError when `cancel` is set, and OSError when the
    interpreter cannot be started.
    """
    reserved = sorted(set(RESERVED_ENV) & set(env or {}))
    if reserved:
        raise rules.refusal(
            "env", ", ".join(reserved), "other variables: the runner sets SCALE_FACTOR and OUTPUT_PATH itself"
        )
    project = Path(project_path).resolve()
    script = project / SCRIPT_NAME
    if not script.is_file():
        raise FileNotFoundError(f"{script} does not exist")
    log_path = project / LOG_NAME
    data_path = project / DATA_DIR_NAME
    command = [python_bin or sys.executable, str(script)]
    # The server's Databricks secrets are not the script's business (pass them in `env` if needed).
    child_env = {name: value for name, value in os.environ.items() if name not in SECRET_ENV_VARS}
    child_env["PYTHONUNBUFFERED"] = "1"
    child_env["SCALE_FACTOR"] = repr(scale_factor)
    child_env["OUTPUT_PATH"] = str(data_path)
    child_env.update(env or {})

    started = time.monotonic()
    with open(log_path, "wb") as log:
        log.write(
            f"# {datetime.now(timezone.utc).isoformat(timespec='seconds')} {' '.join(command)} "
            f"SCALE_FACTOR={child_env['SCALE_FACTOR']} OUTPUT_PATH={child_env['OUTPUT_PATH']}\n".encode()
        )
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=project,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=os.name == "posix",
        )
        assert process.stdout is not None and process.stderr is not None
        run_log = _RunLog(log)
        out = _CappedStream(process.stdout, run_log)
        err = _CappedStream(process.stderr, run_log)
        out.thread.start()
        err.thread.start()
        try:
            exit_code = _wait(process, started + timeout_sec, cancel)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            _join(out, err, process)
            run_log.footer(f"killed after the {timeout_sec} s timeout")
            raise subprocess.TimeoutExpired(
                command, timeout_sec, output=out.text(log_path), stderr=err.text(log_path)
            ) from None
        except ScriptCancelledError:
            _kill_group(process)
            _join(out, err, process)
            run_log.footer("killed: the run was cancelled")
            raise
        _join(out, err, process)
        duration = time.monotonic() - started
        run_log.footer(f"exit code {exit_code} after {duration:.1f} s")
    return {
        "exit_code": exit_code,
        "stdout": out.text(log_path),
        "stderr": err.text(log_path),
        "duration_sec": round(duration, 3),
        "log_path": str(log_path),
        "truncated": out.truncated or err.truncated,
    }


def _wait(process: subprocess.Popen[bytes], deadline: float, cancel: threading.Event | None) -> int:
    """The exit code; TimeoutExpired past `deadline`, ScriptCancelledError once `cancel` is set."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise subprocess.TimeoutExpired(process.args, 0)
        if cancel is not None and cancel.is_set():
            raise ScriptCancelledError("the script run was cancelled")
        try:
            return process.wait(timeout=min(remaining, 0.1 if cancel is not None else remaining))
        except subprocess.TimeoutExpired:
            continue


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the script's process group, then SIGKILL whatever is left after a short grace."""
    if os.name != "posix":
        process.kill()
        process.wait()
        return
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=_KILL_GRACE_SEC)
    with suppress(ProcessLookupError, PermissionError):  # children that ignored TERM or outlived the leader
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _join(out: _CappedStream, err: _CappedStream, process: subprocess.Popen[bytes]) -> None:
    """Wait for both readers; a grandchild still holding the pipes gets its group killed."""
    for stream in (out, err):
        stream.thread.join(_DRAIN_SEC)
    if out.thread.is_alive() or err.thread.is_alive():
        if os.name == "posix":
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        for stream in (out, err):
            stream.thread.join(_DRAIN_SEC)
