"""Generate locally, then upload to a Volume: the one-shot local workflow.

``generate_and_upload`` runs ``<project_path>/generate_data.py`` through
``server.adapters.scripts.execute_script`` (it writes Parquet under ``<project_path>/data/<table>/``)
and, only when that succeeded, uploads ``<project_path>/data`` with ``upload_to_volume``; with
``create_tables`` it goes on, once every file arrived, to make the tables with
``create_tables_from_volume`` (a SQL warehouse), so one call takes a user from nothing to tables.
Names and credentials are checked *before* the generation starts, so a typo in a catalog
name or missing credentials do not cost a generation run.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from pydantic import StrictBool

from databricks.sdk import WorkspaceClient
from generator.fields import (
    CatalogName,
    FolderOrRoot,
    ScaleFactor,
    SchemaName,
    ScriptTimeout,
    StatementsTimeout,
    VolumeName,
    WarehouseId,
    validated,
)
from generator.rules import RuleErrors
from server.adapters.databricks.auth import resolve_client
from server.adapters.databricks.errors import DatabricksApiError
from server.adapters.databricks.polling import ProgressFn, report
from server.adapters.databricks.volume_tables import create_tables_from_volume
from server.adapters.databricks.volumes import ensure_volume_exists, refuse_cleaning_the_root, upload_to_volume
from server.adapters.scripts import DATA_DIR_NAME, SCRIPT_NAME, execute_script


@validated
def generate_and_upload(
    project_path: str | Path,
    catalog: CatalogName,
    schema: SchemaName,
    volume: VolumeName,
    scale_factor: ScaleFactor = 1.0,
    remote_subfolder: FolderOrRoot = "incoming_data",
    clean: StrictBool = True,
    python_bin: str | None = None,
    timeout_sec: ScriptTimeout = 300,
    *,
    client: WorkspaceClient | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    max_parallel: int = 8,
    create_tables: StrictBool = False,
    warehouse_id: WarehouseId = None,
    tables_timeout_sec: StatementsTimeout = 600,
) -> dict[str, Any]:
    """Run ``generate_data.py`` locally, then upload its ``data`` folder to the Volume (and, with
    ``create_tables``, make the Delta tables from it in ``<catalog>.<schema>``).

    Returns ``{"generation": <execute_script result>, "upload": <upload_to_volume result> | None}``;
    ``upload`` is None when the generation failed (exit code != 0). With ``create_tables`` the result
    also has ``"tables"``: the ``create_tables_from_volume`` result, or None when the upload was not
    complete (nothing is created from a partial dataset); a refusal of its checks (no manifest, no
    warehouse) raises DatabricksApiError saying the upload itself worked. Exceptions of
    ``execute_script`` (``FileNotFoundError`` for a missing script, ``subprocess.TimeoutExpired``,
    a cancellation) and of ``upload_to_volume`` propagate.
    """
    refuse_cleaning_the_root(remote_subfolder, clean)
    project = Path(project_path).expanduser()
    if not (project / SCRIPT_NAME).is_file():
        raise FileNotFoundError(f"{project / SCRIPT_NAME} does not exist; create the project first.")

    client = resolve_client(client)
    ensure_volume_exists(client, catalog, schema, volume)

    steps = 3 if create_tables else 2
    report(progress, 0, steps, f"Generating data locally in {project} (scale factor {scale_factor:g})")
    generation = execute_script.raw_function(  # type: ignore[attr-defined]  # checked on entry here
        str(project), scale_factor=scale_factor, python_bin=python_bin, timeout_sec=timeout_sec, cancel=cancel
    )
    if generation.get("exit_code") != 0:
        report(progress, 1, steps, f"Generation failed with exit code {generation.get('exit_code')}; nothing uploaded")
        return {"generation": generation, "upload": None} | ({"tables": None} if create_tables else {})
    report(progress, 1, steps, "Generation finished; uploading")

    def upload_progress(done: float, total: float | None, message: str) -> None:
        report(progress, 1 + (done / total if total else 0), steps, message)

    upload = upload_to_volume.raw_function(  # type: ignore[attr-defined]  # checked on entry here
        catalog,
        schema,
        volume,
        str(project / DATA_DIR_NAME),
        remote_subfolder,
        clean,
        client=client,
        progress=upload_progress,
        max_parallel=max_parallel,
        cancel=cancel,
    )
    if not create_tables:
        return {"generation": generation, "upload": upload}
    tables = None
    if upload["success"]:
        report(progress, 2, steps, "Upload complete; creating the tables through a SQL warehouse")
        try:
            tables = create_tables_from_volume.raw_function(  # type: ignore[attr-defined]  # checked on entry here
                catalog,
                schema,
                volume,
                remote_subfolder,
                warehouse_id,
                tables_timeout_sec,
                client=client,
                progress=lambda done, total, message: report(progress, 2, steps, message),
                cancel=cancel,
            )
        except (DatabricksApiError, RuleErrors) as exc:  # the upload worked: say so with the reason
            raise DatabricksApiError(
                f"Uploaded {upload['files_uploaded']} files to {upload['remote_base']}, but the tables could not be "
                f"created: {exc}",
                error_code=getattr(exc, "error_code", None),
                operation="create the tables",
            ) from None
    return {"generation": generation, "upload": upload, "tables": tables}
