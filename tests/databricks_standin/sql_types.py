"""Databricks SQL types in the stand-in: their canonical text, their DuckDB storage type, and how values print.

Why: tables of the Unity Catalog emulation must keep the Databricks type a statement declared
(``decimal(10,2)``, ``timestamp_ntz``, ``tinyint``...) although DuckDB stores the data, and results
must come back the way the Statement Execution API writes them (``JSON_ARRAY``: every value a string).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

MAX_DECIMAL_PRECISION = 38
_NUMERIC = {"tinyint", "smallint", "int", "bigint", "float", "double", "decimal"}
_TIMES = {"date", "timestamp", "timestamp_ntz"}
# ColumnInfo.type_name of the Statement Execution API, by the base of the canonical text.
_TYPE_NAMES = {
    "tinyint": "BYTE",
    "smallint": "SHORT",
    "int": "INT",
    "bigint": "LONG",
    "float": "FLOAT",
    "double": "DOUBLE",
    "decimal": "DECIMAL",
    "string": "STRING",
    "varchar": "STRING",
    "char": "CHAR",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "timestamp_ntz": "TIMESTAMP_NTZ",
    "binary": "BINARY",
    "array": "ARRAY",
    "map": "MAP",
    "struct": "STRUCT",
    "void": "NULL",
    "interval": "INTERVAL",
    "variant": "VARIANT",
}


@dataclass(frozen=True)
class SqlType:
    """One Databricks type: ``text`` is canonical (``decimal(10,2)``), ``duck`` the DuckDB type that stores it."""

    text: str
    duck: str

    @property
    def base(self) -> str:
        return re.split(r"[(<\s]", self.text, maxsplit=1)[0]

    @property
    def type_name(self) -> str:
        return _TYPE_NAMES.get(self.base, "USER_DEFINED_TYPE")

    @property
    def precision_scale(self) -> tuple[int, int] | None:
        match = re.fullmatch(r"decimal\((\d+),(\d+)\)", self.text)
        return (int(match.group(1)), int(match.group(2))) if match else None

    @property
    def category(self) -> str:
        """numeric, string, boolean, datetime, binary, complex or void: what store assignment compares."""
        if self.base in _NUMERIC:
            return "numeric"
        if self.base in ("string", "varchar", "char"):
            return "string"
        if self.base in _TIMES:
            return "datetime"
        if self.base in ("boolean", "binary", "void"):
            return self.base
        return "complex"

    def column_info(self, name: str, position: int) -> dict[str, Any]:
        """The Statement Execution API's ``manifest.schema.columns`` entry for a result column."""
        info: dict[str, Any] = {
            "name": name,
            "position": position,
            "type_name": self.type_name,
            "type_text": self.text.upper(),
        }
        ps = self.precision_scale
        if ps:
            info["type_precision"], info["type_scale"] = ps
        return info


def canonical_text(data_type: exp.DataType) -> str:
    """Databricks' own spelling of a type: lower case, no blanks after commas (``map<string,int>``)."""
    text = re.sub(r"\b[A-Z][A-Z0-9_]*\b", lambda m: m.group(0).lower(), data_type.sql("databricks"))
    return re.sub(r",\s+", ",", re.sub(r":\s+", ":", text))


def from_sqlglot(data_type: exp.DataType) -> SqlType:
    """The type a column definition or CAST names; a bare DECIMAL is decimal(10,0) as in Databricks."""
    if data_type.this == exp.DType.DECIMAL:
        params = [int(p.name) for p in data_type.expressions]
        precision = params[0] if params else 10
        scale = params[1] if len(params) > 1 else 0
        if not 1 <= precision <= MAX_DECIMAL_PRECISION or not 0 <= scale <= precision:
            raise ValueError(f"decimal({precision},{scale})")
        return SqlType(f"decimal({precision},{scale})", f"DECIMAL({precision},{scale})")
    if data_type.this in (exp.DType.VARCHAR, exp.DType.CHAR):
        return SqlType(canonical_text(data_type), "VARCHAR")
    return SqlType(canonical_text(data_type), data_type.sql("duckdb"))


def parse_type(text: str) -> SqlType:
    """A type given as Databricks SQL text, e.g. a statement parameter's ``type``."""
    return from_sqlglot(exp.DataType.build(text, dialect="databricks"))


def from_duckdb(duck_type: str) -> SqlType:
    """The Databricks type of a DuckDB result column (unsigned and 128-bit integers widen as Spark reads them)."""
    upper = duck_type.upper().strip('"')
    special = {
        "UTINYINT": "smallint",
        "USMALLINT": "int",
        "UINTEGER": "bigint",
        "UBIGINT": "decimal(20,0)",
        "HUGEINT": "decimal(38,0)",
        "UHUGEINT": "decimal(38,0)",
        "NULL": "void",
    }
    if upper in special:
        return SqlType(special[upper], duck_type)
    data_type = exp.DataType.build(duck_type, dialect="duckdb")
    if data_type.this in (exp.DType.TIMESTAMP_S, exp.DType.TIMESTAMP_MS, exp.DType.TIMESTAMP_NS):
        return SqlType("timestamp_ntz", duck_type)
    return SqlType(canonical_text(data_type), duck_type)


def can_store(source: SqlType, target: SqlType) -> bool:
    """Spark's ANSI store assignment: may a value of ``source`` be written to a ``target`` column?"""
    if source.category == "void" or target.category == "string":
        return source.category != "complex" or source.text == target.text
    if source.category == "complex" or target.category == "complex":
        return source.base == target.base
    return source.category == target.category


def _java_double(value: float) -> str:
    """A double as Java (and so Spark) prints it: 1.0, 1.0E7, 1.0E-4, NaN, Infinity."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text else text + ".0"
    sign, digits, exponent = decimal.Decimal(repr(value)).normalize().as_tuple()
    mantissa = f"{digits[0]}." + ("".join(map(str, digits[1:])) or "0")
    return f"{'-' if sign else ''}{mantissa}E{int(exponent) + len(digits) - 1}"


def format_value(value: Any, sql_type: SqlType) -> str | None:
    """One value as ``JSON_ARRAY`` data carries it: a string, or None for NULL."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, decimal.Decimal | int | str):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            suffix = "Z"
        else:
            suffix = ""
        spec = "microseconds" if value.microsecond % 1000 else "milliseconds"
        return value.isoformat(timespec=spec) + suffix
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return json.dumps(value, default=str)
