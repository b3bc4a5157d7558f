"""Load a generated dataset into a Databricks Lakebase (provisioned) PostgreSQL instance.

``load_to_lakebase`` finds the instance's host through the SDK (``database.get_database_instance``
-> ``read_write_dns``), logs in as the caller (``current_user.me().user_name``) with a short-lived
credential from ``database.generate_database_credential``, over TLS (``sslmode=require``), and
loads with ``generator.postgres.load_to_postgres`` (all or nothing, one advisory lock per schema).

Credentials expire (about an hour). The loader opens connections throughout a load (one per table,
then one per check), so the token is asked for per connection and renewed when it is within
``REFRESH_MARGIN_SEC`` of its expiration time: a long load never logs in with an expired token.
Lakebase checks the token at login only, so connections already open carry on. Should a login
still be refused, the error says so and what to do (run again: the load is all or nothing).
Every token is registered with ``auth.remember_secret``: it appears in no result, error or log line.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from psycopg.conninfo import make_conninfo
from pydantic import StrictBool

from databricks.sdk import WorkspaceClient
from generator.fields import LakebaseInstance, Port, PostgresDatabase, PostgresSchema, validated
from generator.postgres.errors import PostgresConnectError, PostgresLoadError
from generator.postgres.load import LoadResult, load_to_postgres
from generator.postgres.sources import open_dataset
from server.adapters.databricks.auth import resolve_client
from server.adapters.databricks.calls import api_error, is_not_found, with_retries
from server.adapters.databricks.errors import DatabricksApiError
from server.adapters.databricks.polling import ProgressFn, report
from server.adapters.secrets import redact, remember_secret

LOG = logging.getLogger(__name__)

DEFAULT_DATABASE = "databricks_postgres"
#: The port every Lakebase instance listens on.
LAKEBASE_PORT = 5432
#: A token this close to its expiration time is replaced before the next login.
REFRESH_MARGIN_SEC = 300


@dataclass(frozen=True)
class LakebaseLoadResult(LoadResult):
    """``LoadResult`` plus the Lakebase instance it went to (never the credential)."""

    instance_name: str


def _expires_at(text: str | None) -> float | None:
    """Epoch seconds of an RFC 3339 expiration time (any fraction digits, Z or offset), None when unreadable."""
    if not text:
        return None
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)", text.strip())
    if match is None:
        return None
    offset = "+00:00" if match.group(2) == "Z" else match.group(2)
    return datetime.fromisoformat(match.group(1) + offset).timestamp()


class LakebaseCredentials:
    """The caller's Lakebase token for one instance: fetched on first use, renewed near its expiry."""

    def __init__(self, client: WorkspaceClient, instance_name: str, *, margin_sec: float | None = None) -> None:
        self._client = client
        self._instance = instance_name
        self._margin = REFRESH_MARGIN_SEC if margin_sec is None else margin_sec
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires: float | None = None
        self.issued = 0

    def _fresh(self) -> bool:
        return self._token is not None and self._expires is not None and self._expires - time.time() > self._margin

    def _fetch(self) -> None:
        """A new credential for the caller's identity, registered for redaction before anything can show it."""
        action = f"get a database credential for Lakebase instance {self._instance!r}"
        try:
            credential = with_retries(
                lambda: self._client.database.generate_database_credential(
                    request_id=str(uuid.uuid4()), instance_names=[self._instance]
                )
            )
        except Exception as exc:
            raise api_error(exc, action) from None
        if not credential.token:
            raise DatabricksApiError(f"Could not {action}: the answer held no token; try again.", error_code="NO_TOKEN")
        remember_secret(credential.token)
        self._token = credential.token
        self._expires = _expires_at(credential.expiration_time)
        self.issued += 1
        LOG.info("new Lakebase credential for %s (expires %s)", self._instance, credential.expiration_time)

    def __call__(self) -> str:
        """The current token, renewed first when it is missing or within the margin of its expiry."""
        with self._lock:
            if not self._fresh():
                self._fetch()
            return self._token  # type: ignore[return-value]


