"""SQL statements through the Statement Execution API: sent, polled until a deadline, cancelled when it
passes, and a failure said in the warehouse's own words plus what to do.

Why a runner: every statement of a multi-statement operation shares one deadline (the caller's
``timeout_sec``), one cancel event and one progress sink; a statement that FAILS answers HTTP 200 with
``status.state = FAILED``, so success is read from the state, never from the HTTP status.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from databricks.sdk import WorkspaceClient
from databricks.sdk.service.sql import ExecuteStatementRequestOnWaitTimeout, StatementResponse, StatementState
from generator.spark.target import PERMISSION_MARKERS, TABLE_PRIVILEGES_HINT
from server.adapters.databricks.calls import api_error, describe, with_retries
from server.adapters.databricks.errors import StatementError
from server.adapters.databricks.polling import ProgressFn, remaining, report, sleep_until_next_poll
from server.adapters.secrets import redact

#: The API waits 5 to 50 s inline (or 0: answer at once); longer statements are polled.
INLINE_WAIT_SEC = 10
_PERMISSION_STATES = {"42501"}
_DONE = {StatementState.SUCCEEDED, StatementState.FAILED, StatementState.CANCELED, StatementState.CLOSED}


def _inline_wait(left: float) -> str:
    seconds = int(min(INLINE_WAIT_SEC, left))
    return f"{seconds}s" if seconds >= 5 else "0s"


@dataclass
class StatementRunner:
    """Runs statements on one warehouse against one deadline; counts what it sent."""

    client: WorkspaceClient
    warehouse_id: str
    deadline: float
    cancel: threading.Event | None = None
    progress: ProgressFn | None = None
    sent: int = field(default=0, init=False)

    def run(self, sql: str, what: str) -> StatementResponse:
        """Run ``sql`` to its end; StatementError (``what`` failed, and why) when it fails or outlives the deadline."""
        begun = time.monotonic()
        try:
            response = with_retries(
                lambda: self.client.statement_execution.execute_statement(
                    statement=sql,
                    warehouse_id=self.warehouse_id,
                    wait_timeout=_inline_wait(remaining(self.deadline)),
                    on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CONTINUE,
                ),
                cancel=self.cancel,
            )
        except Exception as exc:
            raise api_error(exc, what) from None
        self.sent += 1
        interval = 0.25
        while response.status is not None and response.status.state not in _DONE:
            state = response.status.state.value
            if (self.cancel is not None and self.cancel.is_set()) or remaining(self.deadline) <= 0:
                self._cancel(response.statement_id)
                why = (
                    "the call was cancelled"
                    if self.cancel is not None and self.cancel.is_set()
                    else "timeout_sec passed"
                )
                raise StatementError(
                    redact(
                        f"Could not {what}: the statement was still {state} after {time.monotonic() - begun:.0f} s "
                        f"and {why}, so it was cancelled. A busy or starting warehouse keeps statements PENDING: "
                        "try again, or raise timeout_sec."
                    ),
                    error_code="TIMEOUT",
                    operation=what,
                )
            report(self.progress, 0, None, f"{what}: {state} after {time.monotonic() - begun:.0f} s")
            sleep_until_next_poll(interval, self.deadline, self.cancel)
            interval = min(interval * 1.5, 3.0)
            statement_id = response.statement_id
            try:
                response = with_retries(
                    lambda statement_id=statement_id: self.client.statement_execution.get_statement(statement_id)
                )
            except Exception as exc:
                raise api_error(exc, f"follow the statement that should {what}") from None
        return self._checked(response, what)

    def _checked(self, response: StatementResponse, what: str) -> StatementResponse:
        status = response.status
        if status is not None and status.state == StatementState.SUCCEEDED:
            return response
        state = status.state.value if status is not None and status.state else "UNKNOWN"
        error = status.error if status is not None else None
        message = (error.message if error is not None else None) or f"the statement ended {state}"
        hint = ""
        refused = status is not None and status.sql_state in _PERMISSION_STATES
        if refused or any(marker in message for marker in PERMISSION_MARKERS):
            hint = f" {TABLE_PRIVILEGES_HINT}"
        code = error.error_code.value if error is not None and error.error_code else state
        raise StatementError(
            redact(f"Could not {what}: {' '.join(message.split())}.{hint}"),
            error_code=code,
            operation=what,
            sql_state=status.sql_state if status is not None else None,
        )

    def _cancel(self, statement_id: str | None) -> None:
        if statement_id is None:
            return
        try:
            with_retries(lambda: self.client.statement_execution.cancel_execution(statement_id))
        except Exception as exc:  # noqa: BLE001 - the timeout is the news; a failed cancel is only logged
            report(self.progress, 0, None, f"could not cancel statement {statement_id}: {describe(exc)}")


def first_value(response: StatementResponse, column: str) -> str | None:
    """The first row's value of ``column`` in an INLINE JSON_ARRAY result (None when there is no row)."""
    manifest, result = response.manifest, response.result
    if manifest is None or manifest.schema is None or result is None or not result.data_array:
        return None
    names = [c.name for c in manifest.schema.columns or []]
    return result.data_array[0][names.index(column)]
