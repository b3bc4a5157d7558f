"""The ``information_schema`` views of the Unity Catalog emulation, built from the metastore when a query reads one.

Why: a tool checks what exists (tables, columns, constraints) with queries on
``<catalog>.information_schema.*`` or ``system.information_schema.*``. Column names and values follow
Databricks (``ordinal_position`` from 0, ``is_nullable`` YES/NO, ``full_data_type`` as declared); only
the columns listed here exist, so a query on another one fails loudly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from .unity_catalog import Catalog, Constraint, ObjectNotFound, Table, UnityCatalog

STRING = pa.string()
INT = pa.int32()
TIMESTAMP = pa.timestamp("us", tz="UTC")
_PRECISION = {"tinyint": (3, 10), "smallint": (5, 10), "int": (10, 10), "bigint": (19, 10)}
_FLOATS = {"float": (24, 2), "double": (53, 2)}

Row = dict[str, Any]


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.timezone.utc)


def _audit(owner: str, created: dt.datetime) -> Row:
    return {"created": _utc(created), "created_by": owner, "last_altered": _utc(created), "last_altered_by": owner}


def _catalogs(catalogs: list[Catalog], uc: UnityCatalog) -> Iterator[Row]:
    for c in catalogs:
        yield {"catalog_name": c.name, "catalog_owner": c.owner, "comment": c.comment, **_audit(c.owner, c.created_at)}


def _schemata(catalogs: list[Catalog], uc: UnityCatalog) -> Iterator[Row]:
    for c in catalogs:
        yield {
            "catalog_name": c.name,
            "schema_name": "information_schema",
            "schema_owner": "System user",
            "comment": "Information schema (auto-created)",
            **_audit("System user", c.created_at),
        }
        for s in c.schemas.values():
            yield {
                "catalog_name": c.name,
                "schema_name": s.name,
                "schema_owner": s.owner,
                "comment": s.comment,
                **_audit(s.owner, s.created_at),
            }


def _tables_of(catalogs: list[Catalog]) -> Iterator[Table]:
    for c in catalogs:
        for s in c.schemas.values():
            yield from s.tables.values()


def _tables(catalogs: list[Catalog], uc: UnityCatalog) -> Iterator[Row]:
    for t in _tables_of(catalogs):
        yield {
            "table_catalog": t.catalog,
            "table_schema": t.schema,
            "table_name": t.name,
            "table_type": "MANAGED",
            "is_insertable_into": "YES",
            "commit_action": "PRESERVE",
            "table_owner": t.owner,
            "comment": t.current.comment,
            "created": _utc(t.created_at),
            "created_by": t.created_by,
            "last_altered": _utc(t.current.timestamp),
            "last_altered_by": t.current.user,
            "data_source_format": "DELTA",
            "storage_sub_directory": None,
        }


def _columns(catalogs: list[Catalog], uc: UnityCatalog) -> Iterator[Row]:
    for t in _tables_of(catalogs):
        for position, column in enumerate(t.columns):
            precision, radix = _PRECISION.get(column.type.base) or _FLOATS.get(column.type.base) or (None, None)
            scale = 0 if radix == 10 else None
            decimal = column.type.precision_scale
            if decimal:
                (precision, scale), radix = decimal, 10
            yield {
                "table_catalog": t.catalog,
                "table_schema": t.schema,
                "table_name": t.name,
                "column_name": column.name,
                "ordinal_position": position,
                "column_default": None,
                "is_nullable": "YES" if column.nullable else "NO",
                "full_data_type": column.type.text,
                "data_type": column.type.base.upper(),
                "character_maximum_length": None,
                "numeric_precision": precision,
                "numeric_precision_radix": radix,
                "numeric_scale": scale,
                "partition_ordinal_position": None,
                "comment": column.comment,
            }


def _constraints_of(catalogs: list[Catalog]) -> Iterator[tuple[Table, Constraint]]:
    for t in _tables_of(catalogs):
        for constraint in t.constraints:
            yield t, constraint


def _constraint_names(t: Table, constraint: Constraint) -> Row:
    return {
        "constraint_catalog": t.catalog,
        "constraint_schema": t.schema,
        "constraint_name": constraint.name,
        "table_catalog": t.catalog,
        "table_schema": t.schema,
        "table_name": t.name,
    }


def _table_constraints(catalogs: list[Catalog], uc: UnityCatalog) -> Iterator[Row]:
    for t, constraint in _constraints_of(catalogs):
        yield {
            **_constraint_names(t, constraint),
            "constraint_type": constraint.kind,
            "is_deferrable": "YES",
            "initially_deferred": "YES",
            "enforced": "NO",
            "comment": None,
        }


def _key_column_usage(catalogs: list[Catalog], uc: UnityCatalog) -> Iterator[Row]:
    for t, constraint in _constraints_of(catalogs):
        for position, column in enumerate(constraint.columns, start=1):
            yield {
                **_constraint_names(t, constraint),
                "column_name": column,
                "ordinal_position": position,
                "position_in_unique_constraint": position if constraint.kind == "FOREIGN KEY" else None,
            }


def _referential_constraints(catalogs: list[Catalog], uc: UnityCatalog) -> Iterator[Row]:
    for t, constraint in _constraints_of(catalogs):
        parent = uc.table_by_id(constraint.parent_table_id)
        if constraint.kind != "FOREIGN KEY" or parent is None or parent.primary_key is None:
            continue
        yield {
            "constraint_catalog": t.catalog,
            "constraint_schema": t.schema,
            "constraint_name": constraint.name,
            "unique_constraint_catalog": parent.catalog,
            "unique_constraint_schema": parent.schema,
            "unique_constraint_name": parent.primary_key.name,
            "match_option": "FULL",
            "update_rule": "NO ACTION",
            "delete_rule": "NO ACTION",
        }


def _volumes(catalogs: list[Catalog], uc: UnityCatalog) -> Iterator[Row]:
    for c in catalogs:
        for s in c.schemas.values():
            for v in s.volumes.values():
                yield {
                    "volume_catalog": v.catalog,
                    "volume_schema": v.schema,
                    "volume_name": v.name,
                    "volume_type": "MANAGED",
                    "volume_owner": v.owner,
                    "comment": v.comment,
                    "storage_location": f"/Volumes/{v.catalog}/{v.schema}/{v.name}",
                    **_audit(v.owner, v.created_at),
                }


_AUDIT = [("created", TIMESTAMP), ("created_by", STRING), ("last_altered", TIMESTAMP), ("last_altered_by", STRING)]
_CONSTRAINT = [
    ("constraint_catalog", STRING),
    ("constraint_schema", STRING),
    ("constraint_name", STRING),
    ("table_catalog", STRING),
    ("table_schema", STRING),
    ("table_name", STRING),
]
_VIEWS: dict[str, tuple[list[tuple[str, pa.DataType]], Callable[[list[Catalog], UnityCatalog], Iterator[Row]]]] = {
    "catalogs": ([("catalog_name", STRING), ("catalog_owner", STRING), ("comment", STRING), *_AUDIT], _catalogs),
    "schemata": (
        [("catalog_name", STRING), ("schema_name", STRING), ("schema_owner", STRING), ("comment", STRING), *_AUDIT],
        _schemata,
    ),
    "tables": (
        [
            ("table_catalog", STRING),
            ("table_schema", STRING),
            ("table_name", STRING),
            ("table_type", STRING),
            ("is_insertable_into", STRING),
            ("commit_action", STRING),
            ("table_owner", STRING),
            ("comment", STRING),
            *_AUDIT,
            ("data_source_format", STRING),
            ("storage_sub_directory", STRING),
        ],
        _tables,
    ),
    "columns": (
        [
            ("table_catalog", STRING),
            ("table_schema", STRING),
            ("table_name", STRING),
            ("column_name", STRING),
            ("ordinal_position", INT),
            ("column_default", STRING),
            ("is_nullable", STRING),
            ("full_data_type", STRING),
            ("data_type", STRING),
            ("character_maximum_length", pa.int64()),
            ("numeric_precision", INT),
            ("numeric_precision_radix", INT),
            ("numeric_scale", INT),
            ("partition_ordinal_position", INT),
            ("comment", STRING),
        ],
        _columns,
    ),
    "table_constraints": (
        [
            *_CONSTRAINT,
            ("constraint_type", STRING),
            ("is_deferrable", STRING),
            ("initially_deferred", STRING),
            ("enforced", STRING),
            ("comment", STRING),
        ],
        _table_constraints,
    ),
    "key_column_usage": (
        [*_CONSTRAINT, ("column_name", STRING), ("ordinal_position", INT), ("position_in_unique_constraint", INT)],
        _key_column_usage,
    ),
    "referential_constraints": (
        [
            ("constraint_catalog", STRING),
            ("constraint_schema", STRING),
            ("constraint_name", STRING),
            ("unique_constraint_catalog", STRING),
            ("unique_constraint_schema", STRING),
            ("unique_constraint_name", STRING),
            ("match_option", STRING),
            ("update_rule", STRING),
            ("delete_rule", STRING),
        ],
        _referential_constraints,
    ),
    "volumes": (
        [
            ("volume_catalog", STRING),
            ("volume_schema", STRING),
            ("volume_name", STRING),
            ("volume_type", STRING),
            ("volume_owner", STRING),
            ("comment", STRING),
            ("storage_location", STRING),
            *_AUDIT,
        ],
        _volumes,
    ),
}


def build_view(uc: UnityCatalog, catalog: str, view: str) -> pa.Table:
    """``<catalog>.information_schema.<view>`` (``system`` sees every catalog) as a pyarrow table."""
    spec = _VIEWS.get(view.lower())
    if spec is None:
        raise ObjectNotFound("table", catalog, "information_schema", view.lower())
    with uc.lock:
        catalogs = list(uc.catalogs.values()) if catalog == "system" else [uc.catalog(catalog)]
        fields, rows_of = spec
        schema = pa.schema(fields)
        rows = list(rows_of(catalogs, uc))
    return pa.Table.from_pylist(rows, schema=schema)
