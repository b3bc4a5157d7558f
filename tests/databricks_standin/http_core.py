"""Small HTTP plumbing shared by the stand-in's API modules: requests, responses, errors, routes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    """One parsed HTTP request (path already percent-decoded)."""

    method: str
    path: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            value = json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, "MALFORMED_REQUEST", f"Invalid JSON given in the body of the request: {exc}") from exc
        if not isinstance(value, dict):
            raise ApiError(400, "MALFORMED_REQUEST", "The request body must be a JSON object")
        return value


@dataclass
class Response:
    """What a handler answers: a status, a body (dict -> JSON, bytes -> raw) and headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", "application/json"
        if isinstance(self.body, bytes | bytearray):
            return bytes(self.body), self.headers.get("Content-Type", "application/octet-stream")
        return json.dumps(self.body).encode("utf-8"), "application/json"


class ApiError(Exception):
    """An error answered the way Databricks does: ``{"error_code", "message"[, "details"]}``.

    ``legacy=True`` uses the Command Execution 1.2 shape ``{"error": "..."}``.
    """

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        *,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
        legacy: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.reason = reason
        self.headers = headers or {}
        self.legacy = legacy

    def to_response(self) -> Response:
        if self.legacy:
            body: dict[str, Any] = {"error": self.message}
        else:
            body = {"error_code": self.error_code, "message": self.message}
            if self.reason:
                body["details"] = [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": self.reason,
                        "domain": "filesystem.databricks.com",
                        "metadata": {},
                    }
                ]
        return Response(self.status, body, dict(self.headers))


Handler = Callable[[Request], Response]


class Router:
    """Routes ``(method, path regex)`` to handlers; named groups become ``request.params``."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"\Z"), handler))

    def dispatch(self, request: Request) -> Response:
        path_matched = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            path_matched = True
            if method != request.method:
                continue
            request.params = {k: v for k, v in match.groupdict().items() if v is not None}
            return handler(request)
        if path_matched:
            raise ApiError(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.path}")
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{request.method} {request.path}'")


def int_param(value: Any, name: str) -> int:
    """Parse an integer id the way the APIs do, with their error for a bad value."""
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid value for parameter {name}: {value!r}") from exc
