"""Execution of Databricks SQL statements against the Unity Catalog emulation: queries, writes, RESTORE.

Why: a tool that loads Parquet files into Delta tables through a SQL warehouse must be tested
against something that runs its SQL for real and keeps Delta's rules: a write is a new version
(``WRITE``, ``MERGE``, ``DELETE``, ``UPDATE``, ``TRUNCATE``, ``RESTORE`` in DESCRIBE HISTORY), NOT NULL
is enforced, INSERT checks arity and Spark's ANSI store assignment (no STRING into INT), MERGE fails
when several source rows match one target row, and results have Databricks' shapes
(``num_affected_rows``, ``num_inserted_rows``...). Statements on schemas, catalogs, volumes and
metadata are in ``sql_ddl``.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from . import sql_ddl
from .sql_parse import (
    CreateCatalog,
    CreateVolume,
    DescribeDetail,
    DescribeHistory,
    Restore,
    Show,
    Statement,
    expand_identifier_clauses,
    parse_statement,
)
from .sql_translate import Context, ResultSet, Session, counts, unresolved_column, unsupported
from .sql_types import SqlType, can_store, parse_type
from .unity_catalog import Column, SqlError, Table, UnityCatalog, quote


def bind_parameters(statement: exp.Expression, parameters: dict[str, exp.Expression]) -> None:
    """Replace ``:name`` markers by the typed literals of the request's ``parameters``."""
    for marker in list(statement.find_all(exp.Placeholder)):
        name = marker.name.lower()
        if not name or name not in parameters:
            raise SqlError(
                "UNBOUND_SQL_PARAMETER",
                f"Found the unbound parameter: {marker.name or '?'}. Please, fix `args` and provide a mapping of the "
                "parameter to either a SQL literal or collection constructor functions such as `map()`, `array()`, "
                "`struct()`.",
                "42P02",
            )
        marker.replace(parameters[name].copy())


def parameter_literal(value: str | None, type_text: str | None) -> exp.Expression:
    """A Statement Execution API parameter as a literal of its type (STRING when no type is given)."""
    sql_type = parse_type(type_text or "STRING")
    literal = exp.Null() if value is None else exp.Literal.string(value)
    if sql_type.text == "string" and value is not None:
        return literal
    return sqlglot.parse_one(f"CAST({literal.sql('databricks')} AS {sql_type.text})", read="databricks")


def _spark_name(projection: exp.Expression) -> str:
    if isinstance(projection, exp.Literal):
        return projection.name
    name = projection.sql("databricks", normalize_functions="lower").replace("count(*)", "count(1)")
    return f"({name})" if isinstance(projection, exp.Binary) else name


def _name_projections(query: exp.Expression) -> None:
    """Unaliased expressions get the column names Databricks gives them (``count(1)``, ``(a + 1)``)."""
    if not isinstance(query, exp.Select):
        return
    for projection in list(query.expressions):
        if not isinstance(projection, exp.Alias | exp.Column | exp.Star):
            projection.replace(exp.alias_(projection.copy(), _spark_name(projection), quoted=True))


def writable(ctx: Context, node: exp.Table) -> Table:
    table = ctx.table(node)
    ctx.require(table, "MODIFY", f"Table '{table.full_name}'")
    return table


def check_store_assignment(table: Table, pairs: list[tuple[Column, SqlType]]) -> None:
    for column, source in pairs:
        if not can_store(source, column.type):
            raise SqlError(
                "INCOMPATIBLE_DATA_FOR_TABLE.CANNOT_SAFELY_CAST",
                f"Cannot write incompatible data for the table {quote(*table.full_name.split('.'))}: Cannot safely "
                f'cast `{column.name}` "{source.text.upper()}" to "{column.type.text.upper()}".',
                "KD000",
            )


# -- queries and writes -------------------------------------------------------------------


def run_query(ctx: Context, query: exp.Expression) -> ResultSet:
    tree = query.copy()
    _name_projections(tree)
    return ctx.run_query(ctx.to_duckdb(tree))


