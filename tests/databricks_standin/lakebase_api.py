"""Lakebase (provisioned database instances) API of the stand-in: instance lookup and credentials.

``GET /api/2.0/database/instances/{name}`` answers the real JSON shape (name, uid, state,
read_write_dns, pg_version, capacity, ...) or 404 ``RESOURCE_DOES_NOT_EXIST``;
``POST /api/2.0/database/credentials`` (``instance_names`` and/or ``claims``, ``request_id``)
answers ``{"token", "expiration_time"}`` with a JWT-shaped token for the caller.

The instance's PostgreSQL server is a real one that the test started: the stand-in cannot make it
accept a token by itself, so every issued credential is handed to the instance's
``on_credential(token, expires_at)`` hook, which the test uses to ``ALTER ROLE ... PASSWORD``
(``VALID UNTIL`` the expiry) on that server before the answer goes out.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .http_core import ApiError, Request, Response, Router

#: ``on_credential(token, expires_at)``: make the instance's server accept the token until then.
CredentialHook = Callable[[str, datetime], None]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class DatabaseInstance:
    """One provisioned instance; ``port`` is where the test's server listens (the real API has none)."""

    name: str
    host: str
    port: int
    creator: str
    state: str = "AVAILABLE"
    pg_version: str = "PG_VERSION_15"
    on_credential: CredentialHook | None = None
    token_ttls: list[float] = field(default_factory=list)
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_json(self) -> dict[str, Any]:
        stopped = self.state == "STOPPED"
        return {
            "name": self.name,
            "uid": self.uid,
            "capacity": "CU_1",
            "effective_capacity": "CU_1",
            "creator": self.creator,
            "creation_time": _rfc3339(self.created),
            "pg_version": self.pg_version,
            "state": self.state,
            "read_write_dns": self.host,
            "node_count": 1,
            "effective_node_count": 1,
            "retention_window_in_days": 7,
            "effective_retention_window_in_days": 7,
            "enable_readable_secondaries": False,
            "effective_enable_readable_secondaries": False,
            "enable_pg_native_login": False,
            "effective_enable_pg_native_login": False,
            "stopped": stopped,
            "effective_stopped": stopped,
        }


class LakebaseApi:
    """Database instances by name, and the credentials issued for them."""

    DEFAULT_TTL_SECONDS = 3600.0

    def __init__(self, user_name: str) -> None:
        self._user = user_name
        self._lock = threading.Lock()
        self.instances: dict[str, DatabaseInstance] = {}
        self.issued: list[tuple[str, str]] = []  # (instance, request_id) of every credential handed out

    def register(self, router: Router) -> None:
        router.add("GET", r"/api/2\.0/database/instances/(?P<name>[^/]+)", self.get_instance)
        router.add("POST", r"/api/2\.0/database/credentials", self.generate_credential)

    def add_instance(
        self,
        name: str,
        host: str,
        port: int,
        *,
        on_credential: CredentialHook | None = None,
        state: str = "AVAILABLE",
        token_ttls: list[float] | None = None,
    ) -> DatabaseInstance:
        """``token_ttls``: lifetimes in seconds of the first credentials issued (then an hour each)."""
        instance = DatabaseInstance(
            name, host, port, self._user, state=state, on_credential=on_credential, token_ttls=list(token_ttls or [])
        )
        with self._lock:
            self.instances[name] = instance
        return instance

    def _instance(self, name: str) -> DatabaseInstance:
        with self._lock:
            instance = self.instances.get(name)
        if instance is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Database instance '{name}' does not exist.")
        return instance

    def get_instance(self, req: Request) -> Response:
        return Response(200, self._instance(req.params["name"]).to_json())

    def generate_credential(self, req: Request) -> Response:
        body = req.json()
        names = body.get("instance_names") or []
        if not names and not body.get("claims"):
            raise ApiError(
                400, "INVALID_PARAMETER_VALUE", "At least one of instance_names or claims must be specified."
            )
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "instance_names must be a list of instance names.")
        instances = [self._instance(name) for name in names]
        for instance in instances:
            if instance.state != "AVAILABLE":
                raise ApiError(
                    400, "INVALID_STATE", f"Database instance '{instance.name}' is {instance.state}, not AVAILABLE."
                )
        with self._lock:
            ttl = next((i.token_ttls.pop(0) for i in instances if i.token_ttls), self.DEFAULT_TTL_SECONDS)
            self.issued.append((",".join(names), str(body.get("request_id") or "")))
        expires = datetime.now(timezone.utc) + timedelta(seconds=ttl)
        token = self._token(names, expires)
        for instance in instances:
            if instance.on_credential is not None:
                instance.on_credential(token, expires)
        return Response(200, {"token": token, "expiration_time": _rfc3339(expires)})

    def _token(self, names: list[str], expires: datetime) -> str:
        """A JWT-shaped OAuth token for the caller (header.payload.signature, base64url)."""
        header = _b64(json.dumps({"alg": "RS256", "kid": secrets.token_hex(8), "typ": "JWT"}).encode())
        claims = {"sub": self._user, "aud": names, "exp": int(expires.timestamp()), "jti": secrets.token_hex(16)}
        payload = _b64(json.dumps(claims).encode())
        return f"{header}.{payload}.{_b64(secrets.token_bytes(64))}"
