"""DDL and metadata statements of the stand-in's SQL: catalogs, schemas, volumes, tables, constraints, comments.

Why: the statements that shape Unity Catalog objects must keep what Databricks keeps and refuse what
it refuses: ``USING DELTA`` (other providers fail), column types, NOT NULL and comments, table comment
and TBLPROPERTIES; PRIMARY KEY columns must be NOT NULL and a FOREIGN KEY must name its parent's
primary key with the same column types (informational constraints, never enforced on data); only the
owner may alter, comment, drop or replace a table, and CREATE needs the parent's owner (the stand-in
grants no privileges to anybody else, see ``UnityCatalog.set_owner``). Metadata-only changes are new
versions as in Delta (``CHANGE COLUMN``, ``SET TBLPROPERTIES``, ``ADD COLUMNS``); constraints and
renames live in Unity Catalog only and add no version. Error classes the stand-in could not check
against Databricks are marked in the messages' wording only, not by a ``STANDIN_`` prefix.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from types import EllipsisType

from sqlglot import exp

from .sql_parse import CreateCatalog, CreateVolume, DescribeDetail, DescribeHistory, Show, syntax_error
from .sql_translate import BIGINT, STRING, Context, ResultSet, counts, parts_of, unresolved_column, unsupported
from .sql_types import MAX_DECIMAL_PRECISION, SqlType, from_sqlglot, parse_type
from .unity_catalog import Column, Constraint, ObjectNotFound, SqlError, Table, quote

ENGINE_INFO = "Databricks-Runtime/15.4.x-photon-scala2.12"
_NAME = re.compile(r"[^.\s/\x00-\x1f]{1,255}")
_OTHER_PROVIDERS = {"parquet", "csv", "json", "orc", "avro", "text", "binaryfile", "jdbc", "iceberg"}
_BOOLEAN = SqlType("boolean", "BOOLEAN")
_INT = SqlType("int", "INTEGER")
_TIMESTAMP = SqlType("timestamp", "TIMESTAMPTZ")
_STRING_MAP = parse_type("map<string,string>")
_STRING_ARRAY = parse_type("array<string>")


def _label(table: Table) -> str:
    return f"Table '{table.full_name}'"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.timezone.utc)


def validate_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise SqlError(
            "INVALID_SCHEMA_OR_RELATION_NAME",
            f"`{name}` is not a valid name for tables/schemas. Valid names only contain alphabet characters, "
            "numbers and _.",
            "42602",
        )


def _properties(stmt: exp.Expression) -> Iterator[exp.Expression]:
    props = stmt.args.get("properties")
    yield from props.expressions if props else ()


def _property_pair(prop: exp.Property) -> tuple[str, str]:
    key = prop.this.name if isinstance(prop.this, exp.Literal) else prop.this.sql("databricks")
    value = prop.args["value"]
    if isinstance(value, exp.Boolean):
        return key, "true" if value.this else "false"
    return key, value.name if isinstance(value, exp.Literal) else value.sql("databricks")


# -- CREATE -------------------------------------------------------------------------------


def create(ctx: Context, stmt: exp.Create) -> ResultSet:
    kind = str(stmt.args.get("kind") or "").upper()
    if kind in ("SCHEMA", "DATABASE"):
        return _create_schema(ctx, stmt)
    if kind == "TABLE":
        return _create_table(ctx, stmt)
    raise unsupported(f"CREATE {kind}")


def _create_schema(ctx: Context, stmt: exp.Create) -> ResultSet:
    parts = parts_of(stmt.this)
    catalog = ctx.uc.catalog(parts[-2] if len(parts) > 1 else ctx.session.catalog)
    comment = None
    for prop in _properties(stmt):
        if not isinstance(prop, exp.SchemaCommentProperty):
            raise unsupported(f"CREATE SCHEMA with {prop.sql('databricks')}")
        comment = prop.this.name
    validate_name(parts[-1])
    if parts[-1] in catalog.schemas and stmt.args.get("exists"):
        return ResultSet()
    ctx.require(catalog, "CREATE SCHEMA", f"Catalog '{catalog.name}'")
    ctx.uc.create_schema(catalog.name, parts[-1], comment=comment)
    return ResultSet()


def _table_properties(stmt: exp.Create) -> tuple[str | None, dict[str, str], dict[str, str | None]]:
    """(table comment, TBLPROPERTIES, extra history parameters) of a CREATE TABLE; USING must be Delta."""
    comment: str | None = None
    properties: dict[str, str] = {}
    extra: dict[str, str | None] = {}
    for prop in _properties(stmt):
        if isinstance(prop, exp.FileFormatProperty):
            provider = prop.this.name.lower()
            if provider in _OTHER_PROVIDERS:
                raise unsupported(f"USING {provider.upper()} (managed Unity Catalog tables here are Delta)")
            if provider != "delta":
                raise SqlError(
                    "DATA_SOURCE_NOT_FOUND",
                    f"Failed to find the data source: {prop.this.name}. Make sure the provider name is correct and "
                    "the package is properly registered and compatible with your Spark version.",
                    "42K02",
                )
        elif isinstance(prop, exp.SchemaCommentProperty):
            comment = prop.this.name
        elif isinstance(prop, exp.Property):
            key, value = _property_pair(prop)
            properties[key] = value
        elif isinstance(prop, exp.PartitionedByProperty):
            extra["partitionBy"] = json.dumps([e.name for e in prop.this.expressions])
        elif isinstance(prop, exp.ClusterProperty):
            extra["clusterBy"] = json.dumps([e.name for e in prop.expressions])
        else:
            raise unsupported(f"CREATE TABLE with {prop.sql('databricks')}")
    return comment, properties, extra


def _column(definition: exp.ColumnDef, pending: list[tuple[str | None, exp.Expression]]) -> Column:
    kind = definition.args.get("kind")
    if kind is None:
        raise syntax_error(definition.name)
    try:
        sql_type = from_sqlglot(kind)
    except ValueError as exc:
        raise SqlError(
            "DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION",
            f"{kind.sql('databricks')}: decimal precision must be 1 to {MAX_DECIMAL_PRECISION}, the scale at most "
            "the precision.",
            "22003",
        ) from exc
    nullable, comment = True, None
    for constraint in definition.constraints:
        spec = constraint.kind
        if isinstance(spec, exp.NotNullColumnConstraint):
            nullable = bool(spec.args.get("allow_null"))
        elif isinstance(spec, exp.CommentColumnConstraint):
            comment = spec.this.name
        elif isinstance(spec, exp.PrimaryKeyColumnConstraint):
            pending.append((None, exp.PrimaryKey(expressions=[exp.to_identifier(definition.name)])))
        else:
            raise unsupported(f"the column constraint {spec.sql('databricks')}")
    return Column(definition.name, sql_type, nullable, comment)


def _check_unique(columns: list[Column]) -> None:
    seen: set[str] = set()
    for column in columns:
        if column.name.lower() in seen:
            raise SqlError(
                "COLUMN_ALREADY_EXISTS",
                f"The column `{column.name.lower()}` already exists. Choose another name or rename the existing "
                "column.",
                "42711",
            )
        seen.add(column.name.lower())


def _definitions(
    expressions: list[exp.Expression],
) -> tuple[tuple[Column, ...], list[tuple[str | None, exp.Expression]]]:
    """Columns and (name, PRIMARY KEY | FOREIGN KEY) constraints of a CREATE TABLE column list."""
    columns: list[Column] = []
    pending: list[tuple[str | None, exp.Expression]] = []
    for item in expressions:
        if isinstance(item, exp.ColumnDef):
            columns.append(_column(item, pending))
        elif isinstance(item, exp.Constraint):
            pending.extend((item.name, spec) for spec in item.expressions)
        elif isinstance(item, exp.PrimaryKey | exp.ForeignKey):
            pending.append((None, item))
        else:
            raise unsupported(f"{item.sql('databricks')} in a column list")
    _check_unique(columns)
    return tuple(columns), pending


def _has_option(node: exp.Expression | None, word: str) -> bool:
    return node is not None and any(str(o).upper() == word for o in node.args.get("options") or [])


def _resolve_columns(table: Table, columns: tuple[Column, ...], names: list[str]) -> list[Column]:
    resolved = []
    for name in names:
        column = next((c for c in columns if c.name.lower() == name.lower()), None)
        if column is None:
            raise unresolved_column(name, [c.name for c in columns])
        resolved.append(column)
    return resolved


def build_constraint(
    ctx: Context,
    table: Table,
    columns: tuple[Column, ...],
    name: str | None,
    spec: exp.Expression,
    existing: list[Constraint],
) -> Constraint:
    """A PRIMARY KEY or FOREIGN KEY checked as Unity Catalog checks it."""
    if not isinstance(spec, exp.PrimaryKey | exp.ForeignKey):
        raise unsupported(f"the constraint {spec.sql('databricks')} (only informational PRIMARY/FOREIGN KEY)")
    children = _resolve_columns(table, columns, [i.name for i in spec.expressions])
    child_names = tuple(c.name for c in children)
    if isinstance(spec, exp.PrimaryKey):
        constraint = Constraint(name or f"{table.name}_pk", "PRIMARY KEY", child_names, _has_option(spec, "RELY"))
        nullable = [c.name for c in children if c.nullable]
        if nullable:
            raise SqlError(
                "PRIMARY_KEY_COLUMN_NULLABLE",
                f"Cannot create the primary key `{constraint.name}` because its child column(s) "
                f"{', '.join(f'`{n}`' for n in nullable)} is nullable. Please change the column nullability and retry.",
                "42831",
            )
        current = next((c for c in existing if c.kind == "PRIMARY KEY"), None)
        if current is not None:
            raise SqlError(
                "MULTIPLE_PRIMARY_KEYS",
                f"Table {quote(*table.full_name.split('.'))} already has the primary key `{current.name}`.",
                "42P16",
            )
    else:
        reference = spec.args["reference"]
        parent_node, parent_names = reference.this, []
        if isinstance(parent_node, exp.Schema):
            parent_names = [i.name.lower() for i in parent_node.expressions]
            parent_node = parent_node.this
        parent = ctx.table(parent_node)
        pk = parent.primary_key
        if pk is None or (parent_names and parent_names != [c.lower() for c in pk.columns]):
            raise SqlError(
                "FOREIGN_KEY_NOT_REFERENCING_PRIMARY_KEY",
                f"Foreign key must reference the primary key of {quote(*parent.full_name.split('.'))}"
                + (f" ({', '.join(f'`{c}`' for c in pk.columns)})." if pk else ", which has none."),
                "42830",
            )
        parents = _resolve_columns(parent, parent.columns, list(pk.columns))
        if len(parents) != len(children) or any(
            p.type.text != c.type.text for p, c in zip(parents, children, strict=False)
        ):
            raise SqlError(
                "FOREIGN_KEY_COLUMN_MISMATCH",
                f"The foreign key columns ({', '.join(f'`{c.name}` {c.type.text}' for c in children)}) must match "
                f"the parent's primary key columns ({', '.join(f'`{p.name}` {p.type.text}' for p in parents)}).",
                "42830",
            )
        constraint = Constraint(
            name or f"{table.name}_{parent.name}_fk",
            "FOREIGN KEY",
            child_names,
            _has_option(reference, "RELY"),
            parent.table_id,
            pk.columns,
        )
    if any(c.name.lower() == constraint.name.lower() for c in existing):
        raise SqlError(
            "CONSTRAINT_ALREADY_EXISTS",
            f"Constraint '{constraint.name}' already exists in table {quote(*table.full_name.split('.'))}. "
            "Please delete the existing constraint first.",
            "42710",
        )
    return constraint


def _create_table(ctx: Context, stmt: exp.Create) -> ResultSet:
    target = stmt.this
    node = target.this if isinstance(target, exp.Schema) else target
    catalog, schema_name, name = ctx.names(node)
    schema = ctx.uc.schema(catalog, schema_name)
    validate_name(name)
    replace = bool(stmt.args.get("replace"))
    existing = schema.tables.get(name)
    if existing is not None and stmt.args.get("exists"):
        return ResultSet()
    if existing is not None and not replace:
        raise SqlError(
            "TABLE_OR_VIEW_ALREADY_EXISTS",
            f"Cannot create table or view {quote(catalog, schema_name, name)} because it already exists.\n"
            "Choose a different name, drop or replace the existing object, add the IF NOT EXISTS clause to tolerate "
            "pre-existing objects, or add the OR REFRESH clause to refresh the existing streaming table.",
            "42P07",
        )
    if existing is not None:
        ctx.require_owner(existing, _label(existing))
    else:
        ctx.require(schema, "CREATE TABLE", f"Schema '{schema.full_name}'")
    comment, properties, extra = _table_properties(stmt)
    query = stmt.expression
    source_sql = None
    if isinstance(target, exp.Schema):
        if query is not None:
            raise unsupported("CREATE TABLE with both a column list and AS SELECT")
        columns, pending = _definitions(target.expressions)
    elif query is not None:
        source_sql = ctx.to_duckdb(query)
        columns = tuple(Column(n, t) for n, t in ctx.describe_query(source_sql))
        pending = []
    else:
        raise unsupported("CREATE TABLE without a column list or AS SELECT")
    table = existing or ctx.uc.new_table(schema, name, [])
    constraints: list[Constraint] = []
    for constraint_name, spec in sorted(pending, key=lambda p: isinstance(p[1], exp.ForeignKey)):
        constraints.append(build_constraint(ctx, table, columns, constraint_name, spec, constraints))
    physical = ctx.uc.new_physical(columns)
    inserted = 0
    if source_sql is not None:
        names = ", ".join(f'"{c.name}"' for c in columns)
        inserted = int(ctx.write(table, physical, f"INSERT INTO {physical} ({names}) {source_sql}")[0][0])
    operation = ("CREATE OR REPLACE TABLE" if replace else "CREATE TABLE") + (" AS SELECT" if query else "")
    ctx.uc.commit(
        table,
        operation,
        parameters={
            "isManaged": "true",
            "description": comment,
            "partitionBy": "[]",
            "properties": json.dumps(properties),
            **extra,
        },
        metrics={"numFiles": "1", "numOutputRows": str(inserted)} if query else {},
        physical=physical,
        columns=columns,
        comment=comment,
        properties=properties,
    )
    table.constraints = constraints
    if existing is None:
        ctx.uc.register(table)
    return counts(num_affected_rows=inserted, num_inserted_rows=inserted) if query else ResultSet()


def create_catalog(ctx: Context, stmt: CreateCatalog) -> ResultSet:
    validate_name(stmt.name)
    ctx.uc.create_catalog(stmt.name, comment=stmt.comment, if_not_exists=stmt.if_not_exists)
    return ResultSet()


def create_volume(ctx: Context, stmt: CreateVolume) -> ResultSet:
    catalog, schema_name, name = ctx.names(stmt.table)
    schema = ctx.uc.schema(catalog, schema_name)
    validate_name(name)
    if name in schema.volumes:
        if stmt.if_not_exists:
            return ResultSet()
        raise SqlError(
            "VOLUME_ALREADY_EXISTS",
            f"Cannot create volume {quote(catalog, schema_name, name)} because it already exists.",
            "42000",
        )
    ctx.require(schema, "CREATE VOLUME", f"Schema '{schema.full_name}'")
    ctx.uc.create_volume(catalog, schema_name, name, comment=stmt.comment)
    return ResultSet()


# -- DROP -----------------------------------------------------------------------------------


def drop(ctx: Context, stmt: exp.Drop) -> ResultSet:
    kind = str(stmt.args.get("kind") or "").upper()
    if kind not in ("TABLE", "SCHEMA", "DATABASE"):
        raise unsupported(f"DROP {kind}")
    for node in stmt.args.get("tables") or [stmt.this]:
        try:
            target = ctx.table(node) if kind == "TABLE" else ctx.schema_named(node)
        except ObjectNotFound:
            if stmt.args.get("exists"):
                continue
            raise
        if isinstance(target, Table):
            ctx.require_owner(target, _label(target))
            ctx.uc.drop_table(target)
        else:
            ctx.require_owner(target, f"Schema '{target.full_name}'")
            ctx.uc.drop_schema(target, cascade=bool(stmt.args.get("cascade")))
    return ResultSet()


# -- ALTER TABLE and COMMENT ON -------------------------------------------------------------


def _change_column(
    ctx: Context, table: Table, name: str, *, comment: str | None | EllipsisType = ..., nullable: bool | None = None
) -> None:
    """A new version with one column changed (its comment or its nullability): Delta's CHANGE COLUMN."""
    column = table.column(name)
    if column is None:
        raise unresolved_column(name, [c.name for c in table.columns])
    changed = Column(
        column.name,
        column.type,
        column.nullable if nullable is None else nullable,
        column.comment if isinstance(comment, EllipsisType) else comment,
    )
    columns = tuple(changed if c is column else c for c in table.columns)
    physical = None
    if changed.nullable != column.nullable:  # the DuckDB table must enforce the new rule (and may refuse it)
        physical = ctx.uc.new_physical(columns, copy_from=table.current.physical)
    ctx.uc.commit(
        table,
        "CHANGE COLUMN",
        parameters={"column": json.dumps(changed.spark_field())},
        physical=physical,
        columns=columns,
    )


