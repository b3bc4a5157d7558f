"""Apply a change feed to a loaded PostgreSQL schema instead of reloading it: upserts and deletes.

The feed uses the Delta change data feed's names: per table, rows with every column of the table
plus ``_change_type`` (insert, update_preimage, update_postimage, delete) and ``_commit_version``
(``_commit_timestamp`` is allowed and ignored), in ``<dataset>/_changes/<table>/v<version>/part-*.parquet``.
Per primary key only the latest change counts (highest version, then the last row of it).
Inserts and post-images become ``INSERT ... ON CONFLICT (pk) DO UPDATE`` from a temporary table
filled by COPY, deletes ``DELETE ... USING``, pre-images are ignored. Everything runs in one
transaction: parents before children for the upserts, children before parents for the deletes,
so the foreign keys hold at every statement; on any failure nothing is applied.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from psycopg import sql
from pydantic import SkipValidation

from generator.changes import (
    CHANGE_TYPE,
    COMMIT_VERSION,
    DELETE,
    INSERT,
    UPDATE_POSTIMAGE,
    UPDATE_PREIMAGE,
)
from generator.fields import ChangeVersions, ConnectTimeout, PostgresSchema, validated
from generator.manifest import CHANGES_FOLDER
from generator.postgres.connection import (
    DEFAULT_CONNECT_TIMEOUT,
    ConnectionTarget,
    PasswordSource,
    Progress,
    SchemaLock,
    prepare_session,
    qualified,
    schema_objects,
    server_detail,
    server_of,
)
from generator.postgres.ddl import column_list, csv_block, key_list
from generator.postgres.errors import LoadCancelled, LoadFailedError, PostgresInputError
from generator.postgres.masking import one_line
from generator.readers import DatasetNotFoundError
from generator.schema import ALL_TABLES, TableDefinition

CHANGES_DIR = CHANGES_FOLDER
CHANGE_TYPES = (INSERT, UPDATE_PREIMAGE, UPDATE_POSTIMAGE, DELETE)
_IGNORED = ("_commit_timestamp",)
_SEQUENCE = "_seq"
_VERSION_DIR = re.compile(r"v(\d+)\Z")
_LAYOUT = f"{CHANGES_DIR}/<table>/v<version>/part-*.parquet, one folder per known table"
_BLOCK_ROWS = 100_000


@dataclass(frozen=True)
class TableChanges:
    """What the feed did to one table."""

    inserted: int
    updated: int
    deleted: int
    preimages_ignored: int


@dataclass(frozen=True)
class UpsertResult:
    """Which versions were applied to which schema, and the effect per table (never the password)."""

    schema: str
    versions: list[int]
    tables: dict[str, TableChanges]
    seconds: float
    host: str
    port: int
    database: str
    user: str


def _read_version(spec: TableDefinition, folder: Path, version: int) -> pa.Table:
    """One version folder of one table, checked: columns, types, change types, version numbers, keys."""
    files = sorted(folder.glob("part-*.parquet"))
    if not files:
        raise DatasetNotFoundError(f"{folder} holds no part-*.parquet files; the change feed layout is {_LAYOUT}.")
    wanted = [f.with_nullable(True) for f in spec.schema]
    meta = [pa.field(CHANGE_TYPE, pa.string()), pa.field(COMMIT_VERSION, pa.int64())]
    parts = []
    for path in files:
        table = pq.read_table(path)
        where = f"{path.relative_to(folder.parent.parent.parent)}"
        missing = [f.name for f in [*wanted, *meta] if f.name not in table.column_names]
        extra = [n for n in table.column_names if n not in spec.schema.names + [m.name for m in meta] + list(_IGNORED)]
        if missing or extra:
            raise PostgresInputError(
                f"{where} columns",
                table.column_names,
                f"the columns of {spec.name} plus {CHANGE_TYPE} and {COMMIT_VERSION} (and optionally {_IGNORED[0]})",
                reason="; ".join(
                    p for p in (f"missing {missing}" if missing else "", f"extra {extra}" if extra else "") if p
                ),
            )
        try:
            table = table.select([f.name for f in [*wanted, *meta]]).cast(pa.schema([*wanted, *meta]))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise PostgresInputError(
                f"{where} types", table.schema.types, f"the types of {spec.name}", reason=one_line(exc)
            ) from None
        bad_types = pc.unique(
            pc.filter(table[CHANGE_TYPE], pc.invert(pc.is_in(table[CHANGE_TYPE], pa.array(CHANGE_TYPES))))
        ).to_pylist()
        if bad_types or table[CHANGE_TYPE].null_count:
            raise PostgresInputError(f"{where} column {CHANGE_TYPE}", (bad_types or [None])[0], ", ".join(CHANGE_TYPES))
        versions = pc.unique(table[COMMIT_VERSION]).to_pylist()
        if versions and versions != [version]:
            raise PostgresInputError(f"{where} column {COMMIT_VERSION}", versions, f"{version} (its folder's version)")
        applied = pc.not_equal(table[CHANGE_TYPE], "update_preimage")
        for key in spec.primary_key:
            if pc.any(pc.and_(applied, pc.is_null(table[key]))).as_py():
                raise PostgresInputError(f"{where} column {key}", None, f"a value: it is part of {spec.name}'s key")
        parts.append(table)
    return pa.concat_tables(parts)


def read_change_feed(
    dataset_dir: str | Path, versions: list[int] | None = None
) -> tuple[list[int], dict[str, pa.Table]]:
    """(versions found, per table its checked changes in version order); refuses a feed it cannot apply."""
    root = Path(dataset_dir).expanduser() / CHANGES_DIR
    if not root.is_dir():
        raise DatasetNotFoundError(f"{Path(dataset_dir)} has no change feed: expected {_LAYOUT}.")
    feeds: dict[str, pa.Table] = {}
    found: set[int] = set()
    for folder in sorted(p for p in root.iterdir() if not p.name.startswith(".")):
        if folder.name not in ALL_TABLES or not folder.is_dir():
            raise DatasetNotFoundError(f"{folder} is not a table of the change feed; the layout is {_LAYOUT}.")
        tables = []
        for version_dir in sorted(folder.iterdir(), key=lambda p: (len(p.name), p.name)):
            match = _VERSION_DIR.match(version_dir.name)
            if match is None or not version_dir.is_dir():
                raise DatasetNotFoundError(f"{version_dir} is not a v<version> folder; the layout is {_LAYOUT}.")
            version = int(match.group(1))
            if versions is None or version in versions:
                found.add(version)
                tables.append(_read_version(ALL_TABLES[folder.name], version_dir, version))
        if tables:
            feed = pa.concat_tables(tables)
            feeds[folder.name] = feed.append_column(_SEQUENCE, pa.array(range(feed.num_rows), pa.int64()))
    if not feeds:
        wanted = f"versions {versions}" if versions is not None else "any version"
        raise DatasetNotFoundError(f"{root} holds no changes for {wanted}; the layout is {_LAYOUT}.")
    return sorted(found), {name: feeds[name] for name in ALL_TABLES if name in feeds}


def _temp(kind: str, spec: TableDefinition) -> sql.Identifier:
    return sql.Identifier(f"retail_datagen_{kind}_{spec.name}")


def _key_match(spec: TableDefinition, left: str, right: str) -> sql.Composed:
    return sql.SQL(" AND ").join(
        sql.SQL("{}.{} = {}.{}").format(
            sql.Identifier(left), sql.Identifier(k), sql.Identifier(right), sql.Identifier(k)
        )
        for k in spec.primary_key
    )


def _stage(conn: psycopg.Connection[Any], schema: str, spec: TableDefinition, feed: pa.Table) -> int:
    """COPY the feed into a temporary table and keep the latest change per key; returns the pre-images skipped."""
    changes, latest = _temp("changes", spec), _temp("latest", spec)
    applied = feed.filter(pc.not_equal(feed[CHANGE_TYPE], "update_preimage"))
    conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(changes, qualified(schema, spec.name)))
    conn.execute(
        sql.SQL(
            "ALTER TABLE {} ADD COLUMN {} text NOT NULL, ADD COLUMN {} bigint NOT NULL, ADD COLUMN {} bigint NOT NULL"
        ).format(changes, sql.Identifier(CHANGE_TYPE), sql.Identifier(COMMIT_VERSION), sql.Identifier(_SEQUENCE))
    )
    columns = sql.SQL(", ").join([column_list(spec), key_list((CHANGE_TYPE, COMMIT_VERSION, _SEQUENCE))])
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(changes, columns)) as copy:
        for batch in applied.to_batches(max_chunksize=_BLOCK_ROWS):
            copy.write(csv_block(batch))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT DISTINCT ON ({}) * FROM {} ORDER BY {}, {} DESC, {} DESC"
        ).format(
            latest,
            key_list(spec.primary_key),
            changes,
            key_list(spec.primary_key),
            sql.Identifier(COMMIT_VERSION),
            sql.Identifier(_SEQUENCE),
        )
    )
    return feed.num_rows - applied.num_rows


def _upsert(conn: psycopg.Connection[Any], schema: str, spec: TableDefinition) -> tuple[int, int]:
    """INSERT ... ON CONFLICT DO UPDATE the latest inserts and post-images; returns (inserted, updated)."""
    others = [f.name for f in spec.schema if f.name not in spec.primary_key]
    action = (
        sql.SQL("DO UPDATE SET {}").format(
            sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in others)
        )
        if others
        else sql.SQL("DO NOTHING")
    )
    statement = sql.SQL(
        "WITH applied AS (INSERT INTO {} ({}) SELECT {} FROM {} WHERE {} <> 'delete' ON CONFLICT ({}) {} "
        "RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM applied"
    ).format(
        qualified(schema, spec.name),
        column_list(spec),
        column_list(spec),
        _temp("latest", spec),
        sql.Identifier(CHANGE_TYPE),
        key_list(spec.primary_key),
        action,
    )
    inserted, updated = conn.execute(statement).fetchone()  # type: ignore[misc]
    return int(inserted), int(updated)


def _delete(conn: psycopg.Connection[Any], schema: str, spec: TableDefinition) -> int:
    statement = sql.SQL("DELETE FROM {} AS t USING {} AS c WHERE c.{} = 'delete' AND {}").format(
        qualified(schema, spec.name), _temp("latest", spec), sql.Identifier(CHANGE_TYPE), _key_match(spec, "t", "c")
    )
    return conn.execute(statement).rowcount


@validated
def upsert_changes(
    dataset_dir: str | Path,
    dsn: SkipValidation[str | None] = None,
    *,
    schema: PostgresSchema = "retail",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    versions: ChangeVersions = None,
    password: SkipValidation[PasswordSource] = None,
    connect_timeout: ConnectTimeout = DEFAULT_CONNECT_TIMEOUT,
) -> UpsertResult:
    """Apply ``<dataset_dir>/_changes`` (all versions, or ``versions``) to ``schema`` in one transaction.

    Parameters are checked on entry (``RuleErrors``), the feed is read and checked before connecting
    (``PostgresInputError`` / ``DatasetNotFoundError``);
    the schema must hold the tables (``load_to_postgres`` first). Holds the same advisory lock as a
    load, so it never interleaves with one (``SchemaBusyError``). ``LoadFailedError`` (a key or
    foreign key violated, the connection lost) and ``LoadCancelled`` leave the schema as it was.
    """
    started = time.perf_counter()
    target = ConnectionTarget(dsn, password=password, connect_timeout=connect_timeout)
    found, feeds = read_change_feed(dataset_dir, versions)
    cancel = cancel or threading.Event()
    specs = [ALL_TABLES[name] for name in feeds]
    total = 3 * len(specs)
    steps = 0

    def step(message: str) -> None:
        nonlocal steps
        if cancel.is_set():
            raise LoadCancelled(f"upsert cancelled; schema {schema!r} is as it was (the transaction was rolled back).")
        steps += 1
        if progress is not None:
            progress(steps, total, message)

    with (
        prepare_session(target.connect(f"retail-datagen upsert {schema}", autocommit=True)) as conn,
        SchemaLock(conn, schema, "changed"),
    ):
        _, tables, _ = schema_objects(conn, schema)
        absent = [spec.name for spec in specs if spec.name not in tables]
        if absent:
            raise PostgresInputError(
                "schema",
                schema,
                "a schema loaded by load_to_postgres",
                reason=f"it has no table {', '.join(absent)} to apply changes to",
            )
        ignored: dict[str, int] = {}
        upserted: dict[str, tuple[int, int]] = {}
        deleted: dict[str, int] = {}
        try:
            with conn.transaction():
                for spec in specs:
                    ignored[spec.name] = _stage(conn, schema, spec, feeds[spec.name])
                    step(f"{spec.name}: {feeds[spec.name].num_rows:,} changes staged")
                for spec in specs:
                    upserted[spec.name] = _upsert(conn, schema, spec)
                    step(f"{spec.name}: {sum(upserted[spec.name]):,} rows inserted or updated")
                for spec in reversed(specs):
                    deleted[spec.name] = _delete(conn, schema, spec)
                    step(f"{spec.name}: {deleted[spec.name]:,} rows deleted")
        except psycopg.Error as exc:
            raise LoadFailedError(
                target.mask(
                    f"Applying the change feed to schema {schema!r} failed: {server_detail(exc)}. Nothing was "
                    "changed: the "
                    "transaction was rolled back; fix the feed (or load the dataset again) and run again."
                )
            ) from None
        host, port, database, user = server_of(conn)
    return UpsertResult(
        schema=schema,
        versions=found,
        tables={
            spec.name: TableChanges(*upserted[spec.name], deleted[spec.name], ignored[spec.name]) for spec in specs
        },
        seconds=round(time.perf_counter() - started, 3),
        host=host,
        port=port,
        database=database,
        user=user,
    )
