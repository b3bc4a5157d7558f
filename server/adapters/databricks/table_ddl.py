"""The tables of ``generator.schema`` in Databricks SQL: exact column types, NOT NULL, comments, primary
and foreign keys, and the statements that create and fill them.

Everything is derived from the registry when a statement is built, never listed here, so a table or a
column added to ``generator.schema`` reaches the warehouse unchanged. Types follow the generator's Arrow
schemas: decimal money stays DECIMAL(p,s), date32 is DATE, timestamp[us] without a zone TIMESTAMP_NTZ,
narrow integers SMALLINT/TINYINT. Keys are Unity Catalog informational constraints (declared, not
enforced), so that BI tools and Genie see the joins.
"""

from __future__ import annotations

import pyarrow as pa

from generator.schema import TableDefinition
from generator.spark.ddl import quote, sql_string

_TYPES: dict[pa.DataType, str] = {
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INT",
    pa.int64(): "BIGINT",
    pa.float32(): "FLOAT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.string(): "STRING",
    pa.large_string(): "STRING",
    pa.date32(): "DATE",
}
NTZ_PROPERTY = "TBLPROPERTIES ('delta.feature.timestampNtz' = 'supported')"


def sql_type(arrow_type: pa.DataType) -> str:
    """The Databricks SQL type of a column type used in the registry."""
    if arrow_type in _TYPES:
        return _TYPES[arrow_type]
    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP_NTZ" if arrow_type.tz is None else "TIMESTAMP"
    raise TypeError(f"no Databricks SQL type mapped for Arrow type {arrow_type}")


def full_name(catalog: str, schema: str, table: str) -> str:
    """`catalog`.`schema`.`table`, quoted."""
    return ".".join(quote(part) for part in (catalog, schema, table))


def _columns(table: TableDefinition) -> list[str]:
    parts = []
    for field in table.schema:
        not_null = "" if field.nullable else " NOT NULL"
        comment = sql_string(table.column_description(field.name))
        parts.append(f"{quote(field.name)} {sql_type(field.type)}{not_null} COMMENT {comment}")
    return parts


def _keys(table: TableDefinition, catalog: str, schema: str) -> list[str]:
    """The primary key and the foreign keys of a table as CONSTRAINT clauses."""
    key = ", ".join(quote(c) for c in table.primary_key)
    clauses = [f"CONSTRAINT {quote(table.name + '_pk')} PRIMARY KEY ({key})"]
    for column, (parent, parent_column) in table.foreign_keys.items():
        clauses.append(
            f"CONSTRAINT {quote(f'{table.name}_{column}_fk')} FOREIGN KEY ({quote(column)}) "
            f"REFERENCES {full_name(catalog, schema, parent)} ({quote(parent_column)})"
        )
    return clauses


def create_table(verb: str, catalog: str, schema: str, name: str, table: TableDefinition, *, keys: bool) -> str:
    """``<verb> <catalog.schema.name> (<columns>[, <keys>]) USING DELTA COMMENT ...``: the exact schema, its
    comments and (with ``keys``) its informational constraints, whose parents live in the same schema."""
    body = _columns(table) + (_keys(table, catalog, schema) if keys else [])
    comment = sql_string(table.description)
    sql = f"{verb} {full_name(catalog, schema, name)} ({', '.join(body)}) USING DELTA COMMENT {comment}"
    if any(pa.types.is_timestamp(f.type) and f.type.tz is None for f in table.schema):
        sql += f" {NTZ_PROPERTY}"
    return sql


def insert_from_files(target: str, table: TableDefinition, folder: str) -> str:
    """INSERT the Parquet files under a Volume ``folder`` into ``target``, each column cast to its type."""
    casts = ", ".join(f"CAST({quote(f.name)} AS {sql_type(f.type)}) AS {quote(f.name)}" for f in table.schema)
    return f"INSERT INTO {target} SELECT {casts} FROM read_files({sql_string(folder)}, format => 'parquet')"


def copy_rows(target: str, source: str, table: TableDefinition) -> str:
    """INSERT every row of ``source`` into ``target`` (same columns, by name)."""
    columns = ", ".join(quote(f.name) for f in table.schema)
    return f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {source}"