def _rename(ctx: Context, table: Table, action: exp.AlterRename) -> None:
    new = action.this
    catalog = (new.catalog or table.catalog).lower()
    if catalog != table.catalog:
        raise SqlError(
            "UC_INVALID_RENAME_ACROSS_CATALOGS", "A table can only be renamed within its own catalog.", "42000"
        )
    schema = ctx.uc.schema(catalog, new.db or table.schema)
    validate_name(new.name.lower())
    if new.name.lower() in schema.tables:
        raise SqlError(
            "TABLE_OR_VIEW_ALREADY_EXISTS",
            f"Cannot rename {quote(*table.full_name.split('.'))} to {quote(catalog, schema.name, new.name.lower())} "
            "because the destination table already exists.",
            "42P07",
        )
    if schema.name != table.schema:
        ctx.require(schema, "CREATE TABLE", f"Schema '{schema.full_name}'")
    ctx.uc.rename_table(table, schema, new.name)


def _add_columns(ctx: Context, table: Table, definitions: list[exp.ColumnDef]) -> None:
    pending: list[tuple[str | None, exp.Expression]] = []
    added = [_column(d, pending) for d in definitions]
    if pending or any(not c.nullable for c in added):
        raise unsupported("ADD COLUMNS with NOT NULL or key constraints")
    columns = (*table.columns, *added)
    _check_unique(list(columns))
    physical = ctx.uc.new_physical(columns, copy_from=table.current.physical)
    ctx.uc.commit(
        table,
        "ADD COLUMNS",
        parameters={"columns": json.dumps([c.spark_field() for c in added])},
        physical=physical,
        columns=columns,
    )


