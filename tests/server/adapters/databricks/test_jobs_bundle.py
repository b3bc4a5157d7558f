"""End to end: trigger_bundle_job runs the bundle's REAL job script, which writes the seven tables, and
a second run of the job with --mode incremental appends two days to them.

The stand-in's job runs templates/databricks/src/generate_data_job.py with the slim core wheel
attached as a job library (``register_job(libraries=[wheel])``, the stand-in's version of the
classic target's ``libraries: - whl: ...``), so the script imports the generator from the wheel
as on a real cluster, and writes on a local Spark session. PYSPARK_SUBMIT_ARGS (which pyspark
itself reads) gives that session Delta's jars, extension and catalog (tests/spark_session.py),
a warehouse in the test's tmp_path and a Derby metastore beside it, so the second run finds the
tables the first one made, as runs of a job in a workspace do. The managed tables are Delta tables
in ``<warehouse>/<schema>.db/<table>``, read back here through their logs and compared with the
local generator's rows for the same parameters.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from deltalake import DeltaTable
from spark_session import submit_args

from generator.runner import run
from generator.schema import TABLE_NAMES
from generator.spark.target import STATE_TABLE
from generator.spec import DatasetSpec
from server.adapters.databricks import get_job_run, trigger_bundle_job, wait_for_job_run
from server.adapters.databricks.core_wheel import build_core_wheel
from tests.generator.conftest import dataset_rows
from tests.server.mcp_helpers import REPO

PROJECT_ROOT = REPO
JOB_SCRIPT = PROJECT_ROOT / "templates" / "databricks" / "src" / "generate_data_job.py"
CATALOG, SCHEMA = "spark_catalog", "retail_bundle_job"
RUN_LIMIT_SEC = 180


def _finished(handle: dict, client: object) -> tuple[dict, str]:
    """Wait for a run to end; its handle and its task's logs."""
    started = time.monotonic()
    while not handle["done"] and time.monotonic() - started < RUN_LIMIT_SEC:
        handle = wait_for_job_run(handle["run_id"], 10, client=client)
    details = get_job_run(handle["run_id"], client=client, max_output_chars=20_000)
    logs = "\n".join(task.get("logs") or "" for task in details["tasks"])
    assert handle["done"] is True, f"run not done after {RUN_LIMIT_SEC} s:\n{logs}"
    assert handle["success"] is True and handle["result_state"] == "SUCCESS", f"{details.get('error')}\n{logs}"
    return handle, logs


def _rows(table: Any) -> Counter:
    return Counter(tuple(row.values()) for row in table.to_pylist())


def test_trigger_bundle_job_runs_the_real_job_script_and_an_increment_appends_to_its_tables(
    standin, workspace_client, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    env = {"PYSPARK_SUBMIT_ARGS": submit_args(warehouse, metastore=tmp_path), "PYSPARK_PYTHON": sys.executable}
    job_id = standin.register_job(
        "retail_data_generation",
        JOB_SCRIPT,
        libraries=[build_core_wheel(tmp_path / "dist")],
        env=env,
        pending_seconds=0.1,
    )

    handle = trigger_bundle_job(
        catalog=CATALOG,
        schema=SCHEMA,
        scale="small",
        days=3,
        overwrite=True,
        seed=42,
        wait_sec=RUN_LIMIT_SEC,
        client=workspace_client,
    )
    handle, logs = _finished(handle, workspace_client)
    assert handle["job_id"] == job_id
    assert "cannot import retail-datagen" not in logs
    assert "summary (delta tables" in logs, logs

    expected = run(DatasetSpec(scale="small", days=3, seed=42), tmp_path / "local").tables
    schema_dir = warehouse / f"{SCHEMA}.db"
    listed = sorted(p.name for p in schema_dir.iterdir() if not p.name.startswith((".", "_")))
    assert listed == sorted([*TABLE_NAMES, STATE_TABLE])
    for table in TABLE_NAMES:
        written = DeltaTable(schema_dir / table).to_pyarrow_table()
        assert written.num_rows == expected[table].rows, table
        assert written.num_rows > 0, table
        assert f"{table} " in logs  # the job's summary names every table with its rows

    # Two more days: the job takes the other parameters from what the tables hold.
    params = ["--catalog", CATALOG, "--schema", SCHEMA, "--mode", "incremental", "--days", "2"]
    waiter = workspace_client.jobs.run_now(job_id, python_params=params)
    _, logs = _finished(wait_for_job_run(waiter.response.run_id, 10, client=workspace_client), workspace_client)
    assert "incremental, dataset version 1" in logs, logs
    longer = DatasetSpec(scale="small", days=5, seed=42, end_date=date(2026, 1, 2))
    run(longer, tmp_path / "longer")
    for table, rows in dataset_rows(tmp_path / "longer").items():
        assert _rows(DeltaTable(schema_dir / table).to_pyarrow_table()) == _rows(rows), table


def test_without_the_library_the_real_job_script_cannot_import_the_project(standin, workspace_client):
    """The default isolation stays: the same job without libraries fails before Spark starts."""
    standin.register_job("retail_data_generation", JOB_SCRIPT, pending_seconds=0.1)
    handle = trigger_bundle_job(
        catalog=CATALOG, schema=SCHEMA, scale="small", days=3, seed=42, wait_sec=60, client=workspace_client
    )
    assert handle["done"] is True and handle["result_state"] == "FAILED", handle
    logs = get_job_run(handle["run_id"], client=workspace_client)["tasks"][0]["logs"]
    assert "cannot import retail-datagen" in logs, logs
