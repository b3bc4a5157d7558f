"""Generate locally, then upload to a Volume: the one-shot local workflow.

``generate_and_upload`` runs ``<project_path>/generate_data.py`` through
``server.scripts.execute_script`` (it writes Parquet under ``<project_path>/data/<table>/``)
and, only when that succeeded, uploads ``<project_path>/data`` with ``upload_to_volume``.
Names and credentials are checked *before* the generation starts, so a typo in a catalog
name or missing credentials do not cost a generation run.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from databricks.sdk import WorkspaceClient

from ._common import ProgressFn, report
from .auth import resolve_client
from .errors import InvalidParameterError
from .names import validate_int, validate_positive_number, validate_relative_path, validate_uc_name
from .volumes import ensure_volume_exists, upload_to_volume

DATA_DIR_NAME = "data"


def generate_and_upload(
    project_path: str,
    catalog: str,
    schema: str,
    volume: str,
    scale_factor: float = 1.0,
    remote_subfolder: str = "incoming_data",
    clean: bool = True,
    python_bin: str | None = None,
    timeout_sec: int = 300,
    *,
    client: WorkspaceClient | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    max_parallel: int = 8,
) -> dict[str, Any]:
    """Run ``generate_data.py`` locally, then upload its ``data`` folder to the Volume.

    Returns ``{"generation": <execute_script result>, "upload": <upload_to_volume result> | None}``;
    ``upload`` is None when the generation failed (exit code != 0). Exceptions of
    ``execute_script`` (``FileNotFoundError`` for a missing script, ``subprocess.TimeoutExpired``,
    a cancellation) and of ``upload_to_volume`` propagate.
    """
    from server.scripts import execute_script  # local import: the scripts module is optional here

    catalog = validate_uc_name(catalog, "catalog")
    schema = validate_uc_name(schema, "schema")
    volume = validate_uc_name(volume, "volume")
    validate_relative_path(remote_subfolder, "remote_subfolder", allow_empty=not clean)
    validate_positive_number(scale_factor, "scale_factor")
    validate_int(timeout_sec, "timeout_sec", minimum=1)
    if not isinstance(project_path, str | Path) or not str(project_path):
        raise InvalidParameterError("project_path", project_path, "a path to a local project folder")
    project = Path(project_path).expanduser()
    if not (project / "generate_data.py").is_file():
        raise FileNotFoundError(f"{project / 'generate_data.py'} does not exist; create the project first.")

    client = resolve_client(client)
    ensure_volume_exists(client, catalog, schema, volume)

    report(progress, 0, 2, f"Generating data locally in {project} (scale factor {scale_factor:g})")
    generation = execute_script(
        str(project), scale_factor=scale_factor, python_bin=python_bin, timeout_sec=timeout_sec, cancel=cancel
    )
    if generation.get("exit_code") != 0:
        report(progress, 1, 2, f"Generation failed with exit code {generation.get('exit_code')}; nothing uploaded")
        return {"generation": generation, "upload": None}
    report(progress, 1, 2, "Generation finished; uploading")

    def upload_progress(done: float, total: float | None, message: str) -> None:
        report(progress, 1 + (done / total if total else 0), 2, message)

    upload = upload_to_volume(
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
    return {"generation": generation, "upload": upload}
