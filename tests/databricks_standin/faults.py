"""Fault injection and the request log of the stand-in workspace."""

from __future__ import annotations

import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultRule:
    """Answer requests whose path matches ``pattern`` with an error instead of the real answer.

    ``remaining=None`` means for ever; otherwise the rule is used that many times.
    ``close_connection=True`` answers nothing at all: the socket is closed.
    """

    pattern: re.Pattern[str]
    status: int = 500
    method: str | None = None
    remaining: int | None = 1
    error_code: str = "INTERNAL_ERROR"
    message: str = "Injected fault"
    headers: dict[str, str] = field(default_factory=dict)
    close_connection: bool = False
    hits: int = 0


@dataclass
class StatementRule:
    """A fault for SQL statements whose text matches ``pattern`` (``re.search``, case-insensitive).

    The first ``skip`` matching statements pass untouched, then ``remaining`` of them (``None``: all)
    are affected: ``kind="fail"`` ends them FAILED with ``error_code``/``message``/``sql_state``;
    ``kind="hold"`` keeps them in ``hold_state`` (PENDING or RUNNING) for ``hold_seconds``
    (``None``: until cancelled) before they run.
    """

    pattern: re.Pattern[str]
    kind: str
    skip: int = 0
    remaining: int | None = 1
    error_code: str = "BAD_REQUEST"
    message: str = ""
    sql_state: str = "42000"
    hold_seconds: float | None = None
    hold_state: str = "PENDING"
    hits: int = 0


def files_api_path(volume_path: str) -> str:
    """The decoded request path the Files API uses for a ``/Volumes/...`` file path."""
    return "/api/2.0/fs/files" + volume_path


