"""Unity Catalog REST API of the stand-in: the objects SQL made, read with the real SDK, and its 404s."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from databricks.sdk.errors import NotFound
from databricks.sdk.service.catalog import ColumnTypeName, DataSourceFormat, TableType

from .conftest import RunSql


def test_sql_and_rest_see_one_metastore(standin: Any, workspace_client: Any, run_sql: RunSql, volume: Any) -> None:
    catalog = volume.catalog
    run_sql("CREATE SCHEMA shop COMMENT 'the shop'")
    run_sql(
        "CREATE TABLE shop.items (id INT NOT NULL COMMENT 'item key', price DECIMAL(8,3), added TIMESTAMP_NTZ, "
        "CONSTRAINT items_pk PRIMARY KEY (id)) USING DELTA COMMENT 'items' TBLPROPERTIES ('owner.team' = 'data')"
    )
    run_sql("CREATE TABLE shop.lines (item_id INT, CONSTRAINT lines_fk FOREIGN KEY (item_id) REFERENCES shop.items)")

    assert workspace_client.catalogs.get(catalog).name == catalog
    schema = workspace_client.schemas.get(f"{catalog}.shop")
    assert (schema.full_name, schema.comment, schema.owner) == (f"{catalog}.shop", "the shop", standin.user_name)
    assert {s.name for s in workspace_client.schemas.list(catalog_name=catalog)} == {"default", "raw", "shop"}

    items = workspace_client.tables.get(f"{catalog}.shop.items")
    assert (items.table_type, items.data_source_format, items.comment) == (
        TableType.MANAGED,
        DataSourceFormat.DELTA,
        "items",
    )
    assert items.properties == {"owner.team": "data"}
    assert [(c.name, c.type_text, c.type_name, c.nullable, c.position) for c in items.columns] == [
        ("id", "int", ColumnTypeName.INT, False, 0),
        ("price", "decimal(8,3)", ColumnTypeName.DECIMAL, True, 1),
        ("added", "timestamp_ntz", ColumnTypeName.TIMESTAMP_NTZ, True, 2),
    ]
    assert (items.columns[1].type_precision, items.columns[1].type_scale) == (8, 3)
    assert json.loads(items.columns[0].type_json) == {
        "name": "id",
        "type": "integer",
        "nullable": False,
        "metadata": {"comment": "item key"},
    }
    assert items.table_constraints[0].primary_key_constraint.child_columns == ["id"]
    lines = workspace_client.tables.get(f"{catalog}.shop.lines")
    fk = lines.table_constraints[0].foreign_key_constraint
    assert (fk.name, fk.child_columns, fk.parent_table, fk.parent_columns) == (
        "lines_fk",
        ["item_id"],
        f"{catalog}.shop.items",
        ["id"],
    )

    run_sql("ALTER TABLE shop.items RENAME TO shop.products")  # the FK follows the parent's new name
    fk = workspace_client.tables.get(f"{catalog}.shop.lines").table_constraints[0].foreign_key_constraint
    assert fk.parent_table == f"{catalog}.shop.products"
    assert [t.name for t in workspace_client.tables.list(catalog_name=catalog, schema_name="shop")] == [
        "lines",
        "products",
    ]
    assert workspace_client.tables.exists(f"{catalog}.shop.products").table_exists is True
    assert workspace_client.tables.exists(f"{catalog}.shop.items").table_exists is False

    landing = workspace_client.volumes.read(f"{catalog}.raw.landing")
    assert (landing.full_name, landing.volume_type.value) == (f"{catalog}.raw.landing", "MANAGED")


def test_tables_list_pages(standin: Any, workspace_client: Any, run_sql: RunSql, volume: Any) -> None:
    for i in range(5):
        run_sql(f"CREATE TABLE raw.t{i} (a INT)")
    listed = workspace_client.tables.list(catalog_name=volume.catalog, schema_name="raw", max_results=2)
    assert [t.name for t in listed] == [f"t{i}" for i in range(5)]
    pages = standin.requests.find("GET", r"/unity-catalog/tables$")
    assert len(pages) == 3


def test_catalogs_made_by_helpers_and_sql_are_visible(standin: Any, workspace_client: Any, run_sql: RunSql) -> None:
    made = standin.create_catalog()
    assert workspace_client.catalogs.get(made).name == made
    run_sql(f"CREATE SCHEMA {made}.fresh")
    by_sql = f"sql_{secrets.token_hex(4)}"  # unique: the volume folders of a run are shared by parallel runs
    run_sql(f"CREATE CATALOG IF NOT EXISTS {by_sql} COMMENT 'from SQL'")
    assert workspace_client.catalogs.get(by_sql).comment == "from SQL"
    run_sql(f"CREATE VOLUME {by_sql}.default.files")
    assert workspace_client.volumes.read(f"{by_sql}.default.files").name == "files"
    assert standin.local_path(f"/Volumes/{by_sql}/default/files").is_dir()
    assert {"main", made, by_sql} <= {c.name for c in workspace_client.catalogs.list()}
    assert "fresh" in standin.uc.catalog(made).schemas


@pytest.mark.parametrize(
    ("call", "name", "code", "message"),
    [
        ("catalogs", "nowhere", "CATALOG_DOES_NOT_EXIST", "Catalog 'nowhere' does not exist."),
        ("schemas", "{catalog}.nothing", "SCHEMA_DOES_NOT_EXIST", "Schema '{catalog}.nothing' does not exist."),
        ("schemas", "nowhere.raw", "CATALOG_DOES_NOT_EXIST", "Catalog 'nowhere' does not exist."),
        ("tables", "{catalog}.raw.nothing", "TABLE_DOES_NOT_EXIST", "Table '{catalog}.raw.nothing' does not exist."),
        ("tables", "{catalog}.nothing.t", "SCHEMA_DOES_NOT_EXIST", "Schema '{catalog}.nothing' does not exist."),
        ("volumes", "{catalog}.raw.nothing", "NOT_FOUND", "Volume '{catalog}.raw.nothing' does not exist."),
    ],
)
def test_missing_objects_are_404_not_found(
    workspace_client: Any, volume: Any, call: str, name: str, code: str, message: str
) -> None:
    service = getattr(workspace_client, call)
    read = service.read if call == "volumes" else service.get
    with pytest.raises(NotFound) as raised:
        read(name.format(catalog=volume.catalog))
    assert raised.value.error_code == code
    assert str(raised.value) == message.format(catalog=volume.catalog)


def test_schemas_create_needs_the_catalogs_owner_and_a_new_name(standin: Any, workspace_client: Any) -> None:
    from databricks.sdk.errors import PermissionDenied, ResourceConflict

    catalog = standin.create_catalog()
    made = workspace_client.schemas.create(name="Fresh", catalog_name=catalog, comment="made by REST")
    assert (made.full_name, made.comment, made.owner) == (f"{catalog}.fresh", "made by REST", standin.user_name)
    assert "fresh" in standin.uc.catalog(catalog).schemas
    with pytest.raises(ResourceConflict, match="already exists"):
        workspace_client.schemas.create(name="fresh", catalog_name=catalog)
    standin.uc.set_owner(catalog, "someone.else@example.com")
    with pytest.raises(PermissionDenied, match=f"User does not have CREATE SCHEMA on Catalog '{catalog}'"):
        workspace_client.schemas.create(name="other", catalog_name=catalog)
    with pytest.raises(NotFound, match="Catalog 'nowhere' does not exist"):
        workspace_client.schemas.create(name="x", catalog_name="nowhere")