def _drop_constraints(table: Table, action: exp.Drop) -> None:
    for node in action.args.get("tables") or []:
        found = next((c for c in table.constraints if c.name.lower() == node.name.lower()), None)
        if found is None:
            if action.args.get("exists"):
                continue
            raise SqlError(
                "DELTA_CONSTRAINT_DOES_NOT_EXIST",
                f"Cannot drop nonexistent constraint {node.name} from table {table.full_name}. To avoid throwing an "
                "error, provide the parameter IF EXISTS.",
                "42704",
            )
        table.constraints.remove(found)


def alter(ctx: Context, stmt: exp.Alter) -> ResultSet:
    if str(stmt.args.get("kind") or "").upper() != "TABLE":
        raise unsupported(f"ALTER {stmt.args.get('kind')}")
    try:
        table = ctx.table(stmt.this)
    except ObjectNotFound:
        if stmt.args.get("exists"):
            return ResultSet()
        raise
    ctx.require_owner(table, _label(table))
    for action in stmt.args.get("actions") or []:
        if isinstance(action, exp.AddConstraint):
            for item in action.expressions:
                specs = (
                    [(item.name, s) for s in item.expressions] if isinstance(item, exp.Constraint) else [(None, item)]
                )
                for name, spec in specs:
                    table.constraints.append(build_constraint(ctx, table, table.columns, name, spec, table.constraints))
        elif isinstance(action, exp.AlterRename):
            _rename(ctx, table, action)
        elif isinstance(action, exp.AlterColumn):
            if action.args.get("dtype") or action.args.get("default"):
                raise unsupported("ALTER COLUMN ... TYPE / SET DEFAULT")
            if action.args.get("comment") is not None:
                _change_column(ctx, table, action.name, comment=action.args["comment"].name)
            elif action.args.get("allow_null") is not None:
                _change_column(ctx, table, action.name, nullable=bool(action.args["allow_null"]))
            else:
                raise unsupported(f"ALTER COLUMN {action.sql('databricks')}")
        elif isinstance(action, exp.AlterSet) and all(isinstance(e, exp.Properties) for e in action.expressions):
            pairs = dict(_property_pair(p) for e in action.expressions for p in e.expressions)
            ctx.uc.commit(
                table,
                "SET TBLPROPERTIES",
                parameters={"properties": json.dumps(pairs)},
                properties={**table.current.properties, **pairs},
            )
        elif isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == "CONSTRAINT":
            _drop_constraints(table, action)
        elif isinstance(action, exp.ColumnDef | exp.Schema):
            _add_columns(ctx, table, [action] if isinstance(action, exp.ColumnDef) else list(action.expressions))
        else:
            raise unsupported(f"ALTER TABLE ... {action.sql('databricks')}")
    return ResultSet()


