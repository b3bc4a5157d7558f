"""Translation of one Databricks SQL statement to DuckDB over the Unity Catalog emulation.

Why: DuckDB runs the queries, but names, files and errors must be Databricks': every table name is
resolved against the metastore (the current catalog and schema fill in missing parts; a missing
catalog, schema or table fails as Databricks fails) and replaced by the DuckDB table of the version
read (``VERSION AS OF`` / ``TIMESTAMP AS OF`` included); ``read_files('/Volumes/...', format =>
'parquet')`` and ``parquet.`/Volumes/...``` read the volume's local files (names starting with ``_``
or ``.`` are skipped, as Databricks skips them); ``information_schema`` views are built from the
metastore; DuckDB's errors come back with Databricks' error classes where one fits, and with a
``STANDIN_`` class where the stand-in, not the statement, is the limit.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from .information_schema import build_view
from .sql_types import SqlType, from_duckdb
from .unity_catalog import (
    Catalog,
    Schema,
    SqlError,
    Table,
    UnityCatalog,
    Version,
    Volume,
    insufficient_privileges,
    quote,
)

BIGINT = SqlType("bigint", "BIGINT")
STRING = SqlType("string", "VARCHAR")
_TABLE_FUNCTIONS = {"read_files", "range"}
_READ_FILES_OPTIONS = {"format", "mergeschema"}
_GLOB = re.compile(r"[*?\[{]")


@dataclass
class Session:
    """What a statement runs with: the current catalog and schema (the request's ``catalog``/``schema``)."""

    catalog: str = "main"
    schema: str = "default"


@dataclass
class ResultSet:
    """A statement's result: named, typed columns and rows of Python values."""

    columns: list[tuple[str, SqlType]] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def counts(**values: int) -> ResultSet:
    """The one-row result of a write: ``num_affected_rows`` and friends, all BIGINT."""
    return ResultSet([(name, BIGINT) for name in values], [tuple(values.values())])


def unsupported(what: str) -> SqlError:
    """The stand-in does not emulate this (valid) Databricks SQL: say so instead of pretending."""
    return SqlError("STANDIN_UNSUPPORTED_SQL", f"The Databricks stand-in does not support {what}.", "0A000")


def unresolved_column(name: str, candidates: list[str]) -> SqlError:
    suggestion = ", ".join(f"`{c}`" for c in candidates)
    return SqlError(
        "UNRESOLVED_COLUMN.WITH_SUGGESTION",
        f"A column, variable, or function parameter with name `{name}` cannot be resolved. "
        f"Did you mean one of the following? [{suggestion}].",
        "42703",
    )


def parts_of(node: exp.Table) -> list[str]:
    """The non-empty parts of a (possibly partial) name, outermost first, lower-case."""
    return [p.lower() for p in (node.catalog, node.db, node.name) if p]


class Context:
    """Everything one statement needs: name resolution, privileges, SQL generation, error mapping."""

    def __init__(self, uc: UnityCatalog, session: Session) -> None:
        self.uc = uc
        self.session = session
        self.user = uc.user
        self.read_table_ids: set[str] = set()
        self._registered: list[str] = []
        self._display: dict[str, str] = {}

    def close(self) -> None:
        for name in self._registered:
            self.uc.con.unregister(name)

    # -- names ----------------------------------------------------------------------------

    def names(self, node: exp.Table) -> tuple[str, str, str]:
        return (
            (node.catalog or self.session.catalog).lower(),
            (node.db or self.session.schema).lower(),
            node.name.lower(),
        )

    def table(self, node: exp.Table) -> Table:
        return self.uc.table(*self.names(node))

    def schema_named(self, node: exp.Table) -> Schema:
        """The schema a schema-level name (``s`` or ``c.s``) points at."""
        parts = parts_of(node)
        catalog = parts[-2] if len(parts) > 1 else self.session.catalog
        return self.uc.schema(catalog, parts[-1])

    # -- privileges ----------------------------------------------------------------------

    def require_owner(self, obj: Table | Schema | Catalog | Volume, label: str) -> None:
        if obj.owner != self.user:
            raise insufficient_privileges(f"User is not an owner of {label}")

    def require(self, obj: Table | Schema | Catalog, privilege: str, label: str) -> None:
        """A privilege the owner has; the stand-in grants nothing to anyone else."""
        if obj.owner != self.user:
            raise insufficient_privileges(f"User does not have {privilege} on {label}")

    # -- SQL ------------------------------------------------------------------------------

    def physical_table(self, physical: str, alias: str) -> exp.Table:
        """A reference to a DuckDB table that the rewrite must leave alone."""
        node = exp.Table(this=exp.to_identifier(physical), alias=exp.TableAlias(this=exp.to_identifier(alias)))
        node.meta["standin_physical"] = True
        return node

    def to_duckdb(self, expression: exp.Expression) -> str:
        """DuckDB SQL for a Databricks expression (a query, or DML whose target is already physical)."""
        tree = expression.copy()
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for node in list(tree.find_all(exp.Table)):
            self._rewrite_table(node, ctes)
        for column in tree.find_all(exp.Column):  # `c`.`s`.`t`.`col` -> `t`.`col`: tables are aliased by name
            column.set("catalog", None)
            column.set("db", None)
        return tree.sql("duckdb")

    def _rewrite_table(self, node: exp.Table, ctes: set[str]) -> None:
        if node.meta.get("standin_physical"):
            return
        if isinstance(node.this, exp.Func):
            name = node.this.name.lower() if isinstance(node.this, exp.Anonymous) else node.this.sql_name().lower()
            if name not in _TABLE_FUNCTIONS:
                raise SqlError(
                    "UNRESOLVED_ROUTINE",
                    f"Cannot resolve routine `{name}` on search path [`system`.`builtin`, `system`.`session`].",
                    "42883",
                )
            if name == "read_files":
                node.set("this", self._read_files(node.this))
            else:  # Databricks' range() names its column id, DuckDB's names it range
                call = node.this.sql("duckdb")
                query = sqlglot.parse_one(f"SELECT range AS id FROM {call}", read="duckdb")
                node.replace(
                    exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(node.alias or "range")))
                )
            return
        if node.db.lower() in ("parquet", "delta", "csv", "json") and node.name.startswith("/"):
            if node.db.lower() != "parquet":
                raise unsupported(f"path-based {node.db.lower()} reads")
            node.set("this", self._read_parquet(self._files(node.name), merge_schema=False))
            node.set("db", None)
            return
        if not node.name:
            return
        if node.db.lower() == "information_schema":
            self._information_schema(node)
            return
        if not node.db and node.name.lower() in ctes:
            return
        table = self.table(node)
        version = self.version_read(table, node.args.get("version"))
        self.read_table_ids.add(table.table_id)
        self._display[version.physical] = table.full_name
        node.set("this", exp.to_identifier(version.physical))
        node.set("db", None)
        node.set("catalog", None)
        node.set("version", None)
        if not node.alias:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))

    def version_read(self, table: Table, spec: exp.Version | None) -> Version:
        if spec is None:
            return table.current
        value = spec.expression
        if spec.name.upper() == "VERSION":
            wanted = int(value.name) if isinstance(value, exp.Literal) and not value.is_string else None
            found = table.version(wanted) if wanted is not None else None
            if found is None:
                raise SqlError(
                    "DELTA_VERSION_NOT_FOUND",
                    f"Cannot time travel Delta table to version {value.sql()}. Available versions: "
                    f"[{table.versions[0].version}, {table.current.version}].",
                    "22003",
                )
            return found
        moment = self._timestamp(value)
        candidates = [v for v in table.versions if v.timestamp <= moment]
        if not candidates:
            raise SqlError(
                "DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION",
                f"The provided timestamp ({moment}) is before the earliest version available to this table "
                f"({table.versions[0].timestamp}).",
                "42816",
            )
        return candidates[-1]

    def _timestamp(self, value: exp.Expression) -> dt.datetime:
        row = self.uc.con.execute(f"SELECT CAST({value.sql('duckdb')} AS TIMESTAMP)").fetchone()
        return row[0]  # type: ignore[index]

    def _information_schema(self, node: exp.Table) -> None:
        catalog = (node.catalog or self.session.catalog).lower()
        if catalog != "system":
            self.uc.catalog(catalog)
        view = node.name.lower()
        name = f"uc_info_{uuid.uuid4().hex[:12]}"
        self.uc.con.register(name, build_view(self.uc, catalog, view))
        self._registered.append(name)
        self._display[name] = f"{catalog}.information_schema.{view}"
        node.set("this", exp.to_identifier(name))
        node.set("db", None)
        node.set("catalog", None)
        if not node.alias:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(view)))

    # -- files ----------------------------------------------------------------------------

    def _read_files(self, call: exp.Func) -> exp.Expression:
        positional = [a for a in call.expressions if not isinstance(a, exp.Kwarg)]
        options = {a.this.name.lower(): a.expression for a in call.expressions if isinstance(a, exp.Kwarg)}
        if len(positional) != 1 or not (isinstance(positional[0], exp.Literal) and positional[0].is_string):
            raise unsupported("read_files without exactly one path given as a string literal")
        unknown = sorted(set(options) - _READ_FILES_OPTIONS)
        if unknown:
            raise unsupported(f"the read_files option(s) {', '.join(unknown)}")
        file_format = options.get("format")
        if file_format is not None and file_format.name.lower() != "parquet":
            raise unsupported(f"read_files with format {file_format.name!r} (only parquet is emulated)")
        merge = options.get("mergeschema")
        merge_schema = merge is not None and merge.name.lower() == "true"
        return self._read_parquet(self._files(positional[0].name), merge_schema=merge_schema)

    def _read_parquet(self, files: list[Path], *, merge_schema: bool) -> exp.Expression:
        listing = ", ".join(exp.Literal.string(str(f)).sql("duckdb") for f in files)
        options = ", union_by_name = TRUE" if merge_schema else ""
        query = sqlglot.parse_one(f"SELECT * FROM read_parquet([{listing}]{options})", read="duckdb")
        return query.find(exp.Table).this  # type: ignore[union-attr]

    def _files(self, path: str) -> list[Path]:
        """The data files behind a ``/Volumes/...`` path (a file, a folder read recursively, or a glob)."""
        parts = [p for p in path.split("/") if p]
        if not path.startswith("/Volumes/") or len(parts) < 4:
            raise unsupported(f"reading files outside a volume ({path!r})")
        self.uc.volume(*parts[1:4])
        local = self.uc.volume_store.local_path(path)
        if _GLOB.search(path):
            matches = [Path(m) for m in sorted(glob.glob(str(local)))]
        elif local.exists():
            matches = [local]
        else:
            raise SqlError("PATH_NOT_FOUND", f"Path does not exist: {path}.", "42K03")
        files: list[Path] = []
        for match in matches:
            if match.is_file():
                files.append(match)
                continue
            for root, dirs, names in os.walk(match):
                dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
                files.extend(Path(root) / n for n in sorted(names) if not n.startswith(("_", ".")))
        if not files:
            raise SqlError(
                "UNABLE_TO_INFER_SCHEMA", "Unable to infer schema for Parquet. It must be specified manually.", "42KD9"
            )
        return files

    # -- running --------------------------------------------------------------------------

    def describe_query(self, duck_sql: str) -> list[tuple[str, SqlType]]:
        """Names and Databricks types of the columns a DuckDB query returns, without running it."""
        cursor = self.uc.con.execute(f"SELECT * FROM ({duck_sql}) LIMIT 0")
        return [(d[0], from_duckdb(str(d[1]))) for d in cursor.description]

    def write(self, table: Table, physical: str, duck_sql: str) -> list[tuple[Any, ...]]:
        """Run a write on the new DuckDB table of ``table``'s next version; on failure, drop that table."""
        try:
            return self.uc.con.execute(duck_sql).fetchall()
        except duckdb.Error as exc:
            self.uc.discard_physical(physical)
            raise self.error(exc, table) from exc

    def run_query(self, duck_sql: str) -> ResultSet:
        cursor = self.uc.con.execute(duck_sql)
        columns = [(d[0], from_duckdb(str(d[1]))) for d in cursor.description]
        return ResultSet(columns, [tuple(r) for r in cursor.fetchall()])

    def error(self, exc: duckdb.Error, table: Table | None = None) -> SqlError:
        """Databricks' error for what DuckDB reported (``table``: the table being written)."""
        text = str(exc).split("\n\nLINE ")[0].split("\nLINE ")[0].strip()
        for physical, display in self._display.items():
            text = text.replace(physical, display)
        written = quote(*table.full_name.split(".")) if table else "the table"
        if isinstance(exc, duckdb.ConstraintException) and "NOT NULL" in text:
            column = text.rsplit(".", 1)[-1]
            return SqlError(
                "DELTA_NOT_NULL_CONSTRAINT_VIOLATED", f"NOT NULL constraint violated for column: {column}.", "23502"
            )
        if isinstance(exc, duckdb.ConversionException):
            if "out of range" in text and table is not None:
                return SqlError(
                    "CAST_OVERFLOW_IN_TABLE_INSERT",
                    f"Fail to assign a value to a column of {written} due to an overflow ({text}).",
                    "22003",
                )
            return SqlError("CAST_INVALID_INPUT", f"{text}.", "22018")
        if isinstance(exc, duckdb.BinderException):
            if m := re.search(r'Referenced column "([^"]+)" not found', text):
                candidates = (
                    re.findall(r'"([^"]+)"', text.split("Candidate bindings:", 1)[-1]) if "Candidate" in text else []
                )
                return unresolved_column(m.group(1), [c.split(".")[-1] for c in candidates])
            return SqlError("STANDIN_ANALYSIS_ERROR", text, "42000")
        if isinstance(exc, duckdb.CatalogException) and (
            m := re.search(r"Function with name (\w+) does not exist", text)
        ):
            return SqlError(
                "UNRESOLVED_ROUTINE",
                f"Cannot resolve routine `{m.group(1)}` on search path [`system`.`builtin`, `system`.`session`].",
                "42883",
            )
        if isinstance(exc, duckdb.ParserException):
            return unsupported(f"this statement once translated to DuckDB ({text})")
        return SqlError("STANDIN_EXECUTION_ERROR", text, "XX000")
