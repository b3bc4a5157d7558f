"""How a Databricks tool reaches the adapter: the workspace client for a profile (built on first use,
never at start-up), the work run in a thread with progress, and failures turned into tool errors.

Credentials: the SDK's unified authentication, nothing of our own (see server.adapters.databricks.auth).
`RETAIL_DATAGEN_DATABRICKS_RETRY_SEC` (default 30) bounds how long the SDK retries an unreachable or
throttling workspace within one request. The Databricks SDK is imported only inside these functions,
so the server starts fast without it.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

from generator.rules import RuleErrors
from server.adapters.secrets import redact
from server.tooling.definition import ToolContext
from server.tooling.messages import one_line
from server.tooling.work import Progress, run_with_progress

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: Seconds the SDK keeps retrying an unreachable or throttling workspace (per request).
ENV_RETRY_SEC = "RETAIL_DATAGEN_DATABRICKS_RETRY_SEC"
DEFAULT_RETRY_SEC = 30
MAX_RETRY_SEC = 300
#: How long a cancelled call waits for its worker to stop (cancelling a run or a command included).
STOP_WAIT_SEC = 40.0


def retry_seconds() -> int:
    """The SDK's retry budget: $RETAIL_DATAGEN_DATABRICKS_RETRY_SEC (1..300) or 30."""
    raw = os.environ.get(ENV_RETRY_SEC, "").strip()
    if not raw:
        return DEFAULT_RETRY_SEC
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_RETRY_SEC:
        logger.warning(
            "%s=%r is not a whole number from 1 to %d; using %d", ENV_RETRY_SEC, raw, MAX_RETRY_SEC, DEFAULT_RETRY_SEC
        )
        return DEFAULT_RETRY_SEC
    return value


def workspace_client(profile: str | None) -> WorkspaceClient:
    """The workspace client for `profile` (built on first use, then cached by the adapter's auth)."""
    from server.adapters.databricks.auth import get_workspace_client

    return get_workspace_client(profile, retry_timeout_seconds=retry_seconds())


async def run_databricks(tc: ToolContext, tool: str, work: Callable[[threading.Event, Progress], T]) -> T:
    """`work(cancel, progress)` in a worker thread with progress relayed; failures become ToolErrors."""
    return await run_with_progress(tc, work, lambda exc: tool_error(tool, exc), stop_wait_sec=STOP_WAIT_SEC)


def adapter_arguments(args: BaseModel) -> dict[str, Any]:
    """A tool's checked parameters as keyword arguments of the adapter function of the same names: without
    the tool's own `profile`, and without those left unset (None: the adapter's own default)."""
    return {name: value for name, value in args.model_dump(exclude={"profile"}).items() if value is not None}


async def run_on_workspace(
    tc: ToolContext,
    tool: str,
    profile: str | None,
    work: Callable[[WorkspaceClient, threading.Event, Progress], T],
) -> tuple[T, str]:
    """`work(client, cancel, progress)` on the workspace of `profile`, and that workspace's host: every
    Databricks result names the workspace it used, so a call that reached the wrong one is seen at once."""

    def run(cancel: threading.Event, progress: Progress) -> tuple[T, str]:
        from server.adapters.databricks.auth import workspace_host

        client = workspace_client(profile)
        return work(client, cancel, progress), workspace_host(client)

    return await run_databricks(tc, tool, run)


def tool_error(tool: str, exc: Exception) -> ToolError:
    """The message the agent gets for an expected failure (redacted, one line)."""
    if isinstance(exc, ToolError):
        return ToolError(one_line(exc))
    if isinstance(exc, RuleErrors):
        return ToolError(one_line(f"Invalid arguments: {exc}"))
    import requests
    from databricks.sdk.errors import DatabricksError

    from server.adapters.databricks.calls import describe
    from server.adapters.databricks.errors import (
        AmbiguousJobError,
        DatabricksApiError,
        DatabricksNotConfigured,
        JobNotFoundError,
    )

    if isinstance(exc, DatabricksNotConfigured | DatabricksApiError | JobNotFoundError | AmbiguousJobError):
        message = str(exc)
    elif isinstance(exc, DatabricksError):
        message = f"The Databricks request failed: {describe(exc)}"
    elif isinstance(exc, requests.ConnectionError | requests.Timeout | TimeoutError):
        message = f"Cannot reach the Databricks workspace ({describe(exc)}). Check DATABRICKS_HOST and the network."
    elif isinstance(exc, FileNotFoundError):
        message = str(exc)
    else:
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        logger.error("Tool %s failed unexpectedly:\n%s", tool, redact(details))
        message = f"Unexpected error in {tool}: {type(exc).__name__}: {exc} (the server's stderr log has the traceback)"
    return ToolError(one_line(message))
