"""Load a generated dataset (parquet, csv, delta or duckdb) into a PostgreSQL schema, all or nothing.

How: every table is created and filled with ``COPY ... FROM STDIN`` (Arrow record batches turned
into CSV bytes by pyarrow.csv, written in large blocks) in a staging schema
``<schema>__staging_<token>``, the tables in parallel, each on its own connection, in the
transaction that created it (so ``COPY FREEZE`` applies). Keys come after the data: primary keys
and foreign-key indexes with the table, then the foreign keys (added ``NOT VALID`` and validated
in parallel), then ``ANALYZE``. One short transaction renames the previous schema away and the
staging schema into place; the old one is dropped after. Any failure drops the staging schema and
leaves the previous schema untouched. Two loads into one schema never interleave: the second is
refused at once (a session-level advisory lock keyed by the schema name's sha256).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
from psycopg import sql
from pydantic import SkipValidation, StrictBool

from generator import __version__
from generator.fields import BatchRows, ConnectTimeout, LoadWorkers, PostgresSchema, validated
from generator.manifest import read_manifest
from generator.name_rules import MAX_PG_IDENTIFIER_BYTES
from generator.postgres.connection import (
    DEFAULT_CONNECT_TIMEOUT,
    ConnectionTarget,
    PasswordSource,
    Progress,
    SchemaLock,
    describe_server_error,
    prepare_session,
    schema_objects,
    server_of,
)
from generator.postgres.ddl import (
    add_foreign_key,
    comments,
    copy_from_stdin,
    create_table,
    csv_block,
    foreign_key_index,
    indexed_foreign_keys,
    primary_key,
    validate_foreign_key,
)
from generator.postgres.errors import LoadCancelled, LoadFailedError, PostgresConnectError, SchemaExistsError
from generator.postgres.masking import one_line
from generator.postgres.sources import TableSource, open_dataset
from generator.schema import ALL_TABLES, TableDefinition

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 100_000
#: How long dropping the replaced schema waits for its readers before leaving it to the next load.
RETIRED_DROP_LOCK_TIMEOUT = "10s"
STAGING_TAG = "__staging_"
RETIRED_TAG = "__retired_"
_TOKEN_CHARS = 8
_PREFIX_BYTES = MAX_PG_IDENTIFIER_BYTES - len(STAGING_TAG) - _TOKEN_CHARS


@dataclass(frozen=True)
class LoadResult:
    """What a load did: where the tables went, how many rows, how fast (never the password)."""

    schema: str
    rows: dict[str, int]
    total_rows: int
    seconds: float
    rows_per_sec: float
    host: str
    port: int
    database: str
    user: str
    replaced_previous: bool


def _marker(kind: str, schema: str) -> str:
    """The comment that tags a staging or retired schema as ours, for the leftover clean-up."""
    return f"retail-datagen:{kind}:{schema}"


def _side_name(schema: str, tag: str, token: str) -> str:
    """``<schema>__staging_<token>`` within 63 bytes (a long schema name is cut, the marker says whose)."""
    return f"{schema.encode()[:_PREFIX_BYTES].decode(errors='ignore')}{tag}{token}"


@dataclass
class _Loader:
    """One load: the staging schema, the parallel table builds, the swap, the clean-up."""

    target: ConnectionTarget
    schema: str
    sources: dict[str, TableSource]
    workers: int
    batch_rows: int
    progress: Progress | None
    cancel: threading.Event
    stop: threading.Event = field(default_factory=threading.Event)
    token: str = field(default_factory=lambda: secrets.token_hex(_TOKEN_CHARS // 2))
    done: int = 0
    _progress_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def staging(self) -> str:
        return _side_name(self.schema, STAGING_TAG, self.token)

    @property
    def total(self) -> int:
        return sum(s.rows for s in self.sources.values())

    # -- progress, cancellation, connections -------------------------------------------------------

    def report(self, rows: int, message: str) -> None:
        with self._progress_lock:
            self.done += rows
            if self.progress is not None:
                self.progress(self.done, self.total, message)

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise LoadCancelled(f"load cancelled; schema {self.schema!r} is as it was and the staging data is gone.")
        if self.stop.is_set():
            raise _Stopped

    def session(self, purpose: str) -> psycopg.Connection[Any]:
        """A new autocommit connection with the loading settings (transactions are explicit)."""
        return prepare_session(self.target.connect(f"retail-datagen {purpose} {self.schema}", autocommit=True))

    # -- the steps ----------------------------------------------------------------------------------

    def remove_leftovers(self, control: psycopg.Connection[Any]) -> None:
        """Drop staging and retired schemas of earlier loads of this schema that were killed (we hold the lock)."""
        rows = control.execute(
            "SELECT nspname FROM pg_namespace WHERE obj_description(oid, 'pg_namespace') IN (%s, %s)",
            (_marker("staging", self.schema), _marker("retired", self.schema)),
        ).fetchall()
        for (name,) in rows:
            log.info("dropping %s, left over by an earlier load of %s", name, self.schema)
            control.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))

    def check_target(self, conn: psycopg.Connection[Any], overwrite: bool) -> bool:
        """Whether the schema exists; SchemaExistsError when it must not be replaced."""
        exists, tables, others = schema_objects(conn, self.schema)
        if others:
            raise SchemaExistsError(
                f"schema={self.schema!r} holds objects that a load did not create ({', '.join(others[:10])}); "
                "a load replaces the whole schema, so it only replaces a schema holding nothing but the dataset's "
                "tables. Choose another schema name."
            )
        foreign = [name for name in tables if name not in ALL_TABLES]
        if foreign:
            raise SchemaExistsError(
                f"schema={self.schema!r} holds tables that are not the dataset's ({', '.join(foreign[:10])}); "
                "a load replaces the whole schema, so choose another schema name."
            )
        if tables and not overwrite:
            raise SchemaExistsError(
                f"schema={self.schema!r} already holds the tables {', '.join(tables)} and overwrite is false; "
                "pass overwrite=True (--overwrite) to replace them, or choose another schema name."
            )
        return exists

    def create_staging(self, control: psycopg.Connection[Any]) -> None:
        with control.transaction():
            control.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.staging)))
            _comment_schema(control, self.staging, _marker("staging", self.schema))

    def load_table(self, source: TableSource) -> int:
        """Create, fill and index one table in one transaction on its own connection; returns the rows."""
        spec = source.spec
        with self.session("load") as conn, conn.transaction():
            conn.execute(create_table(self.staging, spec))
            for statement in comments(self.staging, spec):
                conn.execute(statement)
            with conn.cursor() as cursor:
                with cursor.copy(copy_from_stdin(self.staging, spec, freeze=True)) as copy:
                    for batch in source.batches(self.batch_rows):
                        self.check_cancel()
                        copy.write(csv_block(batch))
                        self.report(batch.num_rows, f"{spec.name}: {batch.num_rows:,} rows copied")
                    self.check_cancel()
                rows = cursor.rowcount
            conn.execute(primary_key(self.staging, spec))
            for column in indexed_foreign_keys(spec):
                conn.execute(foreign_key_index(self.staging, spec, column))
        self.report(0, f"{spec.name}: {rows:,} rows, primary key and indexes built")
        return rows

    def check_and_analyze(self, spec: TableDefinition) -> None:
        """Validate the table's foreign keys (Postgres checks every row), then ANALYZE it."""
        with self.session("check") as conn:
            for column in spec.foreign_keys:
                self.check_cancel()
                with conn.transaction():
                    conn.execute(validate_foreign_key(self.staging, spec, column))
            self.check_cancel()
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(self.staging, spec.name)))
        self.report(0, f"{spec.name}: foreign keys valid, analyzed")

    def run_parallel(self, tasks: dict[str, Callable[[], Any]]) -> dict[str, Any]:
        """Run tasks on the worker pool; on the first failure stop the others and raise it."""
        with ThreadPoolExecutor(self.workers, thread_name_prefix="pg-load") as pool:
            futures: dict[Future[Any], str] = {pool.submit(task): name for name, task in tasks.items()}
            try:
                wait(futures, return_when=FIRST_EXCEPTION)
            except BaseException:  # Ctrl-C while waiting: the tables stop at their next batch
                self.stop.set()
                raise
            if any(f.done() and f.exception() is not None for f in futures):
                self.stop.set()
            wait(futures)
        failed = [(futures[f], f.exception()) for f in futures if f.exception() is not None]
        real = [(name, exc) for name, exc in failed if not isinstance(exc, _Stopped)]
        if failed:
            name, exc = (real or failed)[0]
            if isinstance(exc, PostgresConnectError):  # a new connection of the load was refused
                raise PostgresConnectError(
                    f"{exc} The load stopped part-way (table {name}); nothing was changed: schema {self.schema!r} "
                    "is as it was and the staging data is gone."
                )
            raise self.failure(f"table {name}", exc, ALL_TABLES.get(name))
        return {name: future.result() for future, name in futures.items()}

    def failure(self, subject: str, exc: BaseException | None, spec: TableDefinition | None = None) -> BaseException:
        """A load error that says what broke, where, and that nothing changed (other errors unchanged)."""
        if isinstance(exc, psycopg.Error):
            reason = describe_server_error(subject, exc, spec)
        elif isinstance(exc, pa.ArrowException | OSError):
            reason = f"{subject}: cannot read the dataset's files: {one_line(exc)}"
        else:
            return exc  # type: ignore[return-value]
        return LoadFailedError(
            self.target.mask(
                f"Loading into schema {self.schema!r} failed: {reason}. Nothing was changed: "
                f"schema {self.schema!r} is as it was and the staging data is gone."
            )
        )

    def build(self, control: psycopg.Connection[Any]) -> dict[str, int]:
        """Every table with its data, keys, indexes and statistics in the staging schema."""
        order = sorted(self.sources.values(), key=lambda s: -s.rows)
        rows = self.run_parallel({s.spec.name: (lambda s=s: self.load_table(s)) for s in order})
        self.check_cancel()
        for source in order:
            for column in source.spec.foreign_keys:
                control.execute(add_foreign_key(self.staging, source.spec, column))
        self.run_parallel({s.spec.name: (lambda s=s: self.check_and_analyze(s.spec)) for s in order})
        return {name: rows[name] for name in ALL_TABLES if name in rows}

    def swap(self, control: psycopg.Connection[Any], overwrite: bool, description: str) -> bool:
        """Rename the previous schema away and the staging one into place in one transaction; drop the old one."""
        retired = _side_name(self.schema, RETIRED_TAG, self.token)
        with control.transaction():
            existed = self.check_target(control, overwrite)  # again: someone may have made it meanwhile
            if existed:
                _rename_schema(control, self.schema, retired)
                _comment_schema(control, retired, _marker("retired", self.schema))
            _rename_schema(control, self.staging, self.schema)
            _comment_schema(control, self.schema, description)
        if existed:
            try:
                with control.transaction():
                    control.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(RETIRED_DROP_LOCK_TIMEOUT))
                    control.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(retired)))
            except psycopg.Error as exc:
                log.warning(
                    "the previous %s (now %s) could not be dropped yet (%s); the next load drops it",
                    self.schema,
                    retired,
                    one_line(exc),
                )
        return existed

    def drop_staging(self, control: psycopg.Connection[Any]) -> None:
        """Best effort: drop the staging schema, on a new connection when the control one is gone."""
        statement = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.staging))
        try:
            control.rollback()
            control.execute(statement)
            return
        except psycopg.Error:
            pass  # the control connection was lost too: try a new one
        try:
            with self.target.connect(f"retail-datagen cleanup {self.schema}", autocommit=True) as conn:
                conn.execute(statement)
        except Exception as exc:  # noqa: BLE001 - the next load removes what is left (it is tagged as ours)
            log.warning(
                "could not drop %s (%s); the next load of %s drops it", self.staging, one_line(exc), self.schema
            )


