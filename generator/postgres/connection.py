"""How a PostgreSQL load connects: connection strings and passwords, sessions, the schema lock, server errors.

Why a module of its own: the loader and the change-feed upserts (and the Databricks Lakebase path,
whose password is a short-lived token) connect the same way, refuse a bad connection string before
anything is written, say what to do when a login fails, and never show a password in a result,
error or log line.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from generator.postgres.errors import PostgresConnectError, PostgresInputError, SchemaBusyError
from generator.postgres.masking import mask_passwords, one_line, passwords_in
from generator.schema import TableDefinition

DEFAULT_CONNECT_TIMEOUT = 10
MASK = "***"

#: A password, or a function called for every new connection (short-lived credentials).
PasswordSource = str | Callable[[], str] | None
#: ``progress(done, total, message)``.
Progress = Callable[[int, int, str], None]

_DSN_HELP = (
    "a libpq connection string: key=value pairs (host=db.example.com port=5432 dbname=shop user=me) or a URI "
    "(postgresql://me@db.example.com:5432/shop?sslmode=require); leave it out to use the PGHOST, PGPORT, "
    "PGDATABASE, PGUSER and PGPASSWORD environment variables"
)


def advisory_lock_key(schema: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from the schema name (sha256, never hash())."""
    digest = hashlib.sha256(f"retail-datagen:schema:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def server_detail(exc: psycopg.Error) -> str:
    """The server's message and detail of an error on one line (e.g. 'duplicate key ... Key (id)=(1) ...')."""
    diag = exc.diag
    parts = (diag.message_primary or str(exc), diag.message_detail or "")
    return one_line(": ".join(p.strip().rstrip(".") for p in parts if p.strip()))


def server_of(conn: psycopg.Connection[Any]) -> tuple[str, int, str, str]:
    """(host, port, database, user) of an open connection: what a result may show (never the password)."""
    info = conn.info
    return info.host, int(info.port), info.dbname, info.user


class ConnectionTarget:
    """A parsed connection string plus password and timeout; opens connections and masks secrets."""

    def __init__(
        self,
        dsn: str | None = None,
        *,
        password: PasswordSource = None,
        connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        if isinstance(password, str):
            self._remember(password)
        self._remember(os.environ.get("PGPASSWORD"))
        if password is not None and not isinstance(password, str) and not callable(password):
            raise PostgresInputError("password", "(hidden)", "a string, a function returning one, or None")
        if dsn is not None and not isinstance(dsn, str):
            raise PostgresInputError("dsn", type(dsn).__name__, _DSN_HELP, "not a string")
        try:
            params = psycopg.conninfo.conninfo_to_dict(dsn or "")
        except psycopg.ProgrammingError as exc:
            for secret in passwords_in(dsn or ""):
                self._remember(secret)
            raise PostgresInputError("dsn", self.mask(dsn), _DSN_HELP, one_line(exc)) from None
        self._remember(params.get("password"))
        params.setdefault("connect_timeout", str(connect_timeout))
        params.update(overrides or {})
        self.params: dict[str, Any] = params
        self._password = password

    def _remember(self, secret: object) -> None:
        if isinstance(secret, str) and secret:
            with self._lock:
                self._secrets.add(secret)

    def mask(self, text: object) -> str:
        """``str(text)`` with every password this target knows, and password-like pairs, masked."""
        result = "" if text is None else str(text)
        with self._lock:
            known = sorted(self._secrets, key=len, reverse=True)
        for secret in known:
            result = result.replace(secret, MASK)
        return mask_passwords(result, MASK)

    def describe(self) -> str:
        """user@host:port/dbname as far as known before connecting (from the string, then PG* variables)."""
        env = os.environ
        host = self.params.get("host") or env.get("PGHOST") or "the local socket"
        port = self.params.get("port") or env.get("PGPORT") or "5432"
        user = self.params.get("user") or env.get("PGUSER")
        dbname = self.params.get("dbname") or env.get("PGDATABASE") or user
        database = f"database {dbname!r}" if dbname else "the default database"
        return f"{database} on {host}:{port} as {repr(user) if user else 'the current OS user'}"

    def connect(self, application_name: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        """A new connection (the password source is asked each time); PostgresConnectError when it fails."""
        params = dict(self.params)
        password = self._password
        if callable(password):
            try:
                password = password()
            except Exception as exc:
                raise PostgresConnectError(
                    self.mask(f"Cannot get a password for {self.describe()}: {one_line(exc)}")
                ) from None
        if password is not None:
            self._remember(password)
            params["password"] = password
        params.setdefault("application_name", application_name[:63])
        try:
            return psycopg.connect(autocommit=autocommit, **params)
        except psycopg.Error as exc:
            raise PostgresConnectError(self.connect_failure(exc)) from None

    def connect_failure(self, exc: BaseException) -> str:
        """What went wrong connecting, and what to do, with the password masked."""
        reason = one_line(exc).rstrip("?.")
        low = reason.lower()
        where = self.describe()
        if "password authentication failed" in low or "password is required" in low or "no password supplied" in low:
            hint = (
                "check the password (in the connection string, PGPASSWORD or ~/.pgpass); "
                "a short-lived token may have expired: get a new one and run again"
            )
        elif "does not exist" in low and "database" in low:
            hint = "create the database first (CREATE DATABASE ...) or name an existing one with dbname="
        elif "role" in low and "does not exist" in low:
            hint = "check the user name (user= in the connection string or PGUSER)"
        elif "pg_hba.conf" in low:
            hint = "the server does not accept this user, database or address; ask its administrator (pg_hba.conf)"
        elif "timeout expired" in low:
            hint = (
                f"the server did not answer within connect_timeout={self.params.get('connect_timeout')} s; "
                "check host, port and the network path (firewall, VPN)"
            )
        elif "ssl" in low and ("not support" in low or "required" in low):
            hint = "check sslmode: the server and the connection string disagree about TLS"
        elif "invalid" in low and "connection option" in low:
            hint = _DSN_HELP
        else:
            hint = "check host and port (host=, port=, PGHOST, PGPORT) and that the server is running and reachable"
        return self.mask(f"Cannot connect to {where}: {reason}. What to do: {hint}.")


#: Every loading session: memory for index builds, ISO dates, and none of the role's timeouts
#: (a long COPY, or the control session idling while the tables load, must not be cut).
SESSION_SETTINGS = (
    "SET maintenance_work_mem = '256MB'",
    "SET statement_timeout = 0",
    "SET idle_in_transaction_session_timeout = 0",
    "SET DateStyle = ISO",
)


def prepare_session(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """Apply SESSION_SETTINGS (and idle_session_timeout = 0 from PostgreSQL 14 on); closes it when that fails."""
    try:
        for setting in SESSION_SETTINGS:
            conn.execute(setting)
        if conn.info.server_version >= 140000:
            conn.execute("SET idle_session_timeout = 0")
        if not conn.autocommit:
            conn.commit()
    except BaseException:
        conn.close()
        raise
    return conn


def schema_objects(conn: psycopg.Connection[Any], schema: str) -> tuple[bool, list[str], list[str]]:
    """(exists, its tables, its other objects) for a schema; other objects are views, sequences, functions..."""
    row = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    if row is None:
        return False, [], []
    relations = conn.execute(
        "SELECT relname, relkind FROM pg_class WHERE relnamespace = %s AND relkind IN ('r','p','v','m','f','S') "
        "ORDER BY relname",
        (row[0],),
    ).fetchall()
    functions = conn.execute(
        "SELECT proname FROM pg_proc WHERE pronamespace = %s ORDER BY proname", (row[0],)
    ).fetchall()
    tables = [name for name, kind in relations if kind in ("r", "p")]
    others = [name for name, kind in relations if kind not in ("r", "p")] + [f"{name}()" for (name,) in functions]
    return True, tables, others


class SchemaLock:
    """A session-level advisory lock on a schema name, refused at once when another session holds it."""

    def __init__(self, conn: psycopg.Connection[Any], schema: str, activity: str) -> None:
        self._conn = conn
        self._schema = schema
        self._activity = activity
        self._key = advisory_lock_key(schema)

    def __enter__(self) -> SchemaLock:
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        if row is None or not row[0]:
            holder = self._conn.execute(
                "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                "AND l.classid::bigint = %s AND l.objid::bigint = %s",
                ((self._key >> 32) & 0xFFFFFFFF, self._key & 0xFFFFFFFF),
            ).fetchone()
            who = f" (session pid {holder[0]}, {holder[1]!r})" if holder else ""
            raise SchemaBusyError(
                f"schema={self._schema!r} is being loaded or changed by another session{who} right now; "
                f"nothing was {self._activity}. Wait for it to finish and run again, or choose another schema."
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._conn.closed:
            with contextlib.suppress(psycopg.Error):  # a session that is gone took its lock with it
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))


def qualified(schema: str, table: str) -> sql.Composed:
    """schema.table as a safely quoted SQL identifier."""
    return sql.Identifier(schema, table)


def describe_server_error(subject: str, exc: psycopg.Error, spec: TableDefinition | None) -> str:
    """A server error as: what broke, where, and the server's own words."""
    diag = exc.diag
    detail = server_detail(exc)
    if isinstance(exc, pg_errors.UniqueViolation) and spec is not None:
        return f"{subject}: the data breaks its primary key ({', '.join(spec.primary_key)}): {detail}"
    if isinstance(exc, pg_errors.ForeignKeyViolation):
        return f"{subject}: the data breaks a foreign key: {detail}"
    if isinstance(exc, pg_errors.NotNullViolation | pg_errors.DataError):
        where = f" ({one_line(diag.context)})" if diag.context else ""
        return f"{subject}: a value does not fit its column: {detail}{where}"
    if isinstance(exc, pg_errors.DiskFull):
        return f"the server ran out of disk space ({subject}: {detail}); free space on the server"
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return f"permission denied ({subject}: {detail}); the user needs CREATE on the database"
    if isinstance(exc, psycopg.OperationalError):
        return f"the connection was lost ({subject}: {detail}); run the load again"
    return f"{subject}: {detail}"
