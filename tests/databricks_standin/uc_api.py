"""Unity Catalog REST API 2.1 of the stand-in: what a tool reads before it runs SQL.

``GET /api/2.1/unity-catalog/{catalogs,schemas,tables,volumes}/{full_name}``, the listings of
schemas, tables and volumes, ``tables/{full_name}/exists`` and ``POST schemas`` (create: only the
catalog's owner may, as in SQL; an existing name is a 409 ``SCHEMA_ALREADY_EXISTS``), over the same
metastore as SQL (``unity_catalog``). A missing object answers 404 with ``CATALOG_DOES_NOT_EXIST``,
``SCHEMA_DOES_NOT_EXIST`` or ``TABLE_DOES_NOT_EXIST`` (the SDK raises ``NotFound`` for each); the
volume code, ``NOT_FOUND``, is the stand-in's guess. Listings page with ``max_results`` and an
opaque ``page_token``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from .http_core import ApiError, Request, Response, Router
from .unity_catalog import (
    METASTORE_ID,
    Catalog,
    Column,
    ObjectNotFound,
    Schema,
    Table,
    UnityCatalog,
    Volume,
    epoch_ms,
)

_NOT_FOUND = {
    "catalog": ("CATALOG_DOES_NOT_EXIST", "Catalog"),
    "schema": ("SCHEMA_DOES_NOT_EXIST", "Schema"),
    "table": ("TABLE_DOES_NOT_EXIST", "Table"),
    "volume": ("NOT_FOUND", "Volume"),
}


def _column_json(column: Column, position: int) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": column.name,
        "type_text": column.type.text,
        "type_name": column.type.type_name,
        "position": position,
        "nullable": column.nullable,
        "type_json": json.dumps(column.spark_field()),
        "type_precision": 0,
        "type_scale": 0,
    }
    if column.type.precision_scale:
        info["type_precision"], info["type_scale"] = column.type.precision_scale
    if column.comment is not None:
        info["comment"] = column.comment
    return info


def _audit(owner: str, created_ms: int, updated_ms: int | None = None) -> dict[str, Any]:
    return {
        "owner": owner,
        "metastore_id": METASTORE_ID,
        "created_at": created_ms,
        "created_by": owner,
        "updated_at": updated_ms or created_ms,
        "updated_by": owner,
    }


def _names(obj: Schema | Table | Volume) -> dict[str, str]:
    """``name``, ``catalog_name``, ``schema_name`` (below a schema) and ``full_name`` of an object."""
    names = {"name": obj.name, "catalog_name": obj.catalog, "full_name": obj.full_name}
    if not isinstance(obj, Schema):
        names["schema_name"] = obj.schema
    return names


class UnityCatalogApi:
    """Handlers of ``/api/2.1/unity-catalog/*`` for catalogs, schemas, tables and volumes."""

    def __init__(self, uc: UnityCatalog) -> None:
        self.uc = uc

    def register(self, router: Router) -> None:
        base = r"/api/2\.1/unity-catalog"
        router.add("GET", base + r"/catalogs", self.catalog_list)
        router.add("GET", base + r"/catalogs/(?P<name>[^/]+)", self.catalog_get)
        router.add("GET", base + r"/schemas", self.schema_list)
        router.add("POST", base + r"/schemas", self.schema_create)
        router.add("GET", base + r"/schemas/(?P<name>[^/]+)", self.schema_get)
        router.add("GET", base + r"/tables", lambda r: self._list_in_schema(r, "tables", self.table_json))
        router.add("GET", base + r"/tables/(?P<name>[^/]+)", self.table_get)
        router.add("GET", base + r"/tables/(?P<name>[^/]+)/exists", self.table_exists)
        router.add("GET", base + r"/volumes", lambda r: self._list_in_schema(r, "volumes", self.volume_json))
        router.add("GET", base + r"/volumes/(?P<name>[^/]+)", self.volume_get)

    # -- JSON shapes ----------------------------------------------------------------------

    def catalog_json(self, catalog: Catalog) -> dict[str, Any]:
        return {
            "name": catalog.name,
            "full_name": catalog.name,
            "comment": catalog.comment,
            "catalog_type": "MANAGED_CATALOG",
            "isolation_mode": "OPEN",
            "securable_type": "CATALOG",
            "browse_only": False,
            "properties": {},
            **_audit(catalog.owner, epoch_ms(catalog.created_at)),
        }

    def schema_json(self, schema: Schema) -> dict[str, Any]:
        return {
            **_names(schema),
            "comment": schema.comment,
            "schema_id": schema.schema_id,
            "catalog_type": "MANAGED_CATALOG",
            "browse_only": False,
            "properties": dict(schema.properties),
            **_audit(schema.owner, epoch_ms(schema.created_at)),
        }

    def table_json(self, table: Table) -> dict[str, Any]:
        constraints = []
        for info in map(self.uc.constraint_info, table.constraints):
            if info["kind"] == "PRIMARY KEY":
                constraints.append(
                    {
                        "primary_key_constraint": {
                            "name": info["name"],
                            "child_columns": info["columns"],
                            "rely": info["rely"],
                        }
                    }
                )
            else:
                constraints.append(
                    {
                        "foreign_key_constraint": {
                            "name": info["name"],
                            "child_columns": info["columns"],
                            "parent_table": info["parent_table"],
                            "parent_columns": info["parent_columns"],
                        }
                    }
                )
        body: dict[str, Any] = {
            **_names(table),
            "table_type": "MANAGED",
            "data_source_format": "DELTA",
            "columns": [_column_json(c, i) for i, c in enumerate(table.columns)],
            "storage_location": f"s3://standin-metastore/tables/{table.table_id}",
            "properties": dict(table.current.properties),
            "table_id": table.table_id,
            "table_constraints": constraints,
            **_audit(table.owner, epoch_ms(table.created_at), epoch_ms(table.current.timestamp)),
        }
        if table.current.comment is not None:
            body["comment"] = table.current.comment
        return body

    def volume_json(self, volume: Volume) -> dict[str, Any]:
        return {
            **_names(volume),
            "volume_type": "MANAGED",
            "volume_id": volume.volume_id,
            "comment": volume.comment,
            "storage_location": f"s3://standin-metastore/volumes/{volume.volume_id}",
            **_audit(volume.owner, epoch_ms(volume.created_at)),
        }

    # -- lookups with the REST errors --------------------------------------------------------

    def _lookup(self, kind: str, full_name: str) -> Any:
        parts = full_name.lower().split(".")
        expected = {"catalog": 1, "schema": 2, "table": 3, "volume": 3}[kind]
        if len(parts) != expected or not all(parts):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid {kind} name '{full_name}'.")
        try:
            with self.uc.lock:
                return {
                    "catalog": self.uc.catalog,
                    "schema": self.uc.schema,
                    "table": self.uc.table,
                    "volume": self.uc.volume,
                }[kind](*parts)
        except ObjectNotFound as exc:
            code, label = _NOT_FOUND[exc.kind]
            raise ApiError(404, code, f"{label} '{exc.full_name}' does not exist.") from exc

    def _page(self, req: Request, key: str, items: Sequence[dict[str, Any]]) -> Response:
        try:
            size = int(req.query.get("max_results") or 0)
            offset = (
                int(base64.urlsafe_b64decode(req.query["page_token"]).decode()) if req.query.get("page_token") else 0
            )
        except ValueError as exc:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "Invalid max_results or page_token.") from exc
        if size < 0:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "max_results must be at least 0.")
        end = len(items) if size == 0 else offset + size
        body: dict[str, Any] = {key: list(items[offset:end])}
        if end < len(items):
            body["next_page_token"] = base64.urlsafe_b64encode(str(end).encode()).decode()
        return Response(200, body)

    def _parent(self, req: Request, *needed: str) -> list[str]:
        missing = [n for n in needed if not req.query.get(n)]
        if missing:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Missing required parameter(s): {', '.join(missing)}.")
        return [req.query[n] for n in needed]

    # -- handlers -------------------------------------------------------------------------

    def catalog_get(self, req: Request) -> Response:
        return Response(200, self.catalog_json(self._lookup("catalog", req.params["name"])))

    def catalog_list(self, req: Request) -> Response:
        with self.uc.lock:
            items = [self.catalog_json(c) for _, c in sorted(self.uc.catalogs.items())]
        return self._page(req, "catalogs", items)

    def schema_get(self, req: Request) -> Response:
        return Response(200, self.schema_json(self._lookup("schema", req.params["name"])))

    def schema_create(self, req: Request) -> Response:
        body = req.json()
        name, catalog_name = body.get("name"), body.get("catalog_name")
        if not isinstance(name, str) or not name or not isinstance(catalog_name, str) or not catalog_name:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "name and catalog_name are required.")
        with self.uc.lock:
            catalog = self._lookup("catalog", catalog_name)
            if name.lower() in catalog.schemas:
                raise ApiError(409, "SCHEMA_ALREADY_EXISTS", f"Schema '{catalog.name}.{name.lower()}' already exists.")
            if catalog.owner != self.uc.user:
                raise ApiError(
                    403, "PERMISSION_DENIED", f"User does not have CREATE SCHEMA on Catalog '{catalog.name}'."
                )
            schema = self.uc.create_schema(catalog.name, name, comment=body.get("comment"))
            return Response(200, self.schema_json(schema))

    def schema_list(self, req: Request) -> Response:
        (catalog_name,) = self._parent(req, "catalog_name")
        with self.uc.lock:
            catalog = self._lookup("catalog", catalog_name)
            items = [self.schema_json(s) for _, s in sorted(catalog.schemas.items())]
        return self._page(req, "schemas", items)

    def table_get(self, req: Request) -> Response:
        with self.uc.lock:
            return Response(200, self.table_json(self._lookup("table", req.params["name"])))

    def table_exists(self, req: Request) -> Response:
        catalog, _, rest = req.params["name"].partition(".")
        schema_name, _, table_name = rest.partition(".")
        with self.uc.lock:
            schema = self._lookup("schema", f"{catalog}.{schema_name}")
            return Response(200, {"table_exists": table_name.lower() in schema.tables})

    def _list_in_schema(self, req: Request, key: str, render: Callable[[Any], dict[str, Any]]) -> Response:
        """The ``tables`` or ``volumes`` of ``catalog_name``.``schema_name``, in name order."""
        catalog_name, schema_name = self._parent(req, "catalog_name", "schema_name")
        with self.uc.lock:
            schema = self._lookup("schema", f"{catalog_name}.{schema_name}")
            items = [render(o) for _, o in sorted(getattr(schema, key).items())]
        return self._page(req, key, items)

    def volume_get(self, req: Request) -> Response:
        return Response(200, self.volume_json(self._lookup("volume", req.params["name"])))