def _rename_schema(conn: psycopg.Connection[Any], old: str, new: str) -> None:
    conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))


def _comment_schema(conn: psycopg.Connection[Any], name: str, text: str) -> None:
    conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(sql.Identifier(name), sql.Literal(text)))


class _Stopped(Exception):
    """Another table of the same load failed; this one stops between batches."""


@validated
def load_to_postgres(
    dataset_dir: str | Path,
    dsn: SkipValidation[str | None] = None,
    schema: PostgresSchema = "retail",
    overwrite: StrictBool = False,
    *,
    password: SkipValidation[PasswordSource] = None,
    connect_timeout: ConnectTimeout = DEFAULT_CONNECT_TIMEOUT,
    workers: LoadWorkers = None,
    batch_rows: BatchRows = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> LoadResult:
    """Load the dataset at ``dataset_dir`` into ``schema`` of the database that ``dsn`` names, all or nothing.

    ``dsn`` is a libpq connection string (key=value or URI); missing parts come from the PG*
    environment variables. ``password`` overrides the string's (a function is called for every new
    connection: short-lived tokens). An existing schema with tables is replaced only with
    ``overwrite=True``. Every parameter is checked on entry: ``RuleErrors`` names each bad one, and
    ``DatasetNotFoundError`` a folder that is not a complete dataset, before anything is sent. Then
    ``PostgresConnectError``, ``SchemaExistsError``, ``SchemaBusyError`` (another load of this schema is
    running), ``LoadCancelled`` or ``LoadFailedError``; after any of them the schema is as it was.
    Passwords never appear in the result, an error or a log line.
    """
    started = time.perf_counter()
    used_workers = workers if workers is not None else default_workers()
    target = ConnectionTarget(dsn, password=password, connect_timeout=connect_timeout)
    sources = open_dataset(dataset_dir)
    loader = _Loader(target, schema, sources, used_workers, batch_rows, progress, cancel or threading.Event())
    log.info("loading %s into schema %s of %s", dataset_dir, schema, target.describe())
    with loader.session("control") as control:
        host, port, database, user = server_of(control)
        with SchemaLock(control, schema, "loaded"):
            loader.remove_leftovers(control)
            loader.check_target(control, overwrite)
            try:
                loader.create_staging(control)
                rows = loader.build(control)
                loader.check_cancel()
                replaced = loader.swap(control, overwrite, _describe_dataset(dataset_dir))
            except BaseException as exc:
                loader.drop_staging(control)
                translated = loader.failure("while preparing or swapping the schema", exc)
                if translated is exc:
                    raise
                raise translated from exc
    seconds = time.perf_counter() - started
    total = sum(rows.values())
    log.info("loaded %d rows into %s in %.1f s", total, schema, seconds)
    return LoadResult(
        schema=schema,
        rows=rows,
        total_rows=total,
        seconds=round(seconds, 3),
        rows_per_sec=round(total / seconds, 1) if seconds > 0 else 0.0,
        host=host,
        port=port,
        database=database,
        user=user,
        replaced_previous=replaced,
    )


def default_workers() -> int:
    """Two table loads per core keep the client's CSV encoding and the server's parsing both busy."""
    return max(2, min(len(ALL_TABLES), 2 * (os.cpu_count() or 1)))


def _describe_dataset(dataset_dir: str | Path) -> str:
    """The schema comment: which dataset, which parameters, when."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    try:
        params = read_manifest(Path(dataset_dir).expanduser()).parameters
        what = ", ".join(f"{key} {params[key]}" for key in ("scale", "scale_factor", "days", "seed") if key in params)
    except (OSError, ValueError):
        what = "parameters unknown"
    return f"Synthetic retail data by retail-datagen {__version__} ({what}), loaded {when}."
