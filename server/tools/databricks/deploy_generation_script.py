"""deploy_generation_script: the portable generate_data.py (generator embedded) into the workspace."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import Field

from generator.fields import WorkspacePath
from server.tooling.definition import Hints, ToolContext, ToolInput, tool
from server.tooling.work import Progress
from server.tools.databricks.calls import run_on_workspace
from server.tools.databricks.parameters import Profile, WorkspaceResult

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


class DeployGenerationScriptInput(ToolInput):
    """Parameters of deploy_generation_script."""

    workspace_path: WorkspacePath = Field(
        description="Workspace file to write, e.g. /Workspace/Users/<you>/retail_datagen/generate_data.py."
    )
    overwrite: bool = Field(True, description="Replace an object already at workspace_path.")
    profile: Profile = None


class DeployGenerationScriptOutput(WorkspaceResult):
    """The script written into the workspace."""

    workspace_path: str = Field(description="Workspace path actually created.")
    bytes: int = Field(description="Size of the script (the generator is embedded in it).")
    message: str = Field(description="What to do next.")


@tool(
    title="Put the generation script in the workspace",
    # overwrite=true replaces the object at workspace_path; the same bytes every time.
    hints=Hints(read_only=False, destructive=True, idempotent=True, open_world=True),
)
async def deploy_generation_script(args: DeployGenerationScriptInput, tc: ToolContext) -> DeployGenerationScriptOutput:
    """Write the portable generation script (generate_data.py with the generator embedded, ~110 KB)
    into the workspace; it runs on any Databricks Runtime with nothing to install.

    Use it once per workspace before execute_script_on_cluster or generate_and_upload_on_cluster.
    Cost: one upload, about a second.
    """

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from generator.portable import portable_script
        from server.adapters.databricks.workspace import upload_script_to_workspace

        script = portable_script()
        progress(0, 1, f"Uploading the generation script to {args.workspace_path}")
        return upload_script_to_workspace.raw_function(
            args.workspace_path, client=client, overwrite=args.overwrite, content=script
        )

    raw, host = await run_on_workspace(tc, "deploy_generation_script", args.profile, work)
    path = raw["workspace_path"]
    return DeployGenerationScriptOutput(
        workspace_path=path,
        bytes=raw["bytes"],
        workspace_host=host,
        message=f"Next: execute_script_on_cluster(cluster_id=..., workspace_path='{path}', "
        "volume_output_path='/Volumes/<catalog>/<schema>/<volume>/incoming_data') or "
        f"generate_and_upload_on_cluster(cluster_id=..., workspace_path='{path}', catalog=..., schema=..., "
        "volume=...).",
    )