class Faults:
    """What tests switch on to make the stand-in misbehave; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._statement_rules: list[StatementRule] = []
        self.slow_command_seconds: float = 0.0
        self.failing_jobs: dict[int, str] = {}
        self.failing_submitted_tasks: dict[str | None, str] = {}
        self.spark_sql_rules: list[dict[str, Any]] = []
        self.not_answering = False

    def add_rule(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def throttle(
        self, path_regex: str, count: int = 1, *, status: int = 429, retry_after: int = 1, method: str | None = None
    ) -> FaultRule:
        """Answer the next ``count`` matching requests with 429 (or 503) and ``Retry-After``."""
        code = "TOO_MANY_REQUESTS" if status == 429 else "TEMPORARILY_UNAVAILABLE"
        return self.add_rule(
            FaultRule(
                pattern=re.compile(path_regex),
                status=status,
                method=method,
                remaining=count,
                error_code=code,
                message="Injected throttling: please try again later",
                headers={"Retry-After": str(retry_after)},
            )
        )

    def fail_file(
        self,
        volume_path: str,
        *,
        status: int = 500,
        count: int | None = None,
        method: str | None = "PUT",
        error_code: str = "INTERNAL_ERROR",
    ) -> FaultRule:
        """Fail Files API requests on one ``/Volumes/...`` file (``count=None``: always)."""
        pattern = re.compile(re.escape(files_api_path(volume_path)) + r"\Z")
        return self.add_rule(
            FaultRule(
                pattern=pattern,
                status=status,
                method=method,
                remaining=count,
                error_code=error_code,
                message=f"Injected failure writing {volume_path}",
            )
        )

    def fail_path(
        self,
        path_regex: str,
        *,
        status: int = 500,
        count: int | None = 1,
        method: str | None = None,
        error_code: str = "INTERNAL_ERROR",
        message: str = "Injected fault",
    ) -> FaultRule:
        """Fail any request whose decoded path matches ``path_regex``."""
        return self.add_rule(
            FaultRule(
                pattern=re.compile(path_regex),
                status=status,
                method=method,
                remaining=count,
                error_code=error_code,
                message=message,
            )
        )

    def slow_commands(self, seconds: float) -> None:
        """Make every command of the Command Execution API take ``seconds`` longer."""
        self.slow_command_seconds = seconds

    def fail_job_runs(self, job_id: int, message: str = "Injected failure of the job task") -> None:
        """Make runs of ``job_id`` fail: the task raises ``RuntimeError(message)``."""
        with self._lock:
            self.failing_jobs[int(job_id)] = message

    def fail_statements(
        self,
        sql_regex: str,
        message: str,
        *,
        error_code: str = "BAD_REQUEST",
        sql_state: str = "42000",
        skip: int = 0,
        count: int | None = 1,
    ) -> StatementRule:
        """End matching SQL statements FAILED with ``message`` (e.g. the third CREATE TABLE: ``skip=2``).

        Example: ``fail_statements(r"^CREATE SCHEMA", "[INSUFFICIENT_PERMISSIONS] Insufficient privileges: User
        does not have CREATE SCHEMA on Catalog 'x'. SQLSTATE: 42501", error_code="PERMISSION_DENIED")``.
        """
        return self._statement_rule(
            sql_regex, "fail", skip, count, error_code=error_code, message=message, sql_state=sql_state
        )

    def hold_statements(
        self,
        sql_regex: str,
        seconds: float | None = None,
        *,
        state: str = "PENDING",
        skip: int = 0,
        count: int | None = None,
    ) -> StatementRule:
        """Keep matching SQL statements PENDING (or RUNNING) for ``seconds`` (``None``: until cancelled)."""
        if state not in ("PENDING", "RUNNING"):
            raise ValueError("a held statement is PENDING or RUNNING")
        return self._statement_rule(sql_regex, "hold", skip, count, hold_seconds=seconds, hold_state=state)

    def _statement_rule(self, sql_regex: str, kind: str, skip: int, count: int | None, **fields: Any) -> StatementRule:
        rule = StatementRule(re.compile(sql_regex, re.IGNORECASE), kind, skip=skip, remaining=count, **fields)
        with self._lock:
            self._statement_rules.append(rule)
        return rule

    def match_statement(self, sql: str) -> StatementRule | None:
        """The rule for a statement just submitted, consuming one use of it (every matching rule counts it)."""
        chosen = None
        with self._lock:
            for rule in self._statement_rules:
                if not rule.pattern.search(sql.strip()):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                if chosen is not None or (rule.remaining is not None and rule.remaining <= 0):
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.hits += 1
                chosen = rule
        return chosen

    def fail_submitted_runs(
        self, message: str = "Injected failure of the task", *, task_key: str | None = None
    ) -> None:
        """Make tasks of one-time runs (``runs/submit``) fail: ``task_key`` (None: every task) raises
        ``RuntimeError(message)`` instead of running its script or wheel."""
        with self._lock:
            self.failing_submitted_tasks[task_key] = message

    def fail_spark_sql(self, sql_regex: str, message: str, *, skip: int = 0, count: int = 1) -> None:
        """Make ``spark.sql`` in the next Spark task (stand-in Spark runtime) raise ``AnalysisException(message)``
        for statements matching ``sql_regex`` (``re.search``, any case), after ``skip`` of them passed.

        Example, a run that fails in its third table: ``fail_spark_sql(r"INSERT OVERWRITE TABLE .*customers",
        "[INSUFFICIENT_PERMISSIONS] ...")``.
        """
        with self._lock:
            self.spark_sql_rules.append({"pattern": sql_regex, "message": message, "skip": skip, "count": count})

    def take_spark_sql_faults(self) -> list[dict[str, Any]]:
        """The Spark SQL rules for the task about to start (each rule serves one task)."""
        with self._lock:
            rules, self.spark_sql_rules = self.spark_sql_rules, []
        return rules

    def submitted_task_failure(self, task_key: str) -> str | None:
        """The injected failure message for a submitted task ``task_key``, if any."""
        with self._lock:
            return self.failing_submitted_tasks.get(task_key, self.failing_submitted_tasks.get(None))

    def stop_answering(self) -> None:
        """Close every connection without an answer, like a host that went away."""
        self.not_answering = True

    def resume_answering(self) -> None:
        self.not_answering = False

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._statement_rules.clear()
            self.failing_jobs.clear()
            self.failing_submitted_tasks.clear()
            self.spark_sql_rules.clear()
        self.slow_command_seconds = 0.0
        self.not_answering = False

    def match(self, method: str, path: str) -> FaultRule | None:
        """The rule to apply to this request, consuming one use of it."""
        with self._lock:
            for rule in self._rules:
                if rule.remaining is not None and rule.remaining <= 0:
                    continue
                if rule.method and rule.method != method:
                    continue
                if not rule.pattern.search(path):
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.hits += 1
                return rule
        return None


@dataclass
class LoggedRequest:
    """One request as the stand-in saw it (the Authorization header is never kept)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body_size: int
    status: int | None = None

    @property
    def url_path(self) -> str:
        return urllib.parse.quote(self.path)


class RequestLog:
    """Thread-safe list of every request received, for assertions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[LoggedRequest] = []

    def append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def all(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.all())

    def find(self, method: str | None = None, path_regex: str | None = None) -> list[LoggedRequest]:
        pattern = re.compile(path_regex) if path_regex else None
        return [
            r
            for r in self.all()
            if (method is None or r.method == method) and (pattern is None or pattern.search(r.path))
        ]