def comment(ctx: Context, stmt: exp.Comment) -> ResultSet:
    kind = str(stmt.args.get("kind") or "").upper()
    value_node = stmt.args["expression"]
    value = None if isinstance(value_node, exp.Null) else value_node.name
    if kind == "TABLE":
        table = ctx.table(stmt.this)
        ctx.require_owner(table, _label(table))
        ctx.uc.commit(
            table, "SET TBLPROPERTIES", parameters={"properties": json.dumps({"comment": value})}, comment=value
        )
    elif kind == "COLUMN":
        column = stmt.this
        if not column.table:
            raise syntax_error(column.sql("databricks"), note=" COMMENT ON COLUMN needs table.column.")
        node = exp.Table(
            this=exp.to_identifier(column.table), db=column.args.get("db"), catalog=column.args.get("catalog")
        )
        table = ctx.table(node)
        ctx.require_owner(table, _label(table))
        _change_column(ctx, table, column.name, comment=value)
    elif kind in ("SCHEMA", "DATABASE"):
        schema = ctx.schema_named(stmt.this)
        ctx.require_owner(schema, f"Schema '{schema.full_name}'")
        schema.comment = value
    else:
        raise unsupported(f"COMMENT ON {kind}")
    return ResultSet()


# -- reading metadata ---------------------------------------------------------------------


