"""create_tables_from_volume against the stand-in: every statement parsed as Databricks SQL (sqlglot) and
run on DuckDB over the volume's files, the tables checked in the stand-in's Unity Catalog, and the faults
the issue lists (a FAILED statement, one PENDING past the wait, a stopped warehouse, a 429 storm, a
failure during the swap) each leaving the previous tables as they were, with a clear message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.dataset as pa_ds
import pyarrow.parquet as pq
import pytest

from generator.manifest import MANIFEST_NAME
from generator.rules import RuleErrors
from generator.runner import run
from generator.schema import ALL_TABLES, TABLE_NAMES
from generator.spec import DatasetSpec
from server.adapters.databricks.errors import CatalogNotFoundError, DatabricksApiError
from server.adapters.databricks.table_ddl import sql_type
from server.adapters.databricks.volume_tables import create_tables_from_volume

SPEC = DatasetSpec(scale="small", scale_factor=0.1, days=7)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small Parquet datasets (seeds 42 and 7, and one with customers_history), generated once for the module."""
    root = tmp_path_factory.mktemp("volume-datasets")
    run(SPEC, root / "first", workers=1)
    run(DatasetSpec(scale="small", scale_factor=0.1, days=7, seed=7), root / "second", workers=1)
    run(DatasetSpec(scale="small", scale_factor=0.1, days=7, customer_history=True), root / "history", workers=1)
    return {name: root / name for name in ("first", "second", "history")}


def _put(volume: Any, dataset: Path, folder: str = "incoming_data") -> Path:
    """The dataset in the volume, as upload_to_volume leaves it."""
    target = volume.local / folder
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(dataset, target)
    return target


def _create(volume: Any, client: Any, **options: Any) -> dict[str, Any]:
    return create_tables_from_volume(volume.catalog, volume.schema, volume.volume, client=client, **options)


def _state(standin: Any, volume: Any) -> dict[str, tuple[int, list[dict[str, Any]]]]:
    """Per target table: its number of versions and its rows."""
    state = {}
    for table in TABLE_NAMES:
        name = f"{volume.catalog}.{volume.schema}.{table}"
        state[table] = (len(standin.uc.describe(name).versions), standin.uc.rows(name).to_pylist())
    return state


def _rows(state: dict[str, tuple[int, list[dict[str, Any]]]]) -> dict[str, list[dict[str, Any]]]:
    return {table: rows for table, (_, rows) in state.items()}


def _local_rows(dataset: Path, table: str) -> list[dict[str, Any]]:
    return pa_ds.dataset(dataset / table, format="parquet").to_table().to_pylist()


def _sorted(rows: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    key = ALL_TABLES[table].primary_key
    return sorted(rows, key=lambda row: tuple(row[c] for c in key))


@pytest.fixture
def existing(standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path]) -> dict[str, Any]:
    """The first dataset's tables in place and the second dataset on the volume: what a failed call must keep."""
    _put(volume, datasets["first"])
    assert _create(volume, workspace_client)["success"]
    before = _state(standin, volume)
    _put(volume, datasets["second"])
    return before


def _assert_kept(standin: Any, volume: Any, before: dict[str, Any]) -> None:
    """The targets have the rows and versions they had, and no staging table is left."""
    assert _state(standin, volume) == before
    assert standin.uc.tables(volume.catalog, volume.schema) == sorted(TABLE_NAMES)


def _assert_landed(standin: Any, volume: Any, dataset: Path, table: str) -> None:
    """The table in Unity Catalog has the registry's columns (types, NOT NULL, comments), its comment, its
    primary and foreign keys, and the dataset's rows."""
    definition = ALL_TABLES[table]
    described = standin.uc.describe(f"{volume.catalog}.{volume.schema}.{table}")
    assert [(c.name, c.type.text, c.nullable) for c in described.columns] == [
        (f.name, sql_type(f.type).lower(), f.nullable) for f in definition.schema
    ]
    assert [c.comment for c in described.columns] == [definition.column_description(n) for n in definition.schema.names]
    assert described.comment == definition.description
    keys = {(c["kind"], tuple(c["columns"]), c.get("parent_table")) for c in described.constraints}
    expected = {("PRIMARY KEY", definition.primary_key, None)} | {
        ("FOREIGN KEY", (column,), f"{volume.catalog}.{volume.schema}.{parent}")
        for column, (parent, _) in definition.foreign_keys.items()
    }
    assert keys == expected, table
    landed = standin.uc.rows(f"{volume.catalog}.{volume.schema}.{table}").to_pylist()
    assert _sorted(landed, table) == _sorted(_local_rows(dataset, table), table)


