"""Progress reports and polling deadlines shared by the long-running workspace operations."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from server.adapters.secrets import redact

LOG = logging.getLogger("server.adapters.databricks")

#: ``progress(done, total, message)``; ``total`` may be None when unknown.
ProgressFn = Callable[[float, "float | None", str], None]


def report(progress: ProgressFn | None, done: float, total: float | None, message: str) -> None:
    """Call the progress callback; its failures are logged, never propagated."""
    if progress is None:
        return
    try:
        progress(done, total, redact(message))
    except Exception:  # noqa: BLE001 - a broken progress sink must not break the operation
        LOG.debug("progress callback failed", exc_info=True)


def remaining(deadline: float) -> float:
    return deadline - time.monotonic()


def sleep_until_next_poll(interval: float, deadline: float, cancel: threading.Event | None) -> None:
    """Sleep ``interval`` (never past ``deadline``), waking at once when ``cancel`` is set."""
    pause = max(0.0, min(interval, remaining(deadline)))
    if cancel is not None:
        cancel.wait(pause)
    else:
        time.sleep(pause)
