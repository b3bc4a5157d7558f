"""End to end: trigger_bundle_job runs the bundle's REAL job script, which writes the seven tables.

The stand-in's job runs templates/databricks/src/generate_data_job.py with the slim core wheel
attached as a job library (``register_job(libraries=[wheel])``, the stand-in's version of the
classic target's ``libraries: - whl: ...``), so the script imports the generator from the wheel
as on a real cluster, and writes on a local Spark session. PYSPARK_SUBMIT_ARGS (which pyspark
itself reads) points that session's warehouse into the test's tmp_path: Spark's in-memory
session catalog keeps managed tables as Parquet folders ``<warehouse>/<schema>.db/<table>``,
read back here and compared with the local generator's rows for the same spec.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from generator.runner import run
from generator.schema import TABLE_NAMES
from generator.spec import DatasetSpec
from server.adapters.databricks import get_job_run, trigger_bundle_job, wait_for_job_run
from server.adapters.databricks.core_wheel import build_core_wheel
from tests.server.mcp_helpers import REPO

PROJECT_ROOT = REPO
JOB_SCRIPT = PROJECT_ROOT / "templates" / "databricks" / "src" / "generate_data_job.py"
CATALOG, SCHEMA = "spark_catalog", "retail_bundle_job"
RUN_LIMIT_SEC = 180


def test_trigger_bundle_job_runs_the_real_job_script_and_writes_the_seven_tables(
    standin, workspace_client, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    submit_args = " ".join(
        [
            "--master local[2]",
            "--driver-memory 1g",
            f"--conf spark.sql.warehouse.dir={warehouse}",
            "--conf spark.ui.enabled=false",
            "--conf spark.sql.shuffle.partitions=2",
            "pyspark-shell",
        ]
    )
    job_id = standin.register_job(
        "retail_data_generation",
        JOB_SCRIPT,
        libraries=[build_core_wheel(tmp_path / "dist")],
        env={"PYSPARK_SUBMIT_ARGS": submit_args, "PYSPARK_PYTHON": sys.executable},
        pending_seconds=0.1,
    )

    started = time.monotonic()
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
    while not handle["done"] and time.monotonic() - started < RUN_LIMIT_SEC:
        handle = wait_for_job_run(handle["run_id"], 10, client=workspace_client)
    details = get_job_run(handle["run_id"], client=workspace_client, max_output_chars=20_000)
    logs = "\n".join(task.get("logs") or "" for task in details["tasks"])

    assert handle["job_id"] == job_id
    assert handle["done"] is True, f"run not done after {RUN_LIMIT_SEC} s:\n{logs}"
    assert handle["success"] is True and handle["result_state"] == "SUCCESS", f"{details.get('error')}\n{logs}"
    assert "cannot import retail-datagen" not in logs
    assert "summary (parquet tables" in logs, logs

    expected = run(DatasetSpec(scale="small", days=3, seed=42), tmp_path / "local").tables
    schema_dir = warehouse / f"{SCHEMA}.db"
    assert sorted(p.name for p in schema_dir.iterdir() if not p.name.startswith((".", "_"))) == sorted(TABLE_NAMES)
    for table in TABLE_NAMES:
        written = pq.read_table(schema_dir / table)
        assert written.num_rows == expected[table].rows, table
        assert written.num_rows > 0, table
        assert f"{table} " in logs  # the job's summary names every table with its rows


def test_without_the_library_the_real_job_script_cannot_import_the_project(standin, workspace_client):
    """The default isolation stays: the same job without libraries fails before Spark starts."""
    standin.register_job("retail_data_generation", JOB_SCRIPT, pending_seconds=0.1)
    handle = trigger_bundle_job(
        catalog=CATALOG, schema=SCHEMA, scale="small", days=3, seed=42, wait_sec=60, client=workspace_client
    )
    assert handle["done"] is True and handle["result_state"] == "FAILED", handle
    logs = get_job_run(handle["run_id"], client=workspace_client)["tasks"][0]["logs"]
    assert "cannot import retail-datagen" in logs, logs
