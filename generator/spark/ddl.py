"""The tables of generator.schema in Spark terms: exact types, schemas and CREATE TABLE statements.

Why not CTAS or saveAsTable: they make every column nullable (SPARK-28837), so tables are created
from this DDL and then filled with INSERT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from generator.schema import ALL_TABLES

if TYPE_CHECKING:
    from pyspark.sql.types import DataType, StructType


def quote(name: str) -> str:
    """A backtick-quoted identifier part (schema names such as 'sqlw-to-lakebase-backend' need it)."""
    return "`" + name.replace("`", "``") + "`"


def qualified_name(catalog: str | None, schema: str | None, table: str) -> str:
    """`catalog`.`schema`.`table`, `schema`.`table` or `table`, quoted."""
    return ".".join(quote(part) for part in (catalog, schema, table) if part)


def spark_type(arrow_type: pa.DataType) -> DataType:
    """The Spark type of an Arrow type used in the registry (timestamp[us] without zone -> TIMESTAMP_NTZ)."""
    from pyspark.sql import types as T

    if pa.types.is_boolean(arrow_type):
        return T.BooleanType()
    if pa.types.is_int8(arrow_type):
        return T.ByteType()
    if pa.types.is_int16(arrow_type):
        return T.ShortType()
    if pa.types.is_int32(arrow_type):
        return T.IntegerType()
    if pa.types.is_int64(arrow_type):
        return T.LongType()
    if pa.types.is_float64(arrow_type):
        return T.DoubleType()
    if pa.types.is_string(arrow_type):
        return T.StringType()
    if pa.types.is_date32(arrow_type):
        return T.DateType()
    if pa.types.is_decimal(arrow_type):
        return T.DecimalType(arrow_type.precision, arrow_type.scale)
    if pa.types.is_timestamp(arrow_type) and arrow_type.unit == "us":
        return T.TimestampNTZType() if arrow_type.tz is None else T.TimestampType()
    raise TypeError(f"no Spark type mapped for Arrow type {arrow_type}")


def spark_schema(table: str) -> StructType:
    """A table's exact Spark schema: types, nullability and column descriptions (as 'comment')."""
    from pyspark.sql import types as T

    fields = []
    for arrow_field in ALL_TABLES[table].schema:
        description = ALL_TABLES[table].column_description(arrow_field.name)
        fields.append(
            T.StructField(
                arrow_field.name, spark_type(arrow_field.type), arrow_field.nullable, {"comment": description}
            )
        )
    return T.StructType(fields)


def sql_string(text: str) -> str:
    """A Spark SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def column_ddl(table: str) -> str:
    """The column list of CREATE TABLE: exact types, NOT NULL where the schema says so, comments."""
    parts = []
    for arrow_field in ALL_TABLES[table].schema:
        sql_type = spark_type(arrow_field.type).simpleString().upper()
        not_null = "" if arrow_field.nullable else " NOT NULL"
        comment = sql_string(ALL_TABLES[table].column_description(arrow_field.name))
        parts.append(f"{quote(arrow_field.name)} {sql_type}{not_null} COMMENT {comment}")
    return ", ".join(parts)


def create_table_sql(verb: str, name: str, table: str, fmt: str) -> str:
    """CREATE [OR REPLACE] TABLE with the exact schema. CTAS and saveAsTable would make every
    column nullable (SPARK-28837), so tables are created from DDL and then filled with INSERT.
    Delta tables record their change data feed, so `table_changes` shows what each run changed."""
    sql = f"{verb} {name} ({column_ddl(table)}) USING {fmt} COMMENT {sql_string(ALL_TABLES[table].description)}"
    if fmt == "delta":
        properties = ["'delta.enableChangeDataFeed' = 'true'"]
        if any(pa.types.is_timestamp(f.type) and f.type.tz is None for f in ALL_TABLES[table].schema):
            properties.append("'delta.feature.timestampNtz' = 'supported'")
        sql += f" TBLPROPERTIES ({', '.join(properties)})"
    return sql


def columns_sql(table: str) -> str:
    return ", ".join(quote(name) for name in ALL_TABLES[table].schema.names)


def insert_sql(target: str, source: str, table: str) -> str:
    """Append the rows of `source` (a table or view with the table's columns) to `target`."""
    return f"INSERT INTO {target} SELECT {columns_sql(table)} FROM {source}"


def merge_sql(target: str, source: str, table: str) -> str:
    """MERGE INTO `target` on the primary key so that it holds exactly the rows of `source`: rows that
    differ are updated (an unchanged row is not rewritten, so the change feed shows only real
    changes), new ones inserted, and rows `source` no longer holds deleted."""
    definition = ALL_TABLES[table]
    on = " AND ".join(f"t.{quote(key)} = s.{quote(key)}" for key in definition.primary_key)
    values = [quote(name) for name in definition.schema.names if name not in definition.primary_key]
    same = " AND ".join(f"t.{name} <=> s.{name}" for name in values)
    return (
        f"MERGE INTO {target} AS t USING {source} AS s ON {on} "
        f"WHEN MATCHED AND NOT ({same}) THEN UPDATE SET * "
        "WHEN NOT MATCHED THEN INSERT * "
        "WHEN NOT MATCHED BY SOURCE THEN DELETE"
    )


def same_schema(actual: StructType, expected: StructType) -> bool:
    """Same names, types and nullability in the same order (comments aside)."""
    return [(f.name, f.dataType, f.nullable) for f in actual.fields] == [
        (f.name, f.dataType, f.nullable) for f in expected.fields
    ]