def test_the_dataset_becomes_typed_delta_tables_with_comments_and_keys(
    standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path]
) -> None:
    _put(volume, datasets["first"])
    seen: list[str] = []
    result = _create(volume, workspace_client, progress=lambda done, total, message: seen.append(message))

    assert result["success"] is True and result["error"] is None, result["error"]
    manifest = json.loads((datasets["first"] / MANIFEST_NAME).read_text())
    assert {t: v["rows"] for t, v in result["tables"].items()} == {
        t: manifest["tables"][t]["rows"] for t in TABLE_NAMES
    }
    assert result["warehouse_id"] == standin.warehouse_id and result["warehouse_started"] is False
    assert (
        "found because none was named" in result["warehouse_note"] and "standin-warehouse" in result["warehouse_note"]
    )
    assert result["workspace_host"] == standin.url and result["target"] == f"{volume.catalog}.{volume.schema}"
    assert standin.uc.tables(volume.catalog, volume.schema) == sorted(TABLE_NAMES)  # staging tables dropped
    for table in TABLE_NAMES:
        _assert_landed(standin, volume, datasets["first"], table)
    types = {c.name: c.type.text for c in standin.uc.describe(f"{volume.catalog}.{volume.schema}.order_items").columns}
    assert (types["qty"], types["unit_price"], types["extended_price"]) == (
        "smallint",
        "decimal(10,2)",
        "decimal(12,2)",
    )
    rest = workspace_client.tables.get(f"{volume.catalog}.{volume.schema}.orders")  # what BI tools and Genie read
    parents = {c.foreign_key_constraint.parent_table for c in rest.table_constraints if c.foreign_key_constraint}
    assert parents == {f"{volume.catalog}.{volume.schema}.stores", f"{volume.catalog}.{volume.schema}.customers"}
    assert any("rows staged" in message for message in seen)


def test_running_again_replaces_the_tables_in_place_and_keeps_their_history(
    standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path], existing: dict[str, Any]
) -> None:
    before = existing
    first_ids = {t: standin.uc.table(volume.catalog, volume.schema, t).table_id for t in TABLE_NAMES}
    result = _create(volume, workspace_client)
    assert result["success"] is True, result["error"]
    after = _state(standin, volume)
    for table in TABLE_NAMES:
        assert standin.uc.table(volume.catalog, volume.schema, table).table_id == first_ids[table]  # same table
        assert after[table][0] > before[table][0]  # a new version on top of the history
        assert _sorted(after[table][1], table) == _sorted(_local_rows(datasets["second"], table), table)


def test_a_statement_that_fails_leaves_the_previous_tables_intact(
    standin: Any, workspace_client: Any, volume: Any, existing: dict[str, Any]
) -> None:
    message = "[DELTA_FAILED_TO_MERGE_FIELDS] Injected failure of the third load. SQLSTATE: 22005"
    rule = standin.faults.fail_statements(r"^INSERT INTO .*customers__staging_", message, sql_state="22005")
    result = _create(volume, workspace_client)
    assert rule.hits == 1
    assert result["success"] is False
    assert "DELTA_FAILED_TO_MERGE_FIELDS" in result["error"] and "customers" in result["error"]
    assert f"Nothing was replaced: the tables in {volume.catalog}.{volume.schema} are as they were." in result["error"]
    _assert_kept(standin, volume, existing)


