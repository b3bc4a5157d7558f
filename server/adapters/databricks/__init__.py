"""The Databricks adapter: plain functions with the seed reference's signatures, which the MCP tools
wrap (this package never imports MCP). Every argument is checked on entry by its field type
(`generator.fields`), before any request.

* ``auth``: ``get_workspace_client`` (unified auth, lazy, cached per profile and environment).
* ``volumes``: ``upload_to_volume`` (parallel, retried, reported per file), ``delete_volume_folder``.
* ``local_pipeline``: ``generate_and_upload`` (local generation, then upload, then tables on request).
* ``volume_tables``: ``create_tables_from_volume`` (a Volume dataset into Delta tables on a SQL warehouse:
  ``warehouses``, ``statements``, ``table_ddl``, ``table_swap``).
* ``generation_run``: ``submit_generation_run`` (the bundle job's Spark path as a one-time serverless or
  cluster run, with the slim ``core_wheel``); ``unity_catalog``: catalog, schema and table checks.
* ``workspace``: ``upload_script_to_workspace`` (puts the generation script in the workspace).
* ``cluster``: ``execute_script_on_cluster``, ``generate_and_upload_on_cluster`` (``cluster_state`` refuses
  compute that cannot take commands).
* ``jobs``: ``trigger_bundle_job``, ``get_job_run``, ``cancel_job_run``, ``wait_for_job_run``.
* ``lakebase``: ``load_to_lakebase`` (a dataset into a Lakebase instance; imported on use, it loads psycopg).
* ``calls``, ``polling``: retries and error text of requests; progress and deadlines of waits.

``generator`` never imports this package.
"""

from server.adapters.databricks.auth import get_workspace_client, resolve_client
from server.adapters.databricks.cluster import execute_script_on_cluster, generate_and_upload_on_cluster
from server.adapters.databricks.errors import (
    AmbiguousJobError,
    CatalogNotFoundError,
    ClusterNotFoundError,
    DatabricksApiError,
    DatabricksNotConfigured,
    JobNotFoundError,
    StatementError,
    VolumeNotFoundError,
    WarehouseError,
    WorkspaceObjectNotFoundError,
)
from server.adapters.databricks.generation_run import submit_generation_run
from server.adapters.databricks.jobs import cancel_job_run, find_job, get_job_run, trigger_bundle_job, wait_for_job_run
from server.adapters.databricks.local_pipeline import generate_and_upload
from server.adapters.databricks.volume_tables import create_tables_from_volume
from server.adapters.databricks.volumes import delete_volume_folder, upload_to_volume
from server.adapters.databricks.workspace import upload_script_to_workspace

__all__ = [
    "AmbiguousJobError",
    "CatalogNotFoundError",
    "ClusterNotFoundError",
    "DatabricksApiError",
    "DatabricksNotConfigured",
    "JobNotFoundError",
    "StatementError",
    "VolumeNotFoundError",
    "WarehouseError",
    "WorkspaceObjectNotFoundError",
    "cancel_job_run",
    "create_tables_from_volume",
    "delete_volume_folder",
    "execute_script_on_cluster",
    "find_job",
    "generate_and_upload",
    "generate_and_upload_on_cluster",
    "get_job_run",
    "get_workspace_client",
    "resolve_client",
    "submit_generation_run",
    "trigger_bundle_job",
    "upload_script_to_workspace",
    "upload_to_volume",
    "wait_for_job_run",
]