def insert(ctx: Context, stmt: exp.Insert) -> ResultSet:
    for clause in ("where", "partition", "conflict", "returning"):
        if stmt.args.get(clause):
            raise unsupported(f"INSERT with {clause.upper()}")
    target = stmt.this
    listed = [i.name for i in target.expressions] if isinstance(target, exp.Schema) else None
    node = target.this if isinstance(target, exp.Schema) else target
    table = writable(ctx, node)
    source_sql = ctx.to_duckdb(stmt.expression)
    source = ctx.describe_query(source_sql)
    if stmt.args.get("by_name"):
        listed = [name for name, _ in source]
    columns = list(table.columns)
    if listed is not None:
        unknown = [n for n in listed if table.column(n) is None]
        if unknown:
            raise unresolved_column(unknown[0], [c.name for c in columns])
        columns = [table.column(n) for n in listed]  # type: ignore[misc]
    if len(source) != len(columns):
        reason = "not enough data columns" if len(source) < len(columns) else "too many data columns"
        raise SqlError(
            f"INSERT_COLUMN_ARITY_MISMATCH.{reason.upper().replace(' ', '_')}",
            f"Cannot write to {quote(*table.full_name.split('.'))}, the reason is {reason}:\n"
            f"Table columns: {', '.join(f'`{c.name}`' for c in columns)}.\n"
            f"Data columns: {', '.join(f'`{n}`' for n, _ in source)}.",
            "21S01",
        )
    check_store_assignment(table, [(c, t) for c, (_, t) in zip(columns, source, strict=True)])
    overwrite = bool(stmt.args.get("overwrite"))
    physical = ctx.uc.new_physical(table.columns, copy_from=None if overwrite else table.current.physical)
    names = ", ".join(f'"{c.name}"' for c in columns)
    inserted = int(ctx.write(table, physical, f"INSERT INTO {physical} ({names}) {source_sql}")[0][0])
    ctx.uc.commit(
        table,
        "WRITE",
        parameters={"mode": "Overwrite" if overwrite else "Append", "statsOnLoad": "false", "partitionBy": "[]"},
        metrics={"numFiles": "1", "numOutputRows": str(inserted)},
        physical=physical,
        blind_append=not overwrite and table.table_id not in ctx.read_table_ids,
    )
    return counts(num_affected_rows=inserted, num_inserted_rows=inserted)


def _source_columns(ctx: Context, source: exp.Expression) -> list[str]:
    return [name for name, _ in ctx.describe_query(ctx.to_duckdb(exp.select("*").from_(source.copy())))]


def _expand_merge_stars(ctx: Context, merge: exp.Merge, table: Table, source_alias: str) -> None:
    """``UPDATE SET *`` and ``INSERT *`` match columns by name in Databricks (DuckDB would go by position)."""
    source_columns = {n.lower(): n for n in _source_columns(ctx, merge.args["using"])}
    missing = [c.name for c in table.columns if c.name.lower() not in source_columns]
    for when in merge.args["whens"].expressions:
        action = when.args.get("then")
        is_update_star = isinstance(action, exp.Update) and any(isinstance(e, exp.Star) for e in action.expressions)
        is_insert_star = isinstance(action, exp.Insert) and isinstance(action.this, exp.Star)
        if not (is_update_star or is_insert_star):
            continue
        if missing:
            raise SqlError(
                "DELTA_MERGE_UNRESOLVED_EXPRESSION",
                f"Cannot resolve {missing[0]} in {'UPDATE' if is_update_star else 'INSERT'} clause given columns "
                f"{', '.join(source_columns.values())}.",
                "42601",
            )
        values = [exp.column(source_columns[c.name.lower()], table=source_alias) for c in table.columns]
        if is_update_star:
            action.set(
                "expressions",
                [exp.EQ(this=exp.column(c.name), expression=v) for c, v in zip(table.columns, values, strict=True)],
            )
        else:
            action.set("this", exp.Tuple(expressions=[exp.column(c.name) for c in table.columns]))
            action.set("expression", exp.Tuple(expressions=values))


def _check_single_match(ctx: Context, merge: exp.Merge, target: exp.Table) -> None:
    """Databricks refuses a MERGE where several source rows match one target row that is changed."""
    changes_matched = any(
        when.args.get("matched") and not when.args.get("source") for when in merge.args["whens"].expressions
    )
    if not changes_matched:
        return
    alias = target.alias
    probe = (
        exp.select("1")
        .from_(target.copy())
        .join(merge.args["using"].copy(), on=merge.args["on"].copy())
        .group_by(exp.column("rowid", table=alias))
        .having("count(*) > 1")
        .limit(1)
    )
    if ctx.uc.con.execute(ctx.to_duckdb(probe)).fetchall():
        raise SqlError(
            "DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE",
            "Cannot perform Merge as multiple source rows matched and attempted to modify the same target row in "
            "the Delta table in possibly conflicting ways.",
            "21506",
        )


def merge(ctx: Context, stmt: exp.Merge) -> ResultSet:
    node = stmt.this
    table = writable(ctx, node)
    tree = stmt.copy()
    using = tree.args["using"]
    source_alias = using.alias_or_name
    physical = ctx.uc.new_physical(table.columns, copy_from=table.current.physical)
    target = ctx.physical_table(physical, node.alias or table.name)
    tree.set("this", target)
    try:
        _expand_merge_stars(ctx, tree, table, source_alias)
        _check_single_match(ctx, tree, target)
    except (SqlError, duckdb.Error):
        ctx.uc.discard_physical(physical)
        raise
    actions = collections.Counter(
        row[0] for row in ctx.write(table, physical, ctx.to_duckdb(tree) + " RETURNING merge_action")
    )
    inserted, updated, deleted = actions["INSERT"], actions["UPDATE"], actions["DELETE"]
    ctx.uc.commit(
        table,
        "MERGE",
        parameters={"predicate": json.dumps([stmt.args["on"].sql("databricks")])},
        metrics={
            "numTargetRowsInserted": str(inserted),
            "numTargetRowsUpdated": str(updated),
            "numTargetRowsDeleted": str(deleted),
            "numOutputRows": str(inserted + updated),
        },
        physical=physical,
    )
    return counts(
        num_affected_rows=inserted + updated + deleted,
        num_updated_rows=updated,
        num_deleted_rows=deleted,
        num_inserted_rows=inserted,
    )