def test_a_failure_during_the_swap_restores_the_tables_already_replaced(
    standin: Any, workspace_client: Any, volume: Any, existing: dict[str, Any]
) -> None:
    standin.faults.fail_statements(
        r"^CREATE OR REPLACE TABLE `[^`]+`\.`[^`]+`\.`orders` ", "[INTERNAL_ERROR] Injected."
    )
    result = _create(volume, workspace_client)
    assert result["success"] is False
    assert "were put back" in result["error"] and "are as they were before this call" in result["error"]
    assert _rows(_state(standin, volume)) == _rows(existing)  # stores .. promotions were replaced, then restored
    history = standin.uc.describe(f"{volume.catalog}.{volume.schema}.stores").versions
    assert history[-1].operation == "RESTORE"
    assert standin.uc.tables(volume.catalog, volume.schema) == sorted(TABLE_NAMES)


def test_a_statement_pending_past_the_wait_is_cancelled_and_nothing_is_replaced(
    standin: Any, workspace_client: Any, volume: Any, existing: dict[str, Any]
) -> None:
    standin.faults.hold_statements(r"^INSERT INTO .*orders__staging_", None)
    result = _create(volume, workspace_client, timeout_sec=3)
    assert result["success"] is False
    assert "still PENDING" in result["error"] and "so it was cancelled" in result["error"]
    assert "Nothing was replaced" in result["error"]
    _assert_kept(standin, volume, existing)
    assert standin.requests.find("POST", r"/sql/statements/[^/]+/cancel$")


def test_a_stopped_warehouse_is_started_and_the_result_says_so(
    standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path]
) -> None:
    _put(volume, datasets["first"])
    standin.stop_warehouse(standin.warehouse_id)
    result = _create(volume, workspace_client, warehouse_id=standin.warehouse_id.upper())
    assert result["success"] is True, result["error"]
    assert result["warehouse_started"] is True and "It was stopped; this call started it" in result["warehouse_note"]
    assert "the one named" in result["warehouse_note"]
    assert standin.requests.find("POST", rf"/sql/warehouses/{standin.warehouse_id}/start$")


def test_a_short_429_storm_is_ridden_out(
    standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path]
) -> None:
    _put(volume, datasets["first"])
    rule = standin.faults.throttle(r"/api/2\.0/sql/statements/?$", count=2, retry_after=1, method="POST")
    result = _create(volume, workspace_client)
    assert rule.hits == 2 and result["success"] is True, result["error"]


def test_a_429_storm_that_outlasts_the_retries_leaves_the_tables_intact(
    standin: Any, volume: Any, existing: dict[str, Any]
) -> None:
    impatient = standin.client(retry_timeout_seconds=2)
    standin.faults.throttle(r"/api/2\.0/sql/statements/?$", count=None, retry_after=1, method="POST")
    result = _create(volume, impatient)
    standin.faults.clear()
    assert result["success"] is False
    assert "TOO_MANY_REQUESTS" in result["error"] or "429" in result["error"]
    assert "Nothing was replaced" in result["error"]
    _assert_kept(standin, volume, existing)


def test_a_table_the_caller_may_not_create_is_the_workspaces_message_plus_what_to_do(
    standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path]
) -> None:
    _put(volume, datasets["first"])
    target = standin.create_catalog()
    workspace_client.schemas.create(name="shared", catalog_name=target)
    standin.uc.set_owner(f"{target}.shared", "team.lead@example.com")
    result = _create(volume, workspace_client, target_catalog=target, target_schema="shared")
    assert result["success"] is False
    assert "INSUFFICIENT_PERMISSIONS" in result["error"] and "CREATE TABLE" in result["error"]
    assert "ask the owner of the schema or table for them, or choose a schema you own" in result["error"]
    assert standin.uc.tables(target, "shared") == []


def test_a_missing_target_schema_is_created_and_a_missing_catalog_refused(
    standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path]
) -> None:
    _put(volume, datasets["first"])
    result = _create(volume, workspace_client, target_schema="brand_new")
    assert result["success"] is True and result["schema_created"] is True
    assert standin.uc.tables(volume.catalog, "brand_new") == sorted(TABLE_NAMES)
    standin.requests.clear()
    with pytest.raises(CatalogNotFoundError, match="Catalog 'nowhere' does not exist"):
        _create(volume, workspace_client, target_catalog="nowhere")
    assert not standin.requests.find("POST", r"/sql/statements")


