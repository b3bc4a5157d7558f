"""generate_and_upload: run a project's generate_data.py locally, then upload its data to a Volume."""

from __future__ import annotations

import subprocess
import threading
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from generator.fields import CatalogName, SchemaName, ScriptScaleFactor, ScriptTimeout, VolumeName, WarehouseId
from server.adapters.secrets import redact
from server.tooling.definition import Hints, ToolContext, ToolInput, schema_field_allowed, tool
from server.tooling.links import LinkedFile
from server.tooling.work import Progress
from server.tools.databricks.calls import run_on_workspace
from server.tools.databricks.create_tables_from_volume import CreateTablesFromVolumeOutput, tables_output
from server.tools.databricks.parameters import Clean, Profile, RemoteSubfolder, WorkspaceResult
from server.tools.databricks.upload_to_volume import UploadToVolumeOutput, upload_output
from server.tools.local.execute_script import ScriptRunOutput
from server.tools.local.parameters import ProjectPath

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

with schema_field_allowed():

    class GenerateAndUploadInput(ToolInput):
        """Parameters of generate_and_upload."""

        project_path: ProjectPath
        catalog: CatalogName
        schema: SchemaName
        volume: VolumeName
        scale_factor: ScriptScaleFactor = 1.0
        remote_subfolder: RemoteSubfolder = "incoming_data"
        clean: Clean = True
        timeout_sec: ScriptTimeout = 300
        create_tables: bool = Field(
            False,
            description="Then make the Delta tables in <catalog>.<schema> as create_tables_from_volume does.",
        )
        warehouse_id: WarehouseId = None
        profile: Profile = None


class GenerateAndUploadOutput(WorkspaceResult):
    """The local generation and, when it succeeded, the upload."""

    success: bool = Field(
        description="True when the script exited 0, every file arrived in the volume and, with create_tables, "
        "every table was created."
    )
    generation: ScriptRunOutput = Field(description="The local run: exit code, capped output and the log path.")
    upload: UploadToVolumeOutput | None = Field(description="The upload; null when the generation failed.")
    tables: CreateTablesFromVolumeOutput | None = Field(
        None, description="The tables made (create_tables=true); null when not asked for or the upload was partial."
    )
    message: str = Field(description="What happened and what to do next.")

    def linked_files(self) -> list[LinkedFile]:
        return self.generation.linked_files()


@tool(
    title="Generate locally and upload to a Volume",
    # Runs a user-editable script, replaces <project>/data and the remote folder.
    hints=Hints(read_only=False, destructive=True, idempotent=False, open_world=True),
    uses_roots=True,
)
async def generate_and_upload(args: GenerateAndUploadInput, tc: ToolContext) -> GenerateAndUploadOutput:
    """Run <project_path>/generate_data.py locally as execute_script does and, when it exits 0,
    upload <project_path>/data as upload_to_volume does; the volume is checked first.

    Use it for the one-shot workflow with an editable project (init_project); for the standard
    dataset, generate_data then upload_to_volume. create_tables=true then makes the typed Delta
    tables as create_tables_from_volume does. Cost: the script's run time plus the upload.
    """
    from server.adapters.scripts import SCRIPT_NAME

    project = tc.resolve_tree(args.project_path, field="project_path")
    if not (project / SCRIPT_NAME).is_file():
        raise ToolError(
            f"There is no {SCRIPT_NAME} in {project}; run init_project(project_path='{project}') to write one, "
            "or put your own script there."
        )

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.adapters.databricks.local_pipeline import generate_and_upload as run_pipeline
        from server.adapters.scripts import ScriptCancelledError

        try:
            return run_pipeline.raw_function(
                str(project),
                args.catalog,
                args.schema,
                args.volume,
                args.scale_factor,
                args.remote_subfolder,
                args.clean,
                None,
                args.timeout_sec,
                client=client,
                progress=progress,
                cancel=cancel,
                create_tables=args.create_tables,
                warehouse_id=args.warehouse_id,
            )
        except subprocess.TimeoutExpired:
            raise ToolError(
                f"{SCRIPT_NAME} did not finish within timeout_sec={args.timeout_sec} and was killed with its child "
                f"processes; nothing was uploaded. Use a smaller scale_factor or raise timeout_sec. Full log: "
                f"{project / 'generation.log'}."
            ) from None
        except ScriptCancelledError:
            raise ToolError("The run was cancelled and the script's processes were killed.") from None

    raw, host = await run_on_workspace(tc, "generate_and_upload", args.profile, work)
    generation = raw["generation"]
    run = ScriptRunOutput(
        exit_code=generation["exit_code"],
        stdout=redact(generation["stdout"]),
        stderr=redact(generation["stderr"]),
        truncated=bool(generation.get("truncated", False)),
        duration_sec=generation["duration_sec"],
        log_path=generation["log_path"],
    )
    upload = upload_output(raw["upload"], host) if raw["upload"] is not None else None
    if upload is None:
        message = (
            f"{SCRIPT_NAME} failed with exit code {run.exit_code}; nothing was uploaded. See generation.stderr "
            f"(full log: {run.log_path}), fix the script and run again."
        )
    else:
        message = upload.message
    tables = tables_output(raw["tables"], host) if raw.get("tables") is not None else None
    if tables is not None:
        message = f"{message} {tables.message}"
    elif args.create_tables and upload is not None:
        message = f"{message} No table was created: the upload was not complete."
    complete = run.exit_code == 0 and upload is not None and upload.success
    return GenerateAndUploadOutput(
        success=complete and (tables.success if tables is not None else not args.create_tables),
        generation=run,
        upload=upload,
        tables=tables,
        message=message,
        workspace_host=host,
    )