def _rewrite_in_place(ctx: Context, stmt: exp.Expression, operation: str, metric: str) -> ResultSet:
    """UPDATE and DELETE: run on a copy of the current data that becomes the next version."""
    node = stmt.this
    table = writable(ctx, node)
    tree = stmt.copy()
    physical = ctx.uc.new_physical(table.columns, copy_from=table.current.physical)
    tree.set("this", ctx.physical_table(physical, node.alias or table.name))
    changed = int(ctx.write(table, physical, ctx.to_duckdb(tree))[0][0])
    where = stmt.args.get("where")
    ctx.uc.commit(
        table,
        operation,
        parameters={"predicate": json.dumps([where.this.sql("databricks")] if where else [])},
        metrics={metric: str(changed)},
        physical=physical,
    )
    return counts(num_affected_rows=changed)


def update(ctx: Context, stmt: exp.Update) -> ResultSet:
    return _rewrite_in_place(ctx, stmt, "UPDATE", "numUpdatedRows")


def delete(ctx: Context, stmt: exp.Delete) -> ResultSet:
    return _rewrite_in_place(ctx, stmt, "DELETE", "numDeletedRows")


def truncate(ctx: Context, stmt: exp.TruncateTable) -> ResultSet:
    for node in stmt.expressions:
        table = writable(ctx, node)
        removed = ctx.uc.row_count(table.current.physical)
        ctx.uc.commit(
            table,
            "TRUNCATE",
            metrics={"numRemovedFiles": "1" if removed else "0"},
            physical=ctx.uc.new_physical(table.columns),
        )
    return ResultSet()


def restore(ctx: Context, stmt: Restore) -> ResultSet:
    table = ctx.table(stmt.table)
    ctx.require_owner(table, f"Table '{table.full_name}'")
    if stmt.version is not None:
        chosen = table.version(stmt.version)
        if chosen is None:
            raise SqlError(
                "DELTA_CANNOT_RESTORE_TABLE_VERSION",
                f"Cannot restore table to version {stmt.version}. Available versions: "
                f"[{table.versions[0].version}, {table.current.version}].",
                "22003",
            )
    else:
        chosen = ctx.version_read(
            table, exp.Version(this="TIMESTAMP", kind="AS OF", expression=exp.Literal.string(stmt.timestamp))
        )
    before = table.current
    size = ctx.uc.con.sql(f"SELECT * FROM {chosen.physical}").to_arrow_table().nbytes
    changed = int(before.physical != chosen.physical)
    ctx.uc.commit(
        table,
        "RESTORE",
        parameters={"version": str(chosen.version), "timestamp": None},
        metrics={"numRestoredFiles": str(changed), "numRemovedFiles": str(changed)},
        physical=chosen.physical,
        columns=chosen.columns,
        comment=chosen.comment,
        properties=dict(chosen.properties),
    )
    return counts(
        table_size_after_restore=size,
        num_of_files_after_restore=1,
        num_removed_files=changed,
        num_restored_files=changed,
        removed_files_size=changed * ctx.uc.con.sql(f"SELECT * FROM {before.physical}").to_arrow_table().nbytes,
        restored_files_size=changed * size,
    )


_HANDLERS: list[tuple[type, Callable[[Context, Any], ResultSet]]] = [
    (exp.Insert, insert),
    (exp.Merge, merge),
    (exp.Update, update),
    (exp.Delete, delete),
    (exp.TruncateTable, truncate),
    (exp.Query, run_query),
    (Restore, restore),
    (exp.Create, sql_ddl.create),
    (exp.Drop, sql_ddl.drop),
    (exp.Alter, sql_ddl.alter),
    (exp.Comment, sql_ddl.comment),
    (exp.Describe, sql_ddl.describe),
    (DescribeHistory, sql_ddl.describe_history),
    (DescribeDetail, sql_ddl.describe_detail),
    (exp.Use, sql_ddl.use),
    (Show, sql_ddl.show),
    (CreateCatalog, sql_ddl.create_catalog),
    (CreateVolume, sql_ddl.create_volume),
]


class SqlEngine:
    """Parses and runs one statement at a time (the metastore's lock serialises them)."""

    def __init__(self, uc: UnityCatalog) -> None:
        self.uc = uc

    def execute(self, sql: str, session: Session, parameters: dict[str, exp.Expression] | None = None) -> ResultSet:
        statement: Statement = parse_statement(expand_identifier_clauses(sql, parameters or {}))
        if isinstance(statement, exp.Expression):
            bind_parameters(statement, parameters or {})
        handler = next((h for kind, h in _HANDLERS if isinstance(statement, kind)), None)
        if handler is None:
            raise unsupported(f"{type(statement).__name__.upper()} statements")
        with self.uc.lock:
            self.uc.schema(session.catalog, session.schema)  # the request's catalog and schema act as USE
            ctx = Context(self.uc, session)
            try:
                return handler(ctx, statement)
            except duckdb.Error as exc:
                raise ctx.error(exc) from exc
            finally:
                ctx.close()