@pytest.mark.parametrize(
    ("damage", "error", "fragment"),
    [
        ("no manifest", DatabricksApiError, "_manifest.json does not exist"),
        ("csv", RuleErrors, "the dataset there is csv"),
        ("no orders", RuleErrors, "its manifest lacks orders"),
    ],
)
def test_an_incomplete_or_foreign_dataset_is_refused_before_any_statement(
    standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path], damage: str, error: type, fragment: str
) -> None:
    folder = _put(volume, datasets["first"])
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    if damage == "no manifest":
        (folder / MANIFEST_NAME).unlink()
    else:
        if damage == "csv":
            manifest["format"] = "csv"
        else:
            del manifest["tables"]["orders"]
        (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    standin.requests.clear()
    with pytest.raises(error, match=fragment):
        _create(volume, workspace_client)
    assert not standin.requests.find("POST", r"/sql/statements")


def test_stale_files_in_a_table_folder_are_caught_before_any_table_is_replaced(
    standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path]
) -> None:
    folder = _put(volume, datasets["first"])
    extra = pq.read_table(next((folder / "stores").glob("*.parquet")))
    pq.write_table(extra, folder / "stores" / "part-99999-from-an-earlier-upload.parquet")
    result = _create(volume, workspace_client)
    assert result["success"] is False and "the folder holds files of another run" in result["error"]
    assert standin.uc.tables(volume.catalog, volume.schema) == []


def test_customers_history_becomes_a_table_when_the_dataset_has_it(
    standin: Any, workspace_client: Any, volume: Any, datasets: dict[str, Path]
) -> None:
    """The tables are the manifest's: a dataset with the optional customers_history gives eight tables, the
    history with its BOOLEAN flag, nullable TIMESTAMP_NTZ end and a foreign key to customers; a later dataset
    without one leaves it as it was and says so."""
    _put(volume, datasets["history"])
    result = _create(volume, workspace_client)
    assert result["success"] is True, result["error"]
    assert result["left_as_is"] == []
    manifest = json.loads((datasets["history"] / MANIFEST_NAME).read_text())
    assert list(result["tables"]) == [*TABLE_NAMES, "customers_history"]
    assert result["tables"]["customers_history"]["rows"] == manifest["tables"]["customers_history"]["rows"] > 0
    assert standin.uc.tables(volume.catalog, volume.schema) == sorted([*TABLE_NAMES, "customers_history"])
    for table in ("customers", "customers_history"):
        _assert_landed(standin, volume, datasets["history"], table)
    types = {
        c.name: c.type.text for c in standin.uc.describe(f"{volume.catalog}.{volume.schema}.customers_history").columns
    }
    assert (types["valid_to"], types["is_current"]) == ("timestamp_ntz", "boolean")

    history = f"{volume.catalog}.{volume.schema}.customers_history"
    kept = standin.uc.rows(history).to_pylist()
    _put(volume, datasets["first"])
    again = _create(volume, workspace_client)
    assert again["success"] is True and list(again["tables"]) == list(TABLE_NAMES)
    assert again["left_as_is"] == [history] and standin.uc.rows(history).to_pylist() == kept


BAD_VALUES: dict[str, list[Any]] = {
    "catalog": ["a.b"],
    "volume": ["a b"],
    "remote_subfolder": ["/abs", "a/"],
    "warehouse_id": ["0123-456789-abcdef01", "xyz"],
    "timeout_sec": [0],
    "target_schema": ["tick`"],
}


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, values in BAD_VALUES.items() for v in values])
def test_bad_input_is_refused_before_any_request(standin: Any, workspace_client: Any, field: str, value: Any) -> None:
    call = {"catalog": "main", "schema": "default", "volume": "v", field: value}
    standin.requests.clear()
    with pytest.raises(RuleErrors) as info:
        create_tables_from_volume(**call, client=workspace_client)
    assert info.value.errors[0].field == field
    assert len(standin.requests) == 0
