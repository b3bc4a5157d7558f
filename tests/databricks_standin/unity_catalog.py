"""Unity Catalog emulation of the stand-in: catalogs, schemas, volumes and Delta-like tables stored in DuckDB.

Why: SQL sent to the stand-in's warehouses and the Unity Catalog REST API must see one and the same
metastore, with what Databricks keeps about a table: Databricks column types, NOT NULL, table and
column comments, TBLPROPERTIES, informational PRIMARY KEY / FOREIGN KEY constraints, an owner, and a
version history that time travel and RESTORE can go back to.

Storage: every table version points at an immutable DuckDB table (``uc_p<n>``). A write copies the
current one into a new DuckDB table and changes the copy, so a failed statement changes nothing and
every old version stays readable; a change of metadata only (a comment) shares the data of the
version before. Names are stored lower-case, as Unity Catalog stores them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

import duckdb
import pyarrow as pa

from .files_api import VolumeStore
from .sql_types import SqlType

METASTORE_ID = "5e7a1c3b-0000-4000-8000-standin00001"


def quote(*parts: str) -> str:
    """A name as Databricks error messages print it: `cat`.`schema`.`table`."""
    return ".".join(f"`{p}`" for p in parts)


class SqlError(Exception):
    """A statement failure as Databricks reports it: ``[ERROR_CLASS] message SQLSTATE: xxxxx``."""

    def __init__(
        self,
        error_class: str,
        message: str,
        sql_state: str,
        *,
        error_code: str = "BAD_REQUEST",
        context: str = "",
        text: str | None = None,
    ) -> None:
        super().__init__(text or f"[{error_class}] {message} SQLSTATE: {sql_state}{context}")
        self.error_class = error_class
        self.sql_state = sql_state
        self.error_code = error_code


class ObjectNotFound(SqlError):
    """A catalog, schema, table or volume that does not exist (SQL and REST word it differently)."""

    _SQL = {
        "catalog": (
            "NO_SUCH_CATALOG_EXCEPTION",
            "Catalog '{name}' was not found. Please verify the catalog name and then retry the query or command again.",
            "42704",
        ),
        "schema": (
            "SCHEMA_NOT_FOUND",
            "The schema {quoted} cannot be found. Verify the spelling and correctness of the schema and catalog.\n"
            "If you did not qualify the name with a catalog, verify the current_schema() output, or qualify the "
            "name with the correct catalog.\nTo tolerate the error on drop use DROP SCHEMA IF EXISTS.",
            "42704",
        ),
        "table": (
            "TABLE_OR_VIEW_NOT_FOUND",
            "The table or view {quoted} cannot be found. Verify the spelling and correctness of the schema and "
            "catalog.\nIf you did not qualify the name with a schema, verify the current_schema() output, or "
            "qualify the name with the correct schema and catalog.\nTo tolerate the error on drop use DROP VIEW "
            "IF EXISTS or DROP TABLE IF EXISTS.",
            "42P01",
        ),
        "volume": ("UC_VOLUME_NOT_FOUND", "Volume {quoted} does not exist.", "42704"),
    }

    def __init__(self, kind: str, *parts: str) -> None:
        error_class, template, sql_state = self._SQL[kind]
        super().__init__(error_class, template.format(name=".".join(parts), quoted=quote(*parts)), sql_state)
        self.kind = kind
        self.full_name = ".".join(parts)


def insufficient_privileges(detail: str) -> SqlError:
    """Databricks' answer when the user lacks a privilege or is not the owner."""
    return SqlError("INSUFFICIENT_PERMISSIONS", f"Insufficient privileges:\n{detail}.", "42501")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


_SPARK_JSON_TYPES = {"int": "integer", "bigint": "long", "smallint": "short", "tinyint": "byte"}


@dataclass(frozen=True)
class Column:
    """One column as Unity Catalog records it."""

    name: str
    type: SqlType
    nullable: bool = True
    comment: str | None = None

    def spark_field(self) -> dict[str, Any]:
        """The column as a Spark/Delta schema field (``{"name", "type", "nullable", "metadata"}``)."""
        metadata = {"comment": self.comment} if self.comment is not None else {}
        spark_type = _SPARK_JSON_TYPES.get(self.type.text, self.type.text)
        return {"name": self.name, "type": spark_type, "nullable": self.nullable, "metadata": metadata}


