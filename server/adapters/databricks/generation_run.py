"""submit_generation_run: the bundle job's Spark code path as a one-time run (Jobs API ``runs/submit``),
on serverless compute by default or on an all-purpose cluster, writing the seven tables (and
customers_history when asked for) as typed Delta tables into ``<catalog>.<schema>``, all or nothing.
Nothing needs to be deployed first.

How a call goes:

1. Checks, each a second and before anything is written: the catalog exists (else the catalogs you may
   use are named), a ``cluster_id`` names an all-purpose cluster, with ``overwrite=false`` (mode overwrite)
   no target table exists, and the schema exists or is created (a refused CREATE SCHEMA is the workspace's message plus
   the GRANT to ask for).
2. The slim core wheel (``core_wheel``: the generator package, numpy and pyarrow unpinned) and the
   bundle's job script (``templates/databricks/src/generate_data_job.py``) are put in ``upload_folder``,
   by default ``/Workspace/Users/<you>/retail_datagen/<core version>/`` (a ``/Volumes/...`` folder works
   too). The version carries a digest, so a changed package never reuses an old file.
3. ``runs/submit`` with an idempotency token (a retried request never starts a second run): a task that
   runs the job script with every generation parameter, on a serverless environment whose one
   dependency is the wheel, or on ``existing_cluster_id`` with the wheel as its library.
4. The call returns at once with ``run_id`` and ``run_page_url``, or after waiting up to ``wait_sec``
   with progress; ``get_job_run`` and ``cancel_job_run`` follow and stop the run like any other. The job
   writes staging tables and swaps them in only when all of them exist (``generator.spark``); with mode
   incremental or merge it grows the tables with INSERT and MERGE INTO instead, restoring them on failure.
"""

from __future__ import annotations

import io
import threading
import uuid
from typing import Any

from pydantic import StrictBool

from databricks.sdk import WorkspaceClient
from databricks.sdk.service.compute import Environment, Library
from databricks.sdk.service.jobs import JobEnvironment, SparkPythonTask, SubmitTask
from generator import name_rules, rules
from generator.fields import (
    CatalogName,
    ClusterId,
    CustomerHistory,
    Days,
    EndDate,
    EnvironmentVersion,
    Given,
    IdempotencyToken,
    Mode,
    Scale,
    ScaleFactor,
    SchemaName,
    Seed,
    WorkspacePath,
    validated,
)
from generator.modes import OVERWRITE
from generator.portable import TEMPLATES_DIR
from generator.schema import dataset_tables
from generator.spec import DEFAULT_DAYS, DEFAULT_SCALE, DEFAULT_SEED
from server.adapters.databricks.auth import resolve_client, workspace_host
from server.adapters.databricks.calls import api_error, with_retries
from server.adapters.databricks.cluster_state import check_cluster
from server.adapters.databricks.core_wheel import core_wheel_bytes
from server.adapters.databricks.jobs import WaitSeconds, build_python_params, wait_for_job_run
from server.adapters.databricks.polling import ProgressFn, report
from server.adapters.databricks.unity_catalog import ensure_schema, existing_tables, require_catalog
from server.adapters.databricks.volumes import ensure_volume_exists
from server.adapters.databricks.workspace import upload_script_to_workspace

JOB_SCRIPT = TEMPLATES_DIR / "databricks" / "src" / "generate_data_job.py"
TASK_KEY = "generate_data"
ENVIRONMENT_KEY = "retail_datagen"
#: The serverless environment version runs get unless told otherwise (each ships numpy and pyarrow).
DEFAULT_ENVIRONMENT_VERSION = 4


def _default_folder(client: WorkspaceClient) -> str:
    """``/Workspace/Users/<you>/retail_datagen``: yours, and there in every workspace."""
    try:
        me = with_retries(lambda: client.current_user.me())
    except Exception as exc:
        raise api_error(exc, "read the current user (to name the upload folder)") from None
    return f"/Workspace/Users/{me.user_name}/retail_datagen"


def _upload(client: WorkspaceClient, path: str, data: bytes) -> None:
    """Put ``data`` at ``path``: a Volume file through the Files API, else a workspace file."""
    if not path.startswith("/Volumes/"):
        upload_script_to_workspace.raw_function(path, client=client, overwrite=True, content=data)  # type: ignore[attr-defined]
        return
    try:
        with_retries(lambda: client.files.upload(path, io.BytesIO(data), overwrite=True))
    except Exception as exc:
        raise api_error(exc, f"upload {path}") from None


def upload_job_files(client: WorkspaceClient, upload_folder: str | None) -> tuple[str, str, str]:
    """Upload the core wheel and the job script; returns (folder, wheel path, script path)."""
    if not JOB_SCRIPT.is_file():
        raise FileNotFoundError(f"The bundle's job script {JOB_SCRIPT} is missing: reinstall retail-datagen.")
    name, wheel = core_wheel_bytes()
    version = name.split("-")[1]
    if upload_folder is not None and upload_folder.startswith("/Volumes/"):
        parts = upload_folder.split("/")
        ensure_volume_exists(client, parts[2], parts[3], parts[4])
    folder = f"{(upload_folder or _default_folder(client)).rstrip('/')}/{version}"
    wheel_path, script_path = f"{folder}/{name}", f"{folder}/{JOB_SCRIPT.name}"
    _upload(client, wheel_path, wheel)
    _upload(client, script_path, JOB_SCRIPT.read_bytes())
    return folder, wheel_path, script_path


