"""execute_script_on_cluster and generate_and_upload_on_cluster: the workspace's generation script run on
an all-purpose cluster through the Command Execution API, writing straight into a Volume."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from generator.fields import (
    CatalogName,
    ClusterId,
    ClusterTimeout,
    SchemaName,
    ScriptScaleFactor,
    VolumeFolder,
    VolumeName,
)
from generator.fields import WorkspacePath as AnyWorkspacePath
from server.adapters.secrets import redact
from server.tooling.definition import Hints, ToolContext, ToolInput, schema_field_allowed, tool
from server.tooling.work import Progress
from server.tools.databricks.calls import run_on_workspace
from server.tools.databricks.parameters import (
    Clean,
    OptionalDays,
    OptionalScale,
    OptionalSeed,
    Profile,
    RemoteSubfolder,
    WorkspaceResult,
    script_env,
)

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

WorkspacePath = Annotated[
    AnyWorkspacePath,
    Field(description="Workspace path of the generation script (from deploy_generation_script)."),
]


class ExecuteScriptOnClusterInput(ToolInput):
    """Parameters of execute_script_on_cluster."""

    cluster_id: ClusterId
    workspace_path: WorkspacePath
    volume_output_path: VolumeFolder = Field(
        description="OUTPUT_PATH for the script: /Volumes/<catalog>/<schema>/<volume>/<folder>."
    )
    scale_factor: ScriptScaleFactor = 1.0
    timeout_sec: ClusterTimeout = 600
    scale: OptionalScale = None
    days: OptionalDays = None
    seed: OptionalSeed = None
    start_cluster: bool = Field(
        True,
        description="Start a TERMINATED cluster (3-7 minutes); false refuses it at once.",
    )
    profile: Profile = None


class ClusterRunOutput(WorkspaceResult):
    """Outcome of a script run on a cluster (a failed script is a result with success=false)."""

    success: bool = Field(description="True when the script finished without an exception.")
    output: str = Field(
        description="What the script printed (head and tail when long), with notes such as a cluster start."
    )
    error: str | None = Field(
        description="Why the run failed (Python error and traceback, timeout, cancel); null on success."
    )
    duration_sec: float = Field(description="Wall time in seconds, a cluster start included.")
    cluster_started: bool = Field(description="True when the cluster was stopped and this call started it.")


# --------------------------------------------------------------------------- generate_and_upload_on_cluster


with schema_field_allowed():

    class GenerateOnClusterInput(ToolInput):
        """Parameters of generate_and_upload_on_cluster."""

        cluster_id: ClusterId
        workspace_path: WorkspacePath
        catalog: CatalogName
        schema: SchemaName
        volume: VolumeName
        scale_factor: ScriptScaleFactor = 1.0
        remote_subfolder: RemoteSubfolder = "incoming_data"
        clean: Clean = True
        timeout_sec: ClusterTimeout = 600
        scale: OptionalScale = None
        days: OptionalDays = None
        seed: OptionalSeed = None
        profile: Profile = None


class ClusterGenerateOutput(ClusterRunOutput):
    """Outcome of a generation on a cluster straight into a volume."""

    volume_path: str = Field(description="/Volumes/<catalog>/<schema>/<volume>/<remote_subfolder> (OUTPUT_PATH).")


def _cluster_output(raw: dict[str, Any], host: str) -> dict[str, Any]:
    return {
        "workspace_host": host,
        "success": bool(raw["success"]),
        "output": redact(raw["output"]),
        "error": redact(raw["error"]) if raw["error"] is not None else None,
        "duration_sec": raw["duration_sec"],
        "cluster_started": bool(raw["cluster_started"]),
    }


@tool(
    title="Run the generation script on a cluster",
    # Runs workspace code (which may write or delete anything it can reach) and may start a cluster.
    hints=Hints(read_only=False, destructive=True, idempotent=False, open_world=True),
)
async def execute_script_on_cluster(args: ExecuteScriptOnClusterInput, tc: ToolContext) -> ClusterRunOutput:
    """Run a workspace script on an all-purpose cluster with OUTPUT_PATH=volume_output_path and
    SCALE_FACTOR (SCALE, DAYS, SEED when given), so it writes its tables straight into a Volume.

    Use it after deploy_generation_script, or with your own script of the same contract;
    generate_and_upload_on_cluster also empties the folder and checks what arrived. Serverless
    compute, SQL warehouses and job clusters are refused (submit_generation_run and
    create_tables_from_volume work there). Cost: cluster time (seconds for small data); a stopped
    cluster first takes 3-7 minutes to start, so prefer a running one.
    """

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.adapters.databricks.cluster import execute_script_on_cluster as run_on_cluster

        return run_on_cluster.raw_function(
            args.cluster_id,
            args.workspace_path,
            args.volume_output_path,
            args.scale_factor,
            args.timeout_sec,
            client=client,
            extra_env=script_env(args.scale, args.days, args.seed),
            progress=progress,
            cancel=cancel,
            start_cluster=args.start_cluster,
        )

    return ClusterRunOutput(
        **_cluster_output(*await run_on_workspace(tc, "execute_script_on_cluster", args.profile, work))
    )


@tool(
    title="Generate on a cluster into a Volume",
    # clean=true deletes the remote folder; runs workspace code.
    hints=Hints(read_only=False, destructive=True, idempotent=False, open_world=True),
)
async def generate_and_upload_on_cluster(args: GenerateOnClusterInput, tc: ToolContext) -> ClusterGenerateOutput:
    """Generate on a cluster into /Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>: the
    workspace script run as execute_script_on_cluster does, then a check that files arrived.

    Use it for the cluster workflow after deploy_generation_script; no data crosses the network
    from this machine. Cost: as execute_script_on_cluster (prefer a running cluster).
    """

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.adapters.databricks.cluster import generate_and_upload_on_cluster as run_on_cluster

        return run_on_cluster.raw_function(
            args.cluster_id,
            args.workspace_path,
            args.catalog,
            args.schema,
            args.volume,
            args.scale_factor,
            args.remote_subfolder,
            args.clean,
            args.timeout_sec,
            client=client,
            extra_env=script_env(args.scale, args.days, args.seed),
            progress=progress,
            cancel=cancel,
        )

    raw, host = await run_on_workspace(tc, "generate_and_upload_on_cluster", args.profile, work)
    return ClusterGenerateOutput(**_cluster_output(raw, host), volume_path=raw["volume_path"])
