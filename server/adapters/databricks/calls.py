"""Requests to the workspace: retries of transient failures, and failures said in one redacted line."""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import requests

from databricks.sdk.errors import (
    DatabricksError,
    DataLoss,
    DeadlineExceeded,
    InternalError,
    NotFound,
    PermissionDenied,
    TemporarilyUnavailable,
    TooManyRequests,
    Unauthenticated,
)
from server.adapters.databricks.errors import DatabricksApiError
from server.adapters.secrets import redact

LOG = logging.getLogger("server.adapters.databricks")
T = TypeVar("T")

_TRANSIENT_CODES = {
    "INTERNAL_ERROR",
    "TEMPORARILY_UNAVAILABLE",
    "BAD_GATEWAY",
    "SERVICE_UNAVAILABLE",
    "GATEWAY_TIMEOUT",
    "DEADLINE_EXCEEDED",
    "TOO_MANY_REQUESTS",
    "REQUEST_LIMIT_EXCEEDED",
}
#: First backoff of ``with_retries`` in seconds (doubled per attempt, with jitter).
RETRY_BASE_DELAY = 0.5


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying: 429/500/502/503/504 answers and connection problems."""
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return True
    if isinstance(exc, DataLoss):
        return False
    if isinstance(exc, (InternalError, TemporarilyUnavailable, TooManyRequests, DeadlineExceeded)):
        return True
    if isinstance(exc, DatabricksError):
        code = (exc.error_code or "").upper()
        text = str(exc)
        return code in _TRANSIENT_CODES or bool(re.search(r"\b(502|503|504)\b|Bad Gateway|Gateway Time", text))
    return False


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int = 4,
    base_delay: float | None = None,
    cancel: threading.Event | None = None,
) -> T:
    """``call()``, retried with exponential backoff and jitter while it fails transiently.

    The SDK itself already retries 429 and 503 (honouring Retry-After) and connection errors;
    this adds retries for 500/502/504, which the SDK raises at once, and a second chance when
    the SDK's own retry budget ran out on a flaky connection.
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == attempts or not is_transient(exc) or (cancel is not None and cancel.is_set()):
                raise
            first = RETRY_BASE_DELAY if base_delay is None else base_delay
            delay = first * (2 ** (attempt - 1)) * (0.75 + random.random() / 2)
            LOG.info("transient failure (%s); retry %d/%d in %.1f s", describe(exc), attempt, attempts - 1, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def describe(exc: BaseException) -> str:
    """A short, redacted, one-line description of an exception."""
    if isinstance(exc, DatabricksError):
        code = exc.error_code or type(exc).__name__
        text = f"{code}: {exc}"
    elif isinstance(exc, requests.ConnectionError):
        text = f"cannot connect to the workspace ({type(exc).__name__})"
    elif isinstance(exc, TimeoutError):
        cause = exc.__cause__
        text = f"gave up retrying ({describe(cause)})" if cause is not None else f"timed out: {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return redact(" ".join(text.split()))


def api_error(
    exc: BaseException, action: str, cls: type[DatabricksApiError] = DatabricksApiError, hint: str = ""
) -> DatabricksApiError:
    """Wrap a failed API request as ``cls`` with a redacted message saying what was attempted."""
    if isinstance(exc, DatabricksApiError):
        return exc
    code: str | None = None
    extra = hint
    if isinstance(exc, DatabricksError):
        code = exc.error_code or type(exc).__name__
        if isinstance(exc, Unauthenticated) and not extra:
            extra = "Check DATABRICKS_TOKEN (or your profile's token): the workspace did not accept it."
        elif isinstance(exc, PermissionDenied) and not extra:
            extra = "Your identity lacks the permission for this; ask a workspace admin."
    elif isinstance(exc, (requests.ConnectionError, requests.Timeout, TimeoutError)):
        code = "UNREACHABLE"
        if not extra:
            extra = "Check DATABRICKS_HOST and your network connection."
    message = f"Could not {action}: {describe(exc)}"
    if extra:
        message = f"{message}. {extra}"
    return cls(redact(message), error_code=code, operation=action)


def is_not_found(exc: BaseException) -> bool:
    """True for 404-style answers (``NOT_FOUND``, ``RESOURCE_DOES_NOT_EXIST``)."""
    return isinstance(exc, NotFound) or (
        isinstance(exc, DatabricksError) and (exc.error_code or "") in {"NOT_FOUND", "RESOURCE_DOES_NOT_EXIST"}
    )