def _lookup_failed(exc: Exception, instance_name: str) -> DatabricksApiError:
    """Why the instance could not be read: it does not exist (say where to look), or the request failed."""
    if not is_not_found(exc):
        return api_error(exc, f"look up Lakebase instance {instance_name!r}")
    message = (
        f"Lakebase instance {instance_name!r} does not exist in this workspace, or you cannot see it. "
        "Check the name (Compute > Database instances) or create it first."
    )
    return DatabricksApiError(redact(message), error_code="RESOURCE_DOES_NOT_EXIST", operation="get_database_instance")


def instance_host(client: WorkspaceClient, instance_name: str) -> str:
    """The read-write DNS name of an AVAILABLE instance; DatabricksApiError saying what to do otherwise."""
    try:
        instance = with_retries(lambda: client.database.get_database_instance(instance_name))
    except Exception as exc:
        raise _lookup_failed(exc, instance_name) from None
    state = instance.state.value if instance.state is not None else "UNKNOWN"
    if state != "AVAILABLE":
        what = {
            "STOPPED": "start it (Compute > Database instances > Start) and run the load again",
            "STARTING": "wait until it is AVAILABLE and run the load again",
            "UPDATING": "wait until it is AVAILABLE and run the load again",
            "FAILING_OVER": "wait until it is AVAILABLE and run the load again",
        }.get(state, "choose an instance that is AVAILABLE")
        raise DatabricksApiError(
            f"Lakebase instance {instance_name!r} is {state}, not AVAILABLE; {what}.",
            error_code="INSTANCE_NOT_AVAILABLE",
            operation="get the database instance",
        )
    if not instance.read_write_dns:
        raise DatabricksApiError(
            f"Lakebase instance {instance_name!r} has no read-write address yet; wait a minute and run again.",
            error_code="NO_DNS",
            operation="get the database instance",
        )
    return instance.read_write_dns


@validated
def load_to_lakebase(
    instance_name: LakebaseInstance,
    dataset_dir: str | Path,
    database: PostgresDatabase = DEFAULT_DATABASE,
    schema: PostgresSchema = "retail",
    overwrite: StrictBool = False,
    *,
    client: WorkspaceClient | None = None,
    port: Port = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> LakebaseLoadResult:
    """Load the dataset into ``schema`` of ``database`` on the Lakebase instance, as the caller, over TLS.

    Raises ``RuleErrors`` (a bad parameter, naming it) or ``DatasetNotFoundError`` before any request,
    ``DatabricksApiError`` when the instance cannot be found or used, and the ``generator.postgres.errors``
    of the load itself (``SchemaExistsError``, ``SchemaBusyError``, ``PostgresConnectError``,
    ``LoadFailedError``, ``LoadCancelled``); the schema is as it was after any.
    """
    open_dataset(dataset_dir)  # a folder that is not a dataset is refused before any request
    client = resolve_client(client)
    host = instance_host(client, instance_name)
    try:
        user = with_retries(lambda: client.current_user.me()).user_name
    except Exception as exc:
        raise api_error(exc, "find the current user (SCIM Me)") from None
    if not user:
        raise DatabricksApiError("The workspace did not say who you are (no user name).", error_code="NO_USER")
    credentials = LakebaseCredentials(client, instance_name)
    port = LAKEBASE_PORT if port is None else port
    dsn = make_conninfo(host=host, port=port, dbname=database, user=user, sslmode="require")

    def forward(done: int, total: int, message: str) -> None:
        report(progress, done, total, message)

    LOG.info(
        "loading %s into Lakebase instance %s (%s), database %s, as %s",
        dataset_dir,
        instance_name,
        host,
        database,
        user,
    )
    try:
        result = load_to_postgres.raw_function(  # type: ignore[attr-defined]  # checked on entry here
            dataset_dir, dsn, schema, overwrite, password=credentials, progress=forward, cancel=cancel
        )
    except PostgresConnectError as exc:
        message = str(exc)
        if "password authentication failed" in message:
            message = (
                f"Lakebase instance {instance_name!r} refused the login of {user!r} with its database credential: "
                f"{message} What to do: make sure {user!r} has a PostgreSQL role on the instance (add it as a "
                "Databricks identity role in the instance's Roles page) with CREATE on the database, then run the "
                "load again; it is all or nothing, so nothing was half-loaded."
            )
        raise PostgresConnectError(redact(message)) from None
    except PostgresLoadError as exc:
        exc.args = (redact(str(exc)),)
        raise
    return LakebaseLoadResult(**asdict(result), instance_name=instance_name)