@dataclass(frozen=True)
class Constraint:
    """An informational PRIMARY KEY or FOREIGN KEY (recorded, never enforced, as in Unity Catalog)."""

    name: str
    kind: str  # "PRIMARY KEY" or "FOREIGN KEY"
    columns: tuple[str, ...]
    rely: bool = False
    parent_table_id: str | None = None
    parent_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Version:
    """One commit of a table: what DESCRIBE HISTORY shows, and the data and metadata it left."""

    version: int
    timestamp: dt.datetime
    user: str
    operation: str
    parameters: dict[str, str | None]
    metrics: dict[str, str]
    physical: str
    columns: tuple[Column, ...]
    comment: str | None
    properties: dict[str, str]
    read_version: int | None
    blind_append: bool


@dataclass
class Table:
    catalog: str
    schema: str
    name: str
    owner: str
    created_by: str
    table_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: dt.datetime = field(default_factory=_now)
    constraints: list[Constraint] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.name}"

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.current.columns

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)

    @property
    def primary_key(self) -> Constraint | None:
        return next((c for c in self.constraints if c.kind == "PRIMARY KEY"), None)

    def version(self, number: int) -> Version | None:
        return next((v for v in self.versions if v.version == number), None)


@dataclass
class Volume:
    catalog: str
    schema: str
    name: str
    owner: str
    comment: str | None = None
    volume_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: dt.datetime = field(default_factory=_now)

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.name}"


@dataclass
class Schema:
    catalog: str
    name: str
    owner: str
    comment: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    schema_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: dt.datetime = field(default_factory=_now)
    tables: dict[str, Table] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.name}"


@dataclass
class Catalog:
    name: str
    owner: str
    comment: str | None = None
    created_at: dt.datetime = field(default_factory=_now)
    schemas: dict[str, Schema] = field(default_factory=dict)


@dataclass(frozen=True)
class TableDescription:
    """What ``UnityCatalog.describe`` gives tests: a table's metadata, constraints and history."""

    full_name: str
    owner: str
    columns: tuple[Column, ...]
    comment: str | None
    properties: dict[str, str]
    constraints: tuple[dict[str, Any], ...]
    versions: tuple[Version, ...]


