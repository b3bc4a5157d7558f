"""upload_to_volume: a local folder (a dataset) into a Unity Catalog Volume, data first, manifest last."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from generator.fields import CatalogName, MaxFiles, SchemaName, VolumeName
from server.tooling.definition import Hints, ToolContext, ToolInput, schema_field_allowed, tool
from server.tooling.messages import one_line
from server.tooling.work import Progress
from server.tools.databricks.calls import run_on_workspace
from server.tools.databricks.parameters import Clean, Profile, RemoteSubfolder, WorkspaceResult

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

#: Paths, folders and error lines listed in an upload result; the rest are counted. A folder of
#: thousands of files must not become thousands of entries in the agent's context.
MAX_LISTED_PATHS = 20
MAX_LISTED_FOLDERS = 20
MAX_LISTED_ERRORS = 20
MAX_ERROR_LINE_CHARS = 400
OTHER_FOLDERS = "(other folders)"


with schema_field_allowed():

    class UploadToVolumeInput(ToolInput):
        """Parameters of upload_to_volume."""

        catalog: CatalogName
        schema: SchemaName
        volume: VolumeName
        local_data_dir: str = Field(
            "sample_data", min_length=1, description="Dataset or any folder to upload (relative to the data root)."
        )
        remote_subfolder: RemoteSubfolder = "incoming_data"
        clean: Clean = True
        max_files: MaxFiles = None
        profile: Profile = None


class UploadToVolumeOutput(WorkspaceResult):
    """What arrived in the volume (a partial failure is a result with success=false, not an error)."""

    success: bool = Field(description="True only when every file arrived.")
    files_uploaded: int = Field(description="Files written to the volume.")
    uploaded_per_folder: dict[str, int] = Field(
        description="Files written per top-level folder (or file) of remote_base, such as a table; "
        f"the {MAX_LISTED_FOLDERS} largest, the rest summed under '{OTHER_FOLDERS}'."
    )
    uploaded_paths: list[str] = Field(
        description=f"/Volumes paths of the files written, sorted: the first {MAX_LISTED_PATHS} as examples."
    )
    uploaded_paths_omitted: int = Field(description="Uploaded paths not listed in uploaded_paths.")
    errors: list[str] = Field(
        description=f"One line per file that did not arrive, with why; at most {MAX_LISTED_ERRORS}, each cut to "
        f"{MAX_ERROR_LINE_CHARS} characters."
    )
    errors_omitted: int = Field(description="Error lines left out of errors.")
    remote_base: str = Field(description="/Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>.")
    message: str = Field(description="What happened and what to do next.")


def per_folder(paths: list[str], base: str) -> dict[str, int]:
    """Uploaded files counted by their first path segment under `base`, the largest first."""
    counts = Counter(path.removeprefix(base + "/").split("/", 1)[0] for path in paths)
    ranked = counts.most_common()
    listed = dict(ranked[:MAX_LISTED_FOLDERS])
    rest = sum(count for _, count in ranked[MAX_LISTED_FOLDERS:])
    return {**listed, OTHER_FOLDERS: rest} if rest else listed


def upload_output(raw: dict[str, Any], host: str) -> UploadToVolumeOutput:
    """The adapter's result ({success, files_uploaded, uploaded_paths, errors, remote_base}) as a short one."""
    paths = sorted(raw["uploaded_paths"])
    errors = [one_line(line, MAX_ERROR_LINE_CHARS) for line in raw["errors"]]
    base = raw["remote_base"]
    if raw["success"]:
        message = (
            f"Uploaded {raw['files_uploaded']} files to {base} in {host}. In Databricks read a table with "
            f"spark.read.parquet('{base}/<table>'), or SELECT * FROM parquet.`{base}/orders`."
        )
    else:
        message = (
            f"{len(errors)} file(s) did not arrive (see errors); {raw['files_uploaded']} did. "
            "Fix the cause and run upload_to_volume again (clean=true replaces the folder)."
        )
    return UploadToVolumeOutput(
        success=raw["success"],
        files_uploaded=raw["files_uploaded"],
        uploaded_per_folder=per_folder(paths, base),
        uploaded_paths=paths[:MAX_LISTED_PATHS],
        uploaded_paths_omitted=max(0, len(paths) - MAX_LISTED_PATHS),
        errors=errors[:MAX_LISTED_ERRORS],
        errors_omitted=max(0, len(errors) - MAX_LISTED_ERRORS),
        remote_base=base,
        message=message,
        workspace_host=host,
    )


@tool(
    title="Upload a dataset to a Databricks Volume",
    # clean=true deletes the remote folder and same-named files are replaced; same input, same result.
    hints=Hints(read_only=False, destructive=True, idempotent=True, open_world=True),
    uses_roots=True,
)
async def upload_to_volume(args: UploadToVolumeInput, tc: ToolContext) -> UploadToVolumeOutput:
    """Upload a local folder to /Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>, keeping
    relative paths; _manifest.json goes last, once every other file arrived.

    Use it after generate_data (or execute_script) to make the data readable in Databricks; the
    volume must exist. Cost: a few seconds for a small dataset (~25 files, a few MB), then in
    proportion to bytes and upload bandwidth.
    """
    local = tc.resolve_tree(args.local_data_dir, field="local_data_dir")
    if not local.is_dir():
        what = "is not a folder" if local.exists() else "does not exist"
        raise ToolError(
            f"local_data_dir={args.local_data_dir!r} ({local}) {what}; generate a dataset there with generate_data, "
            "or find one with list_datasets."
        )

    def work(client: WorkspaceClient, cancel: threading.Event, progress: Progress) -> dict[str, Any]:
        from server.adapters.databricks.volumes import upload_to_volume as upload

        if not any(path.is_file() for path in local.rglob("*")):
            raise ToolError(f"local_data_dir={args.local_data_dir!r} ({local}) holds no files to upload.")
        return upload.raw_function(
            args.catalog,
            args.schema,
            args.volume,
            str(local),
            args.remote_subfolder,
            args.clean,
            args.max_files,
            client=client,
            progress=progress,
            cancel=cancel,
        )

    return upload_output(*await run_on_workspace(tc, "upload_to_volume", args.profile, work))
