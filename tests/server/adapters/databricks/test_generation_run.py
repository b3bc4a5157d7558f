"""submit_generation_run against the stand-in: runs/submit with a serverless environment (or a cluster),
the slim core wheel installed into the run's sandbox, the bundle's job script really run on local Spark,
and the typed Delta tables (the seven and, asked for, customers_history) landing where the SQL warehouse
and Unity Catalog see them.

Three real Spark runs, shared by the tests of this module (a session on 2 cores costs tens of seconds):
one serverless run that writes the tables, one cluster run that fails in its third table, one
incremental run that appends a day to them. Everything else here needs no Spark.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.dataset as pa_ds
import pytest
from databricks_standin import StandinWorkspace

from generator.rules import RuleErrors
from generator.runner import run
from generator.schema import ALL_TABLES, dataset_tables
from generator.spark.target import STATE_TABLE, TABLE_PRIVILEGES_HINT
from generator.spec import DatasetSpec
from server.adapters.databricks.errors import CatalogNotFoundError, DatabricksApiError
from server.adapters.databricks.generation_run import submit_generation_run
from server.adapters.databricks.jobs import cancel_job_run, get_job_run, wait_for_job_run
from server.adapters.databricks.table_ddl import sql_type

CATALOG, SCHEMA = "spark_catalog", "retail_submitted"
SPEC = {
    "scale": "small",
    "scale_factor": 0.05,
    "days": 2,
    "seed": 11,
    "end_date": date(2025, 6, 30),
    "customer_history": True,
}
#: What a run of SPEC writes: the seven tables, then customers_history.
WRITTEN = dataset_tables(customer_history=True)
RUN_WAIT_SEC = 900


@pytest.fixture(scope="module")
def spark_standin(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One stand-in for the module, its one-time runs on the stand-in's local Spark runtime."""
    root = tmp_path_factory.mktemp("spark-standin")
    workspace = StandinWorkspace(root / "workspace").start()
    workspace.enable_spark(root / "spark")
    workspace.jobs.submit_pending_seconds = 0.05
    try:
        yield workspace
    finally:
        workspace.close()


@pytest.fixture(scope="module")
def spark_client(spark_standin: Any) -> Any:
    return spark_standin.client()


@pytest.fixture(scope="module")
def first_run(spark_standin: Any, spark_client: Any) -> dict[str, Any]:
    """A serverless run of SPEC into spark_catalog.retail_submitted, waited for to its end."""
    submitted = submit_generation_run(CATALOG, SCHEMA, **SPEC, client=spark_client)
    final = wait_for_job_run(submitted["run_id"], RUN_WAIT_SEC, client=spark_client)
    return {"submitted": submitted, "final": final}


@pytest.fixture(scope="module")
def local_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("local-dataset") / "data"
    run(DatasetSpec(**SPEC), folder, fmt="parquet", workers=1)
    return folder


