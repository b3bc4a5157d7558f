"""PostgreSQL DDL for the seven tables from generator/schema.py: types, keys, indexes, comments, COPY.

Why here: the loader builds every table from these statements and the change-feed upserts name
the same keys, so the SQL exists once. Constraints are separate statements because the loader
adds them after the data (index builds over loaded rows are much faster than row-by-row checks).
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql

from generator.postgres.connection import qualified
from generator.schema import TableDefinition

_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, batch_size=8192)
_SIMPLE_TYPES: dict[pa.DataType, str] = {
    pa.int8(): "smallint",
    pa.int16(): "smallint",
    pa.int32(): "integer",
    pa.int64(): "bigint",
    pa.float32(): "real",
    pa.float64(): "double precision",
    pa.bool_(): "boolean",
    pa.date32(): "date",
    pa.string(): "text",
    pa.large_string(): "text",
}


def pg_type(type_: pa.DataType) -> str:
    """The PostgreSQL type of an Arrow type of schema.py (decimal128(10, 2) -> numeric(10,2))."""
    if pa.types.is_decimal(type_):
        return f"numeric({type_.precision},{type_.scale})"
    if pa.types.is_timestamp(type_):
        return "timestamp without time zone" if type_.tz is None else "timestamp with time zone"
    if type_ in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[type_]
    raise ValueError(f"no PostgreSQL type for Arrow type {type_}")


def column_list(spec: TableDefinition) -> sql.Composed:
    """The table's columns, quoted, in schema order."""
    return sql.SQL(", ").join(sql.Identifier(f.name) for f in spec.schema)


def key_list(columns: tuple[str, ...]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)


def create_table(schema: str, spec: TableDefinition) -> sql.Composed:
    """CREATE TABLE with the real types and NOT NULL, without keys (they come after the data)."""
    columns = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(f.name), sql.SQL(pg_type(f.type)), sql.SQL("" if f.nullable else " NOT NULL")
        )
        for f in spec.schema
    ]
    return sql.SQL("CREATE TABLE {} ({})").format(qualified(schema, spec.name), sql.SQL(", ").join(columns))


def comments(schema: str, spec: TableDefinition) -> list[sql.Composed]:
    """COMMENT ON TABLE and on every column, from the schema descriptions."""
    table = qualified(schema, spec.name)
    statements = [sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(spec.description))]
    statements += [
        sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
            table, sql.Identifier(f.name), sql.Literal(spec.column_description(f.name))
        )
        for f in spec.schema
    ]
    return statements


def copy_from_stdin(schema: str, spec: TableDefinition, *, freeze: bool) -> sql.Composed:
    """COPY ... FROM STDIN in CSV (unquoted empty field = NULL, "" = empty string, as pyarrow.csv writes)."""
    options = "FORMAT csv, FREEZE true" if freeze else "FORMAT csv"
    return sql.SQL("COPY {} ({}) FROM STDIN ({})").format(
        qualified(schema, spec.name), column_list(spec), sql.SQL(options)
    )


def csv_block(data: pa.RecordBatch | pa.Table) -> memoryview:
    """Rows as the CSV bytes that copy_from_stdin reads: no header, nulls unquoted-empty, strings quoted."""
    buffer = io.BytesIO()
    pa_csv.write_csv(data, buffer, _CSV_OPTIONS)
    return buffer.getbuffer()


def primary_key(schema: str, spec: TableDefinition) -> sql.Composed:
    return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})").format(
        qualified(schema, spec.name), sql.Identifier(f"{spec.name}_pkey"), key_list(spec.primary_key)
    )


def foreign_key_name(spec: TableDefinition, column: str) -> str:
    return f"{spec.name}_{column}_fkey"


def add_foreign_key(schema: str, spec: TableDefinition, column: str) -> sql.Composed:
    """ADD FOREIGN KEY ... NOT VALID: instant; VALIDATE CONSTRAINT then checks the rows under a weaker lock."""
    parent, parent_column = spec.foreign_keys[column]
    return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) NOT VALID").format(
        qualified(schema, spec.name),
        sql.Identifier(foreign_key_name(spec, column)),
        sql.Identifier(column),
        qualified(schema, parent),
        sql.Identifier(parent_column),
    )


def validate_foreign_key(schema: str, spec: TableDefinition, column: str) -> sql.Composed:
    return sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
        qualified(schema, spec.name), sql.Identifier(foreign_key_name(spec, column))
    )


def indexed_foreign_keys(spec: TableDefinition) -> list[str]:
    """Foreign-key columns that need an index of their own (not the leading column of the primary key)."""
    return [column for column in spec.foreign_keys if column != spec.primary_key[0]]


def foreign_key_index(schema: str, spec: TableDefinition, column: str) -> sql.Composed:
    """An index on a foreign-key column, so joins and parent deletes do not scan the child."""
    return sql.SQL("CREATE INDEX {} ON {} ({})").format(
        sql.Identifier(f"{spec.name}_{column}_idx"), qualified(schema, spec.name), sql.Identifier(column)
    )