def _task(script: str, params: list[str], wheel: str, cluster_id: str | None) -> SubmitTask:
    python = SparkPythonTask(python_file=script, parameters=params)
    if cluster_id is None:
        return SubmitTask(task_key=TASK_KEY, spark_python_task=python, environment_key=ENVIRONMENT_KEY)
    return SubmitTask(
        task_key=TASK_KEY, spark_python_task=python, existing_cluster_id=cluster_id, libraries=[Library(whl=wheel)]
    )


@validated
def submit_generation_run(
    catalog: CatalogName,
    schema: SchemaName,
    scale: Scale = DEFAULT_SCALE,
    scale_factor: ScaleFactor = 1.0,
    days: Days = DEFAULT_DAYS,
    seed: Seed = DEFAULT_SEED,
    end_date: EndDate | None = None,
    overwrite: StrictBool = True,
    wait_sec: WaitSeconds = 0,
    *,
    customer_history: CustomerHistory = False,
    mode: Mode = OVERWRITE,
    given: Given = None,
    cluster_id: ClusterId | None = None,
    upload_folder: WorkspacePath | None = None,
    environment_version: EnvironmentVersion = DEFAULT_ENVIRONMENT_VERSION,
    idempotency_token: IdempotencyToken | None = None,
    client: WorkspaceClient | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Submit a one-time run that generates the seven tables (and customers_history with ``customer_history``)
    into ``catalog.schema`` (see the module doc); ``end_date`` None is the generator's (2025-12-31).

    ``mode`` incremental appends the days after the tables' last day (``days`` more, or up to ``end_date``),
    merge brings them to these parameters (MERGE INTO; see generator.spark.revise): the job then gets only
    the dataset parameters named in ``given`` (None: all), and takes the others from what the tables hold.
    The job decides (and may refuse, exit code 2, saying what the tables hold) when it runs.

    Returns the run handle of ``get_job_run`` (``run_id, job_id`` (None), ``run_page_url,
    life_cycle_state, result_state, state_message, done, success``) plus ``workspace_host``, ``compute``,
    ``wheel_path``, ``job_script``, ``upload_folder``, ``tables`` (the full names the run writes),
    ``schema_created`` and ``idempotency_token`` (pass it again to get this run instead of a new one).
    Raises RuleErrors before any request for bad values (and, after the checks, for overwrite=false with
    target tables present or unusable compute), CatalogNotFoundError, DatabricksApiError.
    """
    if upload_folder is not None and upload_folder.startswith("/Volumes/"):
        # A Volume folder needs valid catalog, schema and volume names as well.
        upload_folder = name_rules.VOLUME_FOLDER(upload_folder, "upload_folder")
    token = idempotency_token or str(uuid.uuid4())
    params = build_python_params(
        catalog,
        schema,
        scale,
        days,
        overwrite,
        seed,
        scale_factor=scale_factor,
        end_date=end_date,
        customer_history=customer_history,
        mode=mode,
        passed=None if mode == OVERWRITE else given,
    )
    tables = dataset_tables(customer_history)
    client = resolve_client(client)
    owner = require_catalog(client, catalog)
    if cluster_id is not None:
        check_cluster(client, cluster_id, for_commands=False, may_start=True)
    if not overwrite and mode == OVERWRITE:  # an incremental or merge run changes the tables it finds
        present = existing_tables(client, catalog, schema, tables)
        if present:
            raise rules.refusal(
                "overwrite",
                False,
                "true (replace them; the swap keeps their history), or a schema without these tables",
                f"{len(present)} target tables exist in {catalog}.{schema} ({', '.join(present)})",
            )
    schema_created = ensure_schema(client, catalog, schema, owner)
    if schema_created:
        report(progress, 0, None, f"Created the schema {catalog}.{schema}")
    report(progress, 0, None, "Uploading the core wheel and the job script")
    folder, wheel_path, script_path = upload_job_files(client, upload_folder)
    environments = None
    if cluster_id is None:
        spec = Environment(environment_version=str(environment_version), dependencies=[wheel_path])
        environments = [JobEnvironment(environment_key=ENVIRONMENT_KEY, spec=spec)]
    task = _task(script_path, params, wheel_path, cluster_id)
    try:
        waiter = with_retries(
            lambda: client.jobs.submit(
                run_name=f"retail-datagen {catalog}.{schema}",
                tasks=[task],
                environments=environments,
                idempotency_token=token,
            )
        )
    except Exception as exc:
        raise api_error(exc, f"submit the generation run into {catalog}.{schema}") from None
    run_id = int(waiter.response.run_id)
    report(progress, 0, float(wait_sec) or None, f"Submitted run {run_id}")
    handle = wait_for_job_run.raw_function(run_id, wait_sec, client=client, progress=progress, cancel=cancel)  # type: ignore[attr-defined]
    compute = f"cluster {cluster_id}" if cluster_id else f"serverless (environment version {environment_version})"
    return {
        **handle,
        "workspace_host": workspace_host(client),
        "compute": compute,
        "wheel_path": wheel_path,
        "job_script": script_path,
        "upload_folder": folder,
        "tables": [f"{catalog}.{schema}.{table}" for table in tables],
        "schema_created": schema_created,
        "idempotency_token": token,
    }
