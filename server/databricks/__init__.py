"""The Databricks layer: plain functions that the MCP tools wrap (this package never imports MCP).

* ``auth``: ``get_workspace_client`` (unified auth, lazy), ``redact`` (masks tokens).
* ``names``: Unity Catalog name and path validation (runs before any request).
* ``volumes``: ``upload_to_volume`` (parallel, retried, reported per file), ``delete_volume_folder``.
* ``local_pipeline``: ``generate_and_upload`` (local generation, then upload).
* ``workspace``: ``upload_script_to_workspace`` (puts the generation script in the workspace).
* ``cluster``: ``execute_script_on_cluster``, ``generate_and_upload_on_cluster``.
* ``jobs``: ``trigger_bundle_job``, ``get_job_run``, ``cancel_job_run``, ``wait_for_job_run``.

``generator`` must never import this package.
"""

from __future__ import annotations

from .auth import get_workspace_client, redact, resolve_client
from .cluster import execute_script_on_cluster, generate_and_upload_on_cluster
from .errors import (
    AmbiguousJobError,
    ClusterNotFoundError,
    DatabricksApiError,
    DatabricksNotConfigured,
    InvalidNameError,
    InvalidParameterError,
    JobNotFoundError,
    VolumeNotFoundError,
    WorkspaceObjectNotFoundError,
)
from .jobs import cancel_job_run, find_job, get_job_run, trigger_bundle_job, wait_for_job_run
from .local_pipeline import generate_and_upload
from .names import validate_uc_name, validate_volume_path
from .volumes import delete_volume_folder, upload_to_volume
from .workspace import upload_script_to_workspace

__all__ = [
    "AmbiguousJobError",
    "ClusterNotFoundError",
    "DatabricksApiError",
    "DatabricksNotConfigured",
    "InvalidNameError",
    "InvalidParameterError",
    "JobNotFoundError",
    "VolumeNotFoundError",
    "WorkspaceObjectNotFoundError",
    "cancel_job_run",
    "delete_volume_folder",
    "execute_script_on_cluster",
    "find_job",
    "generate_and_upload",
    "generate_and_upload_on_cluster",
    "get_job_run",
    "get_workspace_client",
    "redact",
    "resolve_client",
    "trigger_bundle_job",
    "upload_script_to_workspace",
    "upload_to_volume",
    "validate_uc_name",
    "validate_volume_path",
    "wait_for_job_run",
]