def _sorted_rows(rows: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    key = ALL_TABLES[table].primary_key
    return sorted(rows, key=lambda row: tuple(row[column] for column in key))


def _versions(standin: Any) -> dict[str, int]:
    return {t: len(standin.uc.describe(f"{CATALOG}.{SCHEMA}.{t}").versions) for t in WRITTEN}


# --------------------------------------------------------------------------- with Spark


def test_a_serverless_run_lands_the_typed_tables_in_unity_catalog(
    first_run: dict[str, Any], spark_standin: Any, spark_client: Any, local_dataset: Path
) -> None:
    submitted, final = first_run["submitted"], first_run["final"]
    assert (
        submitted["run_page_url"].startswith(spark_standin.url)
        and str(submitted["run_id"]) in submitted["run_page_url"]
    )
    assert submitted["job_id"] is None
    assert submitted["workspace_host"] == spark_standin.url
    assert submitted["compute"] == "serverless (environment version 4)"
    assert submitted["tables"] == [f"{CATALOG}.{SCHEMA}.{t}" for t in WRITTEN]
    assert final["done"] and final["success"], get_job_run(submitted["run_id"], client=spark_client)["error"]

    assert spark_standin.uc.tables(CATALOG, SCHEMA) == sorted([*WRITTEN, STATE_TABLE])  # no staging table left
    logs = get_job_run(submitted["run_id"], client=spark_client, max_output_chars=20_000)["tasks"][0]["logs"]
    assert "writing delta tables" in logs  # the stand-in's runtime has Delta, as every Databricks runtime
    for table in WRITTEN:
        described = spark_standin.uc.describe(f"{CATALOG}.{SCHEMA}.{table}")
        definition = ALL_TABLES[table]
        assert described.comment == definition.description
        assert [(c.name, c.type.text) for c in described.columns] == [
            (f.name, sql_type(f.type).lower()) for f in definition.schema
        ]
        assert [c.comment for c in described.columns] == [
            definition.column_description(n) for n in definition.schema.names
        ]
        assert [c.nullable for c in described.columns] == [f.nullable for f in definition.schema]  # Delta: exact
        local = pa_ds.dataset(local_dataset / table, format="parquet").to_table()
        landed = spark_standin.uc.rows(f"{CATALOG}.{SCHEMA}.{table}")
        assert _sorted_rows(landed.to_pylist(), table) == _sorted_rows(local.to_pylist(), table), table
    orders = spark_standin.uc.describe(f"{CATALOG}.{SCHEMA}.orders").columns
    assert {c.name: c.type.text for c in orders}["order_total"] == "decimal(12,2)"
    assert {c.name: c.type.text for c in orders}["order_ts"] == "timestamp_ntz"

    counted = spark_client.statement_execution.execute_statement(
        statement=f"SELECT count(*) AS n FROM {CATALOG}.{SCHEMA}.order_items", warehouse_id=spark_standin.warehouse_id
    )
    local_items = pa_ds.dataset(local_dataset / "order_items", format="parquet").count_rows()
    assert counted.status.state.value == "SUCCEEDED" and counted.result.data_array == [[str(local_items)]]


def test_the_run_installs_only_the_core_wheel_and_keeps_the_runtimes_libraries(
    first_run: dict[str, Any], spark_standin: Any
) -> None:
    submitted = first_run["submitted"]
    submission = spark_standin.jobs.submitted(submitted["run_id"])
    (environment,) = submission.spec["environments"]
    assert environment["spec"] == {"environment_version": "4", "dependencies": [submitted["wheel_path"]]}
    (task,) = submission.spec["tasks"]
    assert task["environment_key"] == environment["environment_key"] and "libraries" not in task
    assert task["spark_python_task"]["python_file"] == submitted["job_script"]
    params = task["spark_python_task"]["parameters"]
    flags = dict(zip(params[0::2], params[1::2], strict=True))
    assert flags == {
        "--catalog": CATALOG,
        "--schema": SCHEMA,
        "--scale": "small",
        "--days": "2",
        "--overwrite": "true",
        "--seed": "11",
        "--scale-factor": "0.05",
        "--end-date": "2025-06-30",
        "--customer-history": "true",
        "--mode": "overwrite",
    }
    assert submission.installed == ["retail-datagen-core"]  # nothing else pip-installed into the sandbox
    checks = submission.requirements("retail-datagen-core")
    assert [(c.requirement, c.provided_by) for c in checks] == [("numpy", "runtime"), ("pyarrow", "runtime")]
    assert submitted["wheel_path"].startswith(f"/Workspace/Users/{spark_standin.user_name}/retail_datagen/0.1.0+g")
    wheel = spark_standin.workspace_store.local(spark_standin.workspace_store.normalize(submitted["wheel_path"]))
    with zipfile.ZipFile(io.BytesIO(wheel.read_bytes())) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert tops == {"generator", Path(submitted["wheel_path"]).name.rsplit("-", 3)[0] + ".dist-info"}


def test_get_and_cancel_job_run_follow_a_submitted_run(first_run: dict[str, Any], spark_client: Any) -> None:
    run_id = first_run["submitted"]["run_id"]
    details = get_job_run(run_id, client=spark_client)
    assert details["success"] is True and details["error"] is None
    (task,) = details["tasks"]
    assert task["task_key"] == "generate_data" and task["result_state"] == "SUCCESS"
    assert "done: " in task["logs"] and "rows in 8" in task["logs"]
    assert cancel_job_run(run_id, client=spark_client, wait_sec=5)["result_state"] == "SUCCESS"  # over already


def test_a_retried_submit_with_the_same_token_returns_the_first_run(
    first_run: dict[str, Any], spark_standin: Any, spark_client: Any
) -> None:
    submitted = first_run["submitted"]
    runs_before = sorted(spark_standin.jobs.submitted_runs)
    again = submit_generation_run(
        CATALOG, SCHEMA, **SPEC, idempotency_token=submitted["idempotency_token"], client=spark_client
    )
    assert again["run_id"] == submitted["run_id"]
    assert sorted(spark_standin.jobs.submitted_runs) == runs_before


def test_a_cluster_run_that_fails_in_its_third_table_leaves_the_previous_tables_intact(
    first_run: dict[str, Any], spark_standin: Any, spark_client: Any
) -> None:
    assert first_run["final"]["success"]
    versions = _versions(spark_standin)
    rows = {t: spark_standin.uc.rows(f"{CATALOG}.{SCHEMA}.{t}").to_pylist() for t in WRITTEN}
    stopped = spark_standin.add_cluster(state="TERMINATED", start_delay=0.2).cluster_id
    refusal = (
        f"[INSUFFICIENT_PERMISSIONS] Insufficient privileges: User does not have MODIFY on Table '{SCHEMA}.customers'."
    )
    spark_standin.faults.fail_spark_sql(r"^INSERT OVERWRITE TABLE .*customers", refusal)

    submitted = submit_generation_run(CATALOG, SCHEMA, **{**SPEC, "seed": 12}, cluster_id=stopped, client=spark_client)
    final = wait_for_job_run(submitted["run_id"], RUN_WAIT_SEC, client=spark_client)

    assert final["done"] and not final["success"]
    details = get_job_run(submitted["run_id"], client=spark_client)
    assert "INSUFFICIENT_PERMISSIONS" in details["error"]
    logs = details["tasks"][0]["logs"]
    assert "stores: " in logs and "products: " in logs and "customers: " not in logs.split("generation failed")[0]
    assert "generation failed, existing tables left as they were" in logs
    assert TABLE_PRIVILEGES_HINT in logs  # the workspace's message, then what to do
    assert _versions(spark_standin) == versions  # the tables written before the failure were restored to their files
    assert {t: spark_standin.uc.rows(f"{CATALOG}.{SCHEMA}.{t}").to_pylist() for t in WRITTEN} == rows
    assert spark_standin.uc.tables(CATALOG, SCHEMA) == sorted([*WRITTEN, STATE_TABLE])
    submission = spark_standin.jobs.submitted(submitted["run_id"])
    (task,) = submission.spec["tasks"]
    assert task["existing_cluster_id"] == stopped and task["libraries"] == [{"whl": submitted["wheel_path"]}]
    assert "environments" not in submission.spec
    assert submission.installed == ["retail-datagen-core"]
    assert submitted["compute"] == f"cluster {stopped}"


def test_an_incremental_run_appends_a_day_taking_the_rest_from_the_tables(
    first_run: dict[str, Any], spark_standin: Any, spark_client: Any, tmp_path: Path
) -> None:
    """mode incremental through runs/submit: the job gets only `days` (what the call set) and takes the
    other parameters from the tables' state table; the result equals one longer run."""
    assert first_run["final"]["success"]
    submitted = submit_generation_run(CATALOG, SCHEMA, days=1, mode="incremental", given=["days"], client=spark_client)
    final = wait_for_job_run(submitted["run_id"], RUN_WAIT_SEC, client=spark_client)
    details = get_job_run(submitted["run_id"], client=spark_client, max_output_chars=20_000)
    assert final["done"] and final["success"], details["error"]
    (task,) = spark_standin.jobs.submitted(submitted["run_id"]).spec["tasks"]
    params = task["spark_python_task"]["parameters"]
    assert dict(zip(params[0::2], params[1::2], strict=True)) == {
        "--catalog": CATALOG,
        "--schema": SCHEMA,
        "--overwrite": "true",
        "--days": "1",
        "--mode": "incremental",
    }
    assert "incremental, dataset version 1" in details["tasks"][0]["logs"]
    longer = DatasetSpec(**{**SPEC, "days": SPEC["days"] + 1, "end_date": date(2025, 7, 1)})
    run(longer, tmp_path / "longer", fmt="parquet", workers=1)
    for table in WRITTEN:
        local = pa_ds.dataset(tmp_path / "longer" / table, format="parquet").to_table()
        landed = spark_standin.uc.rows(f"{CATALOG}.{SCHEMA}.{table}")
        assert _sorted_rows(landed.to_pylist(), table) == _sorted_rows(local.to_pylist(), table), table


# --------------------------------------------------------------------------- without Spark


@pytest.fixture
def held(standin: Any) -> Any:
    """The stand-in with one-time runs held PENDING (nothing runs; the tests cancel what they submit)."""
    standin.jobs.submit_pending_seconds = 120
    return standin


def test_the_call_returns_at_once_and_a_missing_schema_is_created(held: Any, workspace_client: Any) -> None:
    catalog = held.create_catalog()
    progress: list[str] = []
    submitted = submit_generation_run(
        catalog, "fresh", client=workspace_client, progress=lambda done, total, message: progress.append(message)
    )
    assert submitted["life_cycle_state"] == "PENDING" and submitted["done"] is False
    assert submitted["schema_created"] is True and "fresh" in held.uc.catalog(catalog).schemas
    assert f"Created the schema {catalog}.fresh" in progress
    assert any(message.startswith("Submitted run ") for message in progress)
    cancelled = cancel_job_run(submitted["run_id"], client=workspace_client, wait_sec=10)
    assert cancelled["result_state"] == "CANCELED"


def test_a_short_wait_reports_the_runs_state_and_returns_its_handle(held: Any, workspace_client: Any) -> None:
    catalog = held.create_catalog()
    seen: list[tuple[float, float | None, str]] = []
    submitted = submit_generation_run(
        catalog, "s", wait_sec=2, client=workspace_client, progress=lambda *update: seen.append(update)
    )
    run_id = submitted["run_id"]
    assert submitted["done"] is False and submitted["life_cycle_state"] == "PENDING"
    waits = [update for update in seen if update[2].startswith(f"Run {run_id}: PENDING after ")]
    assert waits and all(total == 2.0 for _, total, _ in waits)
    cancel_job_run(run_id, client=workspace_client, wait_sec=10)


def test_the_wheel_may_go_to_a_volume_folder(held: Any, workspace_client: Any, volume: Any) -> None:
    catalog = held.create_catalog()
    submitted = submit_generation_run(catalog, "s", upload_folder=f"{volume.path}/libs", client=workspace_client)
    assert submitted["upload_folder"].startswith(f"{volume.path}/libs/0.1.0+g")
    assert held.local_path(submitted["wheel_path"]).is_file() and held.local_path(submitted["job_script"]).is_file()
    environment = held.jobs.submitted(submitted["run_id"]).spec["environments"][0]
    assert environment["spec"]["dependencies"] == [submitted["wheel_path"]]
    cancel_job_run(submitted["run_id"], client=workspace_client, wait_sec=10)


def test_a_missing_catalog_is_a_clear_error_before_anything_is_uploaded(held: Any, workspace_client: Any) -> None:
    with pytest.raises(CatalogNotFoundError) as info:
        submit_generation_run("no_such_catalog", "s", client=workspace_client)
    message = str(info.value)
    assert "Catalog 'no_such_catalog' does not exist" in message and "main" in message
    assert not held.requests.find("POST", r"/workspace/import$") and not held.jobs.submitted_runs


def test_a_refused_create_schema_is_the_workspaces_message_plus_the_grant_to_ask_for(
    held: Any, workspace_client: Any
) -> None:
    catalog = held.create_catalog()
    held.uc.set_owner(catalog, "data.owner@example.com")
    with pytest.raises(DatabricksApiError) as info:
        submit_generation_run(catalog, "fresh", client=workspace_client)
    message = str(info.value)
    assert f"User does not have CREATE SCHEMA on Catalog '{catalog}'" in message
    assert (
        f"Ask its owner (data.owner@example.com) to run GRANT USE CATALOG, CREATE SCHEMA ON CATALOG `{catalog}`"
        in message
    )
    assert not held.jobs.submitted_runs


def catalog_with_a_stores_table(held: Any, workspace_client: Any) -> str:
    """A new catalog whose default schema already holds a (foreign) stores table."""
    catalog = held.create_catalog()
    response = workspace_client.statement_execution.execute_statement(
        statement=f"CREATE TABLE {catalog}.default.stores (store_id INT)", warehouse_id=held.warehouse_id
    )
    assert response.status.state.value == "SUCCEEDED"
    return catalog


def test_overwrite_false_refuses_existing_tables_before_submitting(held: Any, workspace_client: Any) -> None:
    catalog = catalog_with_a_stores_table(held, workspace_client)
    with pytest.raises(RuleErrors, match=r"overwrite=False: 1 target tables exist .*\(stores\)"):
        submit_generation_run(catalog, "default", overwrite=False, client=workspace_client)
    assert not held.jobs.submitted_runs


def test_a_job_cluster_is_refused_before_submitting(held: Any, workspace_client: Any) -> None:
    job_cluster = held.add_cluster(cluster_source="JOB").cluster_id
    with pytest.raises(RuleErrors, match="cannot run another run's tasks"):
        submit_generation_run("main", "default", cluster_id=job_cluster, client=workspace_client)
    assert not held.jobs.submitted_runs


def test_a_merge_passes_only_the_given_parameters_and_may_find_the_tables(held: Any, workspace_client: Any) -> None:
    """overwrite=false refuses existing tables for a fresh dataset only: a merge changes the tables it finds."""
    catalog = catalog_with_a_stores_table(held, workspace_client)
    submitted = submit_generation_run(
        catalog, "default", scale="medium", overwrite=False, mode="merge", given=["scale"], client=workspace_client
    )
    (task,) = held.jobs.submitted(submitted["run_id"]).spec["tasks"]
    params = task["spark_python_task"]["parameters"]
    assert dict(zip(params[0::2], params[1::2], strict=True)) == {
        "--catalog": catalog,
        "--schema": "default",
        "--overwrite": "false",
        "--scale": "medium",
        "--mode": "merge",
    }
    cancel_job_run(submitted["run_id"], client=workspace_client, wait_sec=5)


BAD_VALUES: dict[str, list[Any]] = {
    "catalog": ["a.b"],
    "schema": ["has space", "tick`"],
    "scale_factor": [0, 5000],
    "days": [400],
    "end_date": ["2025-02-30"],
    "cluster_id": ["id with spaces"],
    "upload_folder": ["relative/folder", "/Volumes/a.b/s/v/libs"],
    "environment_version": [0],
    "wait_sec": [-1],
    "customer_history": ["maybe"],
    "mode": ["append"],
    "given": [["days", "colour"], "days"],
}


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, values in BAD_VALUES.items() for v in values])
def test_bad_input_is_refused_before_any_request(standin: Any, workspace_client: Any, field: str, value: Any) -> None:
    call = {"catalog": "main", "schema": "default", field: value}
    standin.requests.clear()
    with pytest.raises(RuleErrors) as info:
        submit_generation_run(**call, client=workspace_client)
    assert info.value.errors[0].field.startswith(field)
    assert len(standin.requests) == 0