class UnityCatalog:
    """The metastore and its DuckDB storage; every method is thread-safe (one re-entrant lock)."""

    def __init__(self, user: str, user_id: str, volume_store: VolumeStore) -> None:
        self.user = user
        self.user_id = user_id
        self.volume_store = volume_store
        self.lock = threading.RLock()
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.catalogs: dict[str, Catalog] = {}
        self._tables_by_id: dict[str, Table] = {}
        self._physical_ids = itertools.count(1)
        self.create_catalog("main", if_not_exists=True)

    def close(self) -> None:
        with self.lock:
            self.con.close()

    # -- looking objects up ----------------------------------------------------------------

    def catalog(self, name: str) -> Catalog:
        with self.lock:
            found = self.catalogs.get(name.lower())
        if found is None:
            raise ObjectNotFound("catalog", name.lower())
        return found

    def schema(self, catalog: str, schema: str) -> Schema:
        found = self.catalog(catalog).schemas.get(schema.lower())
        if found is None:
            raise ObjectNotFound("schema", catalog.lower(), schema.lower())
        return found

    def table(self, catalog: str, schema: str, name: str) -> Table:
        found = self.schema(catalog, schema).tables.get(name.lower())
        if found is None:
            raise ObjectNotFound("table", catalog.lower(), schema.lower(), name.lower())
        return found

    def volume(self, catalog: str, schema: str, name: str) -> Volume:
        found = self.schema(catalog, schema).volumes.get(name.lower())
        if found is None:
            raise ObjectNotFound("volume", catalog.lower(), schema.lower(), name.lower())
        return found

    def table_by_id(self, table_id: str | None) -> Table | None:
        with self.lock:
            return self._tables_by_id.get(table_id or "")

    # -- creating and dropping objects ----------------------------------------------------

    def create_catalog(self, name: str, *, comment: str | None = None, if_not_exists: bool = False) -> Catalog:
        """A catalog with its ``default`` schema, as Unity Catalog makes one."""
        key = name.lower()
        with self.lock:
            if key in self.catalogs:
                if if_not_exists:
                    return self.catalogs[key]
                raise SqlError(
                    "CATALOG_ALREADY_EXISTS", f"Cannot create catalog {quote(key)} because it already exists.", "42P04"
                )
            catalog = Catalog(key, self.user, comment)
            catalog.schemas["default"] = Schema(key, "default", self.user, "Default schema (auto-created)")
            self.catalogs[key] = catalog
            return catalog

    def create_schema(
        self, catalog: str, name: str, *, comment: str | None = None, if_not_exists: bool = False
    ) -> Schema:
        with self.lock:
            parent = self.catalog(catalog)
            key = name.lower()
            if key in parent.schemas or key == "information_schema":
                if if_not_exists:
                    return parent.schemas.get(key) or parent.schemas["default"]
                raise SqlError(
                    "SCHEMA_ALREADY_EXISTS",
                    f"Cannot create schema {quote(key)} because it already exists.\nChoose a different name, drop "
                    "the existing schema, or add the IF NOT EXISTS clause to tolerate pre-existing schema.",
                    "42P06",
                )
            schema = Schema(parent.name, key, self.user, comment)
            parent.schemas[key] = schema
            return schema

    def create_volume(self, catalog: str, schema: str, name: str, *, comment: str | None = None) -> Volume:
        """Register a volume (creating its catalog and schema when missing) and make its folder."""
        with self.lock:
            self.create_catalog(catalog, if_not_exists=True)
            parent = self.create_schema(catalog, schema, if_not_exists=True)
            volume = parent.volumes.get(name.lower())
            if volume is None:
                volume = Volume(parent.catalog, parent.name, name.lower(), self.user, comment)
                parent.volumes[volume.name] = volume
            self.volume_store.create_volume(catalog, schema, name)
            return volume

    def drop_schema(self, schema: Schema, *, cascade: bool) -> None:
        with self.lock:
            if (schema.tables or schema.volumes) and not cascade:
                raise SqlError(
                    "SCHEMA_NOT_EMPTY",
                    f"Cannot drop a schema {quote(schema.name)} because it contains objects.\n"
                    "Use DROP SCHEMA ... CASCADE to drop the schema and all its objects.",
                    "2BP01",
                )
            for table in list(schema.tables.values()):
                self.drop_table(table)
            for volume in schema.volumes.values():  # a managed volume's files go with it
                shutil.rmtree(self.volume_store.root / volume.catalog / volume.schema / volume.name, ignore_errors=True)
            del self.catalogs[schema.catalog].schemas[schema.name]

    def new_table(self, schema: Schema, name: str, constraints: list[Constraint]) -> Table:
        """A table without versions yet: the caller commits version 0 (see ``commit``)."""
        return Table(schema.catalog, schema.name, name.lower(), self.user, self.user, constraints=constraints)

    def register(self, table: Table) -> None:
        with self.lock:
            self.schema(table.catalog, table.schema).tables[table.name] = table
            self._tables_by_id[table.table_id] = table

    def drop_table(self, table: Table) -> None:
        with self.lock:
            del self.schema(table.catalog, table.schema).tables[table.name]
            del self._tables_by_id[table.table_id]
            for physical in {v.physical for v in table.versions}:
                self.con.execute(f"DROP TABLE IF EXISTS {physical}")

    def rename_table(self, table: Table, schema: Schema, name: str) -> None:
        with self.lock:
            del self.schema(table.catalog, table.schema).tables[table.name]
            table.schema, table.name = schema.name, name.lower()
            schema.tables[table.name] = table

    # -- data: immutable DuckDB tables behind versions -------------------------------------

    def new_physical(self, columns: tuple[Column, ...], copy_from: str | None = None) -> str:
        """A new DuckDB table for ``columns`` (NOT NULL enforced by DuckDB), filled from ``copy_from``."""
        physical = f"uc_p{next(self._physical_ids)}"
        ddl = ", ".join(f'"{c.name}" {c.type.duck}{"" if c.nullable else " NOT NULL"}' for c in columns)
        with self.lock:
            self.con.execute(f"CREATE TABLE {physical} ({ddl})")
            if copy_from is not None:
                names = ", ".join(f'"{c.name}"' for c in columns if self._has_column(copy_from, c.name))
                try:
                    self.con.execute(f"INSERT INTO {physical} ({names}) SELECT {names} FROM {copy_from}")
                except duckdb.Error:
                    self.con.execute(f"DROP TABLE {physical}")
                    raise
        return physical

    def _has_column(self, physical: str, name: str) -> bool:
        rows = self.con.execute(
            "SELECT 1 FROM duckdb_columns() WHERE table_name = ? AND lower(column_name) = lower(?)", [physical, name]
        ).fetchall()
        return bool(rows)

    def discard_physical(self, physical: str) -> None:
        with self.lock:
            self.con.execute(f"DROP TABLE IF EXISTS {physical}")

    def commit(
        self,
        table: Table,
        operation: str,
        *,
        parameters: dict[str, str | None] | None = None,
        metrics: dict[str, str] | None = None,
        physical: str | None = None,
        columns: tuple[Column, ...] | None = None,
        comment: str | None | EllipsisType = ...,
        properties: dict[str, str] | None = None,
        blind_append: bool = False,
    ) -> Version:
        """Add a version; what is not given is kept from the version before."""
        with self.lock:
            before = table.versions[-1] if table.versions else None
            if before is None and (physical is None or columns is None):
                raise ValueError("the first version needs its data and columns")
            version = Version(
                version=before.version + 1 if before else 0,
                timestamp=max(_now(), before.timestamp + dt.timedelta(milliseconds=1)) if before else _now(),
                user=self.user,
                operation=operation,
                parameters=parameters or {},
                metrics=metrics or {},
                physical=physical or before.physical,  # type: ignore[union-attr]
                columns=columns if columns is not None else before.columns,  # type: ignore[union-attr]
                comment=(before.comment if before else None) if isinstance(comment, EllipsisType) else comment,
                properties=properties if properties is not None else dict(before.properties if before else {}),
                read_version=before.version if before else None,
                blind_append=blind_append,
            )
            table.versions.append(version)
            return version

    def row_count(self, physical: str) -> int:
        with self.lock:
            return int(self.con.execute(f"SELECT count(*) FROM {physical}").fetchone()[0])  # type: ignore[index]

    # -- helpers for tests ----------------------------------------------------------------

    def _split(self, full_name: str, parts: int) -> list[str]:
        names = [p.strip("`").lower() for p in full_name.split(".")]
        if len(names) != parts:
            raise ValueError(f"expected a {parts}-part name, got {full_name!r}")
        return names

    def describe(self, full_name: str) -> TableDescription:
        """Columns (name, type, nullable, comment), comment, properties, constraints and versions of a table."""
        with self.lock:
            table = self.table(*self._split(full_name, 3))
            return TableDescription(
                full_name=table.full_name,
                owner=table.owner,
                columns=table.columns,
                comment=table.current.comment,
                properties=dict(table.current.properties),
                constraints=tuple(self.constraint_info(c) for c in table.constraints),
                versions=tuple(table.versions),
            )

    def constraint_info(self, constraint: Constraint) -> dict[str, Any]:
        """A constraint with its parent table's current name: {name, kind, columns, rely[, parent_*]}."""
        info: dict[str, Any] = {
            "name": constraint.name,
            "kind": constraint.kind,
            "columns": list(constraint.columns),
            "rely": constraint.rely,
        }
        if constraint.kind == "FOREIGN KEY":
            parent = self.table_by_id(constraint.parent_table_id)
            info["parent_table"] = parent.full_name if parent else None
            info["parent_columns"] = list(constraint.parent_columns)
        return info

    def rows(self, full_name: str, version: int | None = None) -> pa.Table:
        """The rows of a table (of its current version, or of ``version``) as a pyarrow table."""
        with self.lock:
            table = self.table(*self._split(full_name, 3))
            chosen = table.current if version is None else table.version(version)
            if chosen is None:
                raise ValueError(f"{full_name} has no version {version}")
            return self.con.sql(f"SELECT * FROM {chosen.physical}").to_arrow_table()

    def tables(self, catalog: str, schema: str) -> list[str]:
        """Names of the tables of a schema, sorted."""
        with self.lock:
            return sorted(self.schema(catalog, schema).tables)

    def set_owner(self, full_name: str, owner: str) -> None:
        """Make another user own a catalog, schema or table (1, 2 or 3 parts): the stand-in's user loses its rights."""
        with self.lock:
            names = [p.strip("`").lower() for p in full_name.split(".")]
            target: Any = {1: self.catalog, 2: self.schema, 3: self.table}[len(names)](*names)
            target.owner = owner
