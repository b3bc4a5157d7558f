"""Shared pieces of the hardening suites (bad input, faults, concurrency, secrets, limits).

* `FIGURES` collects what the suites measured (cases tried and refused correctly, calls/s, the
  slowest call); `pytest_terminal_summary` prints them at the end of every run, whatever the
  capture mode. Figures are printed, never asserted as timing targets.
* `refusal_problem` is the one definition of "a clean refusal": an `isError` result whose text is
  short, on one line, and reads like a reason, not like a traceback or a pydantic dump.
* `SyncClient` drives an in-process server through a real `mcp.Client` from synchronous code
  (hypothesis tests are synchronous): the client lives in an event loop in a portal thread.
* `RawStdioServer` is the server as a subprocess spoken to line by line in JSON-RPC, for what a
  well-behaved client cannot send (NaN literals, lone surrogates, broken JSON) and for SIGKILL.
* `no_databricks_credentials` keeps every test away from a real workspace.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import mcp
import pytest
from mcp.types import CallToolResult

from tests.server.mcp_helpers import REPO, SMALL, clear_databricks_env

#: A dataset generated in a few hundredths of a second (after the first run of a process).
TINY = {"scale": "small", "scale_factor": 0.01, "days": 1, "workers": 1}

#: Longest error text the agent may get: the wrapper's cap plus the SDK's "Error executing tool <name>: ".
MAX_ERROR_TEXT = 2000 + 80
#: What an error must never look like: a traceback, a pydantic dump, a crash report.
_CRASH_MARKERS = (
    "Traceback (most recent call last)",
    'File "/',
    "Unexpected error in",
    "validation error for",
    "errors.pydantic.dev",
    "For further information visit",
    "Error executing tool {name}\n",
)


# --------------------------------------------------------------------------- figures


@dataclass
class Tally:
    """Cases of one battery: how many were tried and how many came back as expected."""

    tried: int = 0
    correct: int = 0
    failures: list[str] = field(default_factory=list)
    #: What "correct" means for this battery, as printed ("refused correctly", ...).
    outcome: str = "answered correctly"

    def add(self, problem: str | None, label: str) -> None:
        self.tried += 1
        if problem is None:
            self.correct += 1
        else:
            self.failures.append(f"{label}: {problem}")


TALLIES: dict[str, Tally] = defaultdict(Tally)
FIGURES: list[str] = []


def tally(name: str, outcome: str | None = None) -> Tally:
    """The tally of battery `name` (created on first use; summed over the session)."""
    item = TALLIES[name]
    if outcome is not None:
        item.outcome = outcome
    return item


def figure(line: str) -> None:
    """A measured figure to print in the terminal summary."""
    FIGURES.append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLIES and not FIGURES:
        return
    terminalreporter.section("hardening figures")
    total_tried = total_correct = 0
    for name, item in sorted(TALLIES.items()):
        total_tried += item.tried
        total_correct += item.correct
        terminalreporter.write_line(f"{name}: {item.tried} cases tried, {item.correct} {item.outcome}")
        for failure in item.failures[:10]:
            terminalreporter.write_line(f"    not correct: {failure[:300]}")
    if len(TALLIES) > 1:
        terminalreporter.write_line(
            f"all batteries: {total_tried} cases tried, {total_correct} handled as expected (see each line)"
        )
    for line in FIGURES:
        terminalreporter.write_line(line)


# --------------------------------------------------------------------------- results


def result_text(result: CallToolResult) -> str:
    """Every text block of a result, joined."""
    return " ".join(block.text for block in result.content if hasattr(block, "text"))


def refusal_problem(
    result: CallToolResult, tool: str, mentions: tuple[str, ...] = (), *, quotes_output: bool = False
) -> str | None:
    """Why `result` is not a clean refusal (None when it is one).

    Clean: `isError`, a non-empty reason of at most MAX_ERROR_TEXT characters on one line, none of
    the crash markers, and every fragment of `mentions` in it (case-insensitive). An error that
    quotes a failed script's output (`quotes_output`) may hold its lines and its traceback.
    """
    if not result.is_error:
        return f"accepted (not an error): {str(result.structured_content)[:200]}"
    return error_problem(result_text(result), tool, mentions, quotes_output=quotes_output)


def error_problem(text: str, tool: str, mentions: tuple[str, ...] = (), *, quotes_output: bool = False) -> str | None:
    """Why the error text `text` of `tool` is not clean (None when it is)."""
    if not text.strip():
        return "empty error text"
    if len(text) > MAX_ERROR_TEXT:
        return f"error text of {len(text)} characters"
    if not quotes_output and "\n" in text.strip():
        return f"multi-line error: {text[:200]!r}"
    for marker in () if quotes_output else _CRASH_MARKERS:
        if marker.format(name=tool) in text:
            return f"looks like a crash ({marker.format(name=tool)!r}): {text[:300]!r}"
    lowered = text.lower()
    for fragment in mentions:
        if fragment.lower() not in lowered:
            return f"does not mention {fragment!r}: {text[:300]!r}"
    return None


def assert_refused(result: CallToolResult, tool: str, *mentions: str, quotes_output: bool = False) -> str:
    """Assert a clean refusal; returns its text."""
    problem = refusal_problem(result, tool, mentions, quotes_output=quotes_output)
    assert problem is None, problem
    return result_text(result)


# --------------------------------------------------------------------------- file system state


def snapshot(path: Path) -> dict[str, str] | None:
    """Every entry under `path` (symlinks not followed) with its size and content hash; None if missing."""
    import hashlib

    if not path.exists() and not path.is_symlink():
        return None
    entries: dict[str, str] = {}
    for item in sorted(path.rglob("*")):
        rel = str(item.relative_to(path))
        if item.is_symlink():
            entries[rel] = f"-> {os.readlink(item)}"
        elif item.is_file():
            entries[rel] = f"{item.stat().st_size}:{hashlib.sha1(item.read_bytes()).hexdigest()}"
        else:
            entries[rel] = "dir"
    return entries


def leftovers(dataset: Path) -> list[str]:
    """Staging, retired and lock siblings of a dataset folder that a finished run must not leave
    (the lock file itself may stay: it is how runs exclude each other)."""
    return sorted(
        entry.name
        for entry in dataset.parent.iterdir()
        if entry.name.startswith(f".{dataset.name}.") and not entry.name.endswith(".lock")
    )


def generate_dataset(folder: Path, **params: Any) -> dict[str, str]:
    """Generate a dataset with the core (no server) and return its snapshot."""
    from generator.config import GenerateOptions
    from generator.runner import generate

    generate(GenerateOptions(output_dir=folder, **{**SMALL, **params}))
    snap = snapshot(folder)
    assert snap is not None
    return snap


# --------------------------------------------------------------------------- environment


@pytest.fixture(autouse=True)
def no_databricks_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test of these suites may reach a real workspace: no Databricks variables, an empty
    config file, and a short retry budget for the stand-in tests that set a host."""
    empty = tmp_path_factory.mktemp("no-databrickscfg") / "databrickscfg"
    empty.write_text("", encoding="utf-8")
    clear_databricks_env(monkeypatch, empty)
    monkeypatch.setenv("RETAIL_DATAGEN_DATABRICKS_RETRY_SEC", "3")
    with contextlib.suppress(ImportError):
        from server.adapters.databricks.auth import clear_client_cache

        clear_client_cache()