_HISTORY_COLUMNS = [
    ("version", BIGINT),
    ("timestamp", _TIMESTAMP),
    ("userId", STRING),
    ("userName", STRING),
    ("operation", STRING),
    ("operationParameters", _STRING_MAP),
    ("job", parse_type("struct<jobId:string,jobName:string,runId:string,jobOwnerId:string,triggerType:string>")),
    ("notebook", parse_type("struct<notebookId:string>")),
    ("clusterId", STRING),
    ("readVersion", BIGINT),
    ("isolationLevel", STRING),
    ("isBlindAppend", _BOOLEAN),
    ("operationMetrics", _STRING_MAP),
    ("userMetadata", STRING),
    ("engineInfo", STRING),
]


def _history(ctx: Context, table: Table, limit: int | None) -> ResultSet:
    versions = list(reversed(table.versions))[:limit]
    rows = [
        (
            v.version,
            _utc(v.timestamp),
            ctx.uc.user_id,
            v.user,
            v.operation,
            v.parameters,
            None,
            None,
            None,
            v.read_version,
            "WriteSerializable",
            v.blind_append,
            v.metrics,
            None,
            ENGINE_INFO,
        )
        for v in versions
    ]
    return ResultSet(list(_HISTORY_COLUMNS), rows)


def describe_history(ctx: Context, stmt: DescribeHistory) -> ResultSet:
    return _history(ctx, ctx.table(stmt.table), stmt.limit)


