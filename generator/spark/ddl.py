"""The tables of generator.schema in Spark terms: exact types, schemas and CREATE TABLE statements.

Why not CTAS or saveAsTable: they make every column nullable (SPARK-28837), so tables are created
from this DDL and then filled with INSERT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from generator.schema import ALL_TABLES as TABLES

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
    if pa.types.is_boolean(arrow_type):
        return T.BooleanType()
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
    for arrow_field in TABLES[table].schema:
        description = TABLES[table].column_description(arrow_field.name)
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
    for arrow_field in TABLES[table].schema:
        sql_type = spark_type(arrow_field.type).simpleString().upper()
        not_null = "" if arrow_field.nullable else " NOT NULL"
        comment = sql_string(TABLES[table].column_description(arrow_field.name))
        parts.append(f"{quote(arrow_field.name)} {sql_type}{not_null} COMMENT {comment}")
    return ", ".join(parts)


def create_table_sql(verb: str, name: str, table: str, fmt: str) -> str:
    """CREATE [OR REPLACE] TABLE with the exact schema. CTAS and saveAsTable would make every
    column nullable (SPARK-28837), so tables are created from DDL and then filled with INSERT."""
    sql = f"{verb} {name} ({column_ddl(table)}) USING {fmt} COMMENT {sql_string(TABLES[table].description)}"
    if fmt == "delta" and any(pa.types.is_timestamp(f.type) and f.type.tz is None for f in TABLES[table].schema):
        sql += " TBLPROPERTIES ('delta.feature.timestampNtz' = 'supported')"
    return sql


def columns_sql(table: str) -> str:
    return ", ".join(quote(name) for name in TABLES[table].schema.names)


def same_schema(actual: StructType, expected: StructType) -> bool:
    """Same names, types and nullability in the same order (comments aside)."""
    return [(f.name, f.dataType, f.nullable) for f in actual.fields] == [
        (f.name, f.dataType, f.nullable) for f in expected.fields
    ]