# --------------------------------------------------------------------------- in-process client from sync code


class SyncClient:
    """A real `mcp.Client` on an in-process server, callable from synchronous code."""

    def __init__(self, server: Any, *, call_timeout: float = 60.0) -> None:
        self._server = server
        self._timeout = call_timeout
        self._stack = contextlib.ExitStack()
        self.portal: Any = None
        self.client: mcp.Client | None = None
        self.slowest = 0.0

    def __enter__(self) -> SyncClient:
        self.portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        self.client = self._stack.enter_context(self.portal.wrap_async_context_manager(mcp.Client(self._server)))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    async def _call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        assert self.client is not None
        with anyio.fail_after(self._timeout):
            return await self.client.call_tool(name, arguments)

    def call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        """Call a tool; TimeoutError when it takes longer than the call timeout (a hang)."""
        started = time.perf_counter()
        try:
            return self.portal.call(partial(self._call, name, arguments))
        finally:
            self.slowest = max(self.slowest, time.perf_counter() - started)

    def list_tools(self) -> list[Any]:
        assert self.client is not None
        return self.portal.call(self.client.list_tools).tools


# --------------------------------------------------------------------------- raw stdio server


class RawStdioServer:
    """`python -m server` as a subprocess in its own process group, spoken to in raw JSON-RPC lines.

    stderr goes to a file (a full pipe would block the server); `stderr_text()` reads it.
    """

    def __init__(self, root: Path, log_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        environment = {**os.environ, "RETAIL_DATAGEN_ROOT": str(root), **(env or {})}
        environment.pop("RETAIL_DATAGEN_READ_ONLY", None)
        environment.pop("RETAIL_DATAGEN_TOOLSETS", None)
        environment.update(env or {})
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=environment,
            cwd=REPO,
            start_new_session=True,
        )
        self._next_id = 1000
        self._buffer = b""

    def __enter__(self) -> RawStdioServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_line(self, text: str | bytes) -> None:
        assert self.process.stdin is not None
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        self.process.stdin.write(data + b"\n")
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_line(json.dumps(message))

    def read_message(self, timeout: float) -> dict[str, Any] | None:
        """The next protocol message, or None when none arrives within `timeout` seconds."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise EOFError("the server closed stdout")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message = json.loads(line)  # anything on stdout that is not JSON fails here
        assert message.get("jsonrpc") == "2.0", message
        return message

    def response(self, request_id: Any, timeout: float = 60.0) -> dict[str, Any] | None:
        """The response to `request_id` (notifications before it are skipped); None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.read_message(max(0.0, deadline - time.monotonic()))
            if message is None:
                return None
            if message.get("id") == request_id and ("result" in message or "error" in message):
                return message

    def initialize(self) -> dict[str, Any]:
        self.send(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "hardening", "version": "1"},
                },
            }
        )
        answer = self.response(0, timeout=60)
        assert answer is not None and "result" in answer, answer
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer

    def request(self, name: str, arguments: Any, *, request_id: Any = None) -> Any:
        """Send a tools/call and return its id."""
        if request_id is None:
            self._next_id += 1
            request_id = self._next_id
        self.send(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "tools/call",
                "params": {"name": name, "arguments": arguments},
            }
        )
        return request_id

    def call(self, name: str, arguments: Any, timeout: float = 60.0) -> dict[str, Any]:
        """tools/call and its result (asserting that a result arrived)."""
        request_id = self.request(name, arguments)
        answer = self.response(request_id, timeout)
        assert answer is not None, f"no answer to {name} within {timeout} s"
        assert "result" in answer, answer
        return answer["result"]

    def kill_group(self) -> None:
        """SIGKILL the server and every process of its group (worker pools included)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                assert self.process.stdin is not None
                self.process.stdin.close()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill_group()
        with contextlib.suppress(ProcessLookupError):  # stray children of the group, if any
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()

    def stderr_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


# --------------------------------------------------------------------------- mounts


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` at `mount_point` (skips the test where mounting is not allowed)."""
    if shutil.which("mount") is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    mount_point.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if _run("umount", str(mount_point)).returncode != 0:
            _run("umount", "-l", str(mount_point))


def remount(mount_point: Path, mode: str) -> None:
    """Remount `mount_point` read-only (`ro`) or read-write (`rw`)."""
    done = _run("mount", "-o", f"remount,{mode}", str(mount_point))
    assert done.returncode == 0, done.stderr