def _constraint_text(ctx: Context, constraint: Constraint) -> str:
    columns = ", ".join(f"`{c}`" for c in constraint.columns)
    if constraint.kind == "PRIMARY KEY":
        return f"PRIMARY KEY ({columns})" + (" RELY" if constraint.rely else "")
    parent = ctx.uc.table_by_id(constraint.parent_table_id)
    parent_name = quote(*parent.full_name.split(".")) if parent else "<dropped table>"
    return (
        f"FOREIGN KEY ({columns}) REFERENCES {parent_name} ({', '.join(f'`{c}`' for c in constraint.parent_columns)})"
    )


def describe(ctx: Context, stmt: exp.Describe) -> ResultSet:
    if not isinstance(stmt.this, exp.Table):
        raise unsupported("DESCRIBE of a query")
    style = str(stmt.args.get("style") or "").upper()
    table = ctx.table(stmt.this)
    if style == "HISTORY":
        return _history(ctx, table, None)
    rows: list[tuple[object, ...]] = [(c.name, c.type.text, c.comment) for c in table.columns]
    if style in ("EXTENDED", "FORMATTED"):
        properties = ",".join(f"{k}={v}" for k, v in sorted(table.current.properties.items()))
        rows += [
            ("", "", ""),
            ("# Detailed Table Information", "", ""),
            ("Catalog", table.catalog, ""),
            ("Database", table.schema, ""),
            ("Table", table.name, ""),
            ("Created Time", _utc(table.created_at).strftime("%a %b %d %H:%M:%S UTC %Y"), ""),
            ("Owner", table.owner, ""),
            ("Comment", table.current.comment or "", ""),
            ("Type", "MANAGED", ""),
            ("Location", f"s3://standin-metastore/tables/{table.table_id}", ""),
            ("Provider", "delta", ""),
            ("Table Properties", f"[{properties}]", ""),
        ]
        if table.constraints:
            rows += [("", "", ""), ("# Constraints", "", "")]
            rows += [(c.name, _constraint_text(ctx, c), "") for c in table.constraints]
    return ResultSet([("col_name", STRING), ("data_type", STRING), ("comment", STRING)], rows)


