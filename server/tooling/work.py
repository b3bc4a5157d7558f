"""Blocking work in worker threads: cancellable with the tool call, and its progress relayed to the client.

Why: adapters and the core are plain blocking functions that poll a `threading.Event`; a tool body
awaits them here, so a cancelled call stops the work before it returns, and the adapters' progress
calls (from worker threads, in phases whose totals differ) reach the client as one increasing stream.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context

from server.adapters.secrets import redact
from server.tooling.definition import ToolContext

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: ``progress(done, total, message)`` as the adapters call it.
Progress = Callable[[float, "float | None", str], None]
#: Seconds between two progress notifications (the latest event wins).
PROGRESS_INTERVAL_SEC = 0.2


async def run_in_thread(fn: Callable[[threading.Event], T], *, stop_wait_sec: float = 30.0) -> T:
    """Run blocking `fn(cancel)` in a worker thread; if the tool call is cancelled, set `cancel`
    and wait (up to `stop_wait_sec`) for `fn` to stop before letting the cancellation through.

    `fn` must poll the event, so a cancelled call never leaves work running behind the agent's back.
    """
    cancel = threading.Event()
    done = threading.Event()

    def target() -> T:
        try:
            return fn(cancel)
        finally:
            done.set()

    try:
        return await anyio.to_thread.run_sync(target, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        cancel.set()
        with anyio.CancelScope(shield=True):
            stopped = await anyio.to_thread.run_sync(done.wait, stop_wait_sec)
        if not stopped:
            logger.warning("A cancelled tool call's worker did not stop within %.0f s", stop_wait_sec)
        raise


class ProgressRelay:
    """Turns the functions' progress calls (from worker threads, in phases whose totals differ:
    cleaning, then uploading; starting a cluster, then running) into one increasing stream.

    A phase keeps its total; a new phase (other total, unknown total, or a step back) starts one
    unit above the last value sent, and its total is offset likewise. Only the latest event is
    kept between two notifications.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: float | None = None
        self._base = 0.0
        self._phase_total: float | None = None
        self._phase_done = 0.0
        self._pending: tuple[float, float | None, str] | None = None

    def __call__(self, done: float, total: float | None, message: str) -> None:
        try:
            done_value = max(0.0, float(done))
            total_value = float(total) if total is not None else None
        except (TypeError, ValueError):
            return
        with self._lock:
            if self._last is None:
                base = 0.0
            elif total_value is None or total_value != self._phase_total or done_value < self._phase_done:
                base = self._last + 1
            else:
                base = self._base
            self._base, self._phase_total, self._phase_done = base, total_value, done_value
            value = base + done_value
            if self._last is not None and value <= self._last:
                return
            self._last = value
            self._pending = (value, base + total_value if total_value is not None else None, message)

    async def flush(self, ctx: Context) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return
        value, total, message = pending
        try:
            await ctx.report_progress(value, total, redact(message))
        except Exception as exc:  # a client that went away must not fail the operation
            logger.debug("Progress notification failed: %s", exc)

    async def pump(self, ctx: Context) -> None:
        while True:
            await self.flush(ctx)
            await anyio.sleep(PROGRESS_INTERVAL_SEC)


async def run_with_progress(
    tc: ToolContext,
    work: Callable[[threading.Event, Progress], T],
    on_error: Callable[[Exception], Exception],
    *,
    stop_wait_sec: float = 30.0,
) -> T:
    """`work(cancel, progress)` in a worker thread with progress relayed; a failure is raised as
    `on_error(failure)` (the tool's ToolError)."""
    relay = ProgressRelay()
    failure: Exception | None = None
    result: Any = None
    async with anyio.create_task_group() as group:
        group.start_soon(relay.pump, tc.ctx)
        try:
            result = await run_in_thread(lambda cancel: work(cancel, relay), stop_wait_sec=stop_wait_sec)
        except Exception as exc:  # kept out of the task group, which would wrap it in an ExceptionGroup
            failure = exc
        finally:
            group.cancel_scope.cancel()
    if failure is not None:
        raise on_error(failure) from None
    await relay.flush(tc.ctx)
    return result