def describe_detail(ctx: Context, stmt: DescribeDetail) -> ResultSet:
    table = ctx.table(stmt.table)
    current = table.current
    size = ctx.uc.con.sql(f"SELECT * FROM {current.physical}").to_arrow_table().nbytes
    columns = [
        ("format", STRING),
        ("id", STRING),
        ("name", STRING),
        ("description", STRING),
        ("location", STRING),
        ("createdAt", _TIMESTAMP),
        ("lastModified", _TIMESTAMP),
        ("partitionColumns", _STRING_ARRAY),
        ("clusteringColumns", _STRING_ARRAY),
        ("numFiles", BIGINT),
        ("sizeInBytes", BIGINT),
        ("properties", _STRING_MAP),
        ("minReaderVersion", _INT),
        ("minWriterVersion", _INT),
        ("tableFeatures", _STRING_ARRAY),
    ]
    row = (
        "delta",
        table.table_id,
        table.full_name,
        current.comment,
        f"s3://standin-metastore/tables/{table.table_id}",
        _utc(table.created_at),
        _utc(current.timestamp),
        [],
        [],
        1,
        size,
        dict(current.properties),
        1,
        2,
        ["appendOnly", "invariants"],
    )
    return ResultSet(columns, [row])


def use(ctx: Context, stmt: exp.Use) -> ResultSet:
    """USE only checks that the object exists: each statement of the API runs in a session of its own."""
    kind = stmt.args.get("kind")
    if kind is not None and kind.name.upper() == "CATALOG":
        ctx.uc.catalog(stmt.this.name)
    else:
        ctx.schema_named(stmt.this)
    return ResultSet()


def show(ctx: Context, stmt: Show) -> ResultSet:
    if stmt.kind == "CATALOGS":
        return ResultSet([("catalog", STRING)], [(name,) for name in sorted(ctx.uc.catalogs)])
    if stmt.kind == "SCHEMAS":
        catalog = ctx.uc.catalog(stmt.scope.name if stmt.scope else ctx.session.catalog)
        names = sorted([*catalog.schemas, "information_schema"])
        return ResultSet([("databaseName", STRING)], [(n,) for n in names])
    schema = ctx.schema_named(stmt.scope) if stmt.scope else ctx.uc.schema(ctx.session.catalog, ctx.session.schema)
    return ResultSet(
        [("database", STRING), ("tableName", STRING), ("isTemporary", _BOOLEAN)],
        [(schema.name, name, False) for name in sorted(schema.tables)],
    )
