"""Input and output models of the Databricks tools (one of each per tool; see server.models for the
local ones). Every field carries the description the agent reads.

Unity Catalog names, Volume paths, workspace paths and cluster ids are validated by the tool body
with the rules of `server.databricks.names` (before any request is sent), not here: those rules
give one message naming the field, the value and what is accepted, and importing them here would
load the Databricks SDK when the server starts.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from pydantic import BaseModel, Field

from generator.config import MAX_SCALE_FACTOR, ScaleName
from generator.spec import MAX_DAYS, MAX_SEED
from server.models import MAX_SCRIPT_TIMEOUT_SEC, ScriptRunOutput, ToolInput

#: Longest time trigger_bundle_job waits: clients cut a call at about 60 s.
MAX_TRIGGER_WAIT_SEC = 45
#: Longest run of a cluster script the tools accept (the cluster may first need minutes to start).
MAX_CLUSTER_TIMEOUT_SEC = 4 * 3600
#: Paths and error lines listed in an upload result; the rest are counted.
MAX_LISTED_PATHS = 50
MAX_LISTED_ERRORS = 50

_UC_RULE = (
    "1 to 255 characters without '.', spaces, '/', backticks or control characters (letters, digits and '_' are "
    "safe; Unity Catalog stores names lower-case)"
)

Profile = Annotated[
    str | None,
    Field(
        description="Profile (section) of ~/.databrickscfg to use. Default (null): DATABRICKS_HOST and "
        "DATABRICKS_TOKEN from the server's environment, else the profile named by DATABRICKS_CONFIG_PROFILE, "
        "else the DEFAULT profile.",
    ),
]
Catalog = Annotated[str, Field(description=f"Unity Catalog catalog name: {_UC_RULE}.")]
Schema = Annotated[str, Field(description=f"Schema name inside the catalog: {_UC_RULE}.")]
VolumeName = Annotated[str, Field(description=f"Volume name inside the schema: {_UC_RULE}.")]
RemoteSubfolder = Annotated[
    str,
    Field(
        description="Folder inside the volume that receives the data, e.g. incoming_data or runs/2024-06 "
        "(no '.', '..' or empty segments).",
    ),
]
Clean = Annotated[
    bool,
    Field(
        description="Delete remote_subfolder (everything in it) before writing, so that no file of an earlier "
        "run stays behind. false keeps other files and overwrites same-named ones.",
    ),
]
ScaleFactor = Annotated[
    float,
    Field(
        gt=0,
        le=MAX_SCALE_FACTOR,
        allow_inf_nan=False,
        description="Passed to the script as SCALE_FACTOR: multiplies every volume (0.1 for a quick test).",
    ),
]
ClusterId = Annotated[
    str,
    Field(description="Id of an all-purpose cluster, e.g. 0123-456789-abcdef01 (Compute page, or the cluster URL)."),
]
WorkspacePath = Annotated[
    str,
    Field(
        description="Absolute workspace path of the generation script, e.g. "
        "/Workspace/Users/<you>/retail_datagen/generate_data.py (put it there with deploy_generation_script).",
    ),
]
ClusterTimeout = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_CLUSTER_TIMEOUT_SEC,
        description="Limit for the whole run in seconds, starting a stopped cluster included; on timeout the "
        "command is cancelled on the cluster.",
    ),
]
OptionalScale = Annotated[
    ScaleName | None,
    Field(description="Volume preset passed as SCALE: small, medium or large. Default (null): the script's (small)."),
]
OptionalDays = Annotated[
    int | None,
    Field(
        ge=1,
        le=MAX_DAYS,
        description=f"Days of order history passed as DAYS (1 to {MAX_DAYS}). Default (null): the script's (14).",
    ),
]
OptionalSeed = Annotated[
    int | None,
    Field(
        ge=0,
        le=MAX_SEED,
        description="Random seed passed as SEED (same seed, same bytes). Default (null): the script's (42).",
    ),
]
RunId = Annotated[
    int, Field(ge=1, le=2**63 - 1, description="run_id returned by trigger_bundle_job (or shown in the Jobs UI).")
]


@contextmanager
def _schema_field_allowed() -> Iterator[None]:
    """Allow a field named `schema` (the Unity Catalog term): pydantic warns that it shadows the
    deprecated `BaseModel.schema()`, which these models never use."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message='Field name "schema" ', category=UserWarning)
        yield


# --------------------------------------------------------------------------- upload_to_volume


with _schema_field_allowed():

    class UploadToVolumeInput(ToolInput):
        """Parameters of upload_to_volume."""

        catalog: Catalog
        schema: Schema
        volume: VolumeName
        local_data_dir: str = Field(
            "sample_data",
            min_length=1,
            description="Local folder to upload, usually a dataset written by generate_data (one sub-folder per "
            "table plus _manifest.json), or any folder of files. Relative paths resolve under the data root; "
            "absolute ones must lie inside the data root or the client's roots.",
        )
        remote_subfolder: RemoteSubfolder = "incoming_data"
        clean: Clean = True
        max_files: int | None = Field(
            None, ge=0, description="Upload at most this many files (for a quick test); null uploads everything."
        )
        profile: Profile = None


class UploadToVolumeOutput(BaseModel):
    """What arrived in the volume (a partial failure is a result with success=false, not an error)."""

    success: bool = Field(description="True only when every file arrived.")
    files_uploaded: int = Field(description="Files written to the volume.")
    uploaded_paths: list[str] = Field(
        description=f"/Volumes paths of the files written, sorted; at most the first {MAX_LISTED_PATHS}."
    )
    uploaded_paths_omitted: int = Field(
        description="Uploaded paths left out of uploaded_paths to keep the result short."
    )
    errors: list[str] = Field(
        description=f"One line per file that did not arrive, with why; at most {MAX_LISTED_ERRORS}."
    )
    errors_omitted: int = Field(description="Error lines left out of errors.")
    remote_base: str = Field(description="/Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>.")
    message: str = Field(description="What happened and what to do next.")


# --------------------------------------------------------------------------- generate_and_upload


with _schema_field_allowed():

    class GenerateAndUploadInput(ToolInput):
        """Parameters of generate_and_upload."""

        project_path: str = Field(
            min_length=1,
            description="Project folder holding generate_data.py (written by init_project); relative paths resolve "
            "under the data root. The data lands in <project_path>/data first.",
        )
        catalog: Catalog
        schema: Schema
        volume: VolumeName
        scale_factor: ScaleFactor = 1.0
        remote_subfolder: RemoteSubfolder = "incoming_data"
        clean: Clean = True
        timeout_sec: int = Field(
            300,
            ge=1,
            le=MAX_SCRIPT_TIMEOUT_SEC,
            description="Kill the local script (and its children) after this many seconds.",
        )
        profile: Profile = None


class GenerateAndUploadOutput(BaseModel):
    """The local generation and, when it succeeded, the upload."""

    success: bool = Field(description="True when the script exited 0 and every file arrived in the volume.")
    generation: ScriptRunOutput = Field(description="The local run: exit code, capped output and the log path.")
    upload: UploadToVolumeOutput | None = Field(description="The upload; null when the generation failed.")
    message: str = Field(description="What happened and what to do next.")


# --------------------------------------------------------------------------- deploy_generation_script


class DeployGenerationScriptInput(ToolInput):
    """Parameters of deploy_generation_script."""

    workspace_path: str = Field(
        description="Absolute workspace path to create, e.g. /Workspace/Users/<you>/retail_datagen/generate_data.py "
        "(parent folders are created). Keep the .py ending: the script then stays a workspace file.",
    )
    overwrite: bool = Field(True, description="Replace an existing object at workspace_path; false refuses.")
    profile: Profile = None


class DeployGenerationScriptOutput(BaseModel):
    """The script written into the workspace."""

    workspace_path: str = Field(description="Workspace path actually created.")
    bytes: int = Field(description="Size of the script (the generator is embedded in it).")
    message: str = Field(description="What to do next.")


# --------------------------------------------------------------------------- execute_script_on_cluster


class ExecuteScriptOnClusterInput(ToolInput):
    """Parameters of execute_script_on_cluster."""

    cluster_id: ClusterId
    workspace_path: WorkspacePath
    volume_output_path: str = Field(
        description="Folder the script writes into, given to it as OUTPUT_PATH: "
        "/Volumes/<catalog>/<schema>/<volume>/<folder> (a folder inside the volume, not its root).",
    )
    scale_factor: ScaleFactor = 1.0
    timeout_sec: ClusterTimeout = 600
    scale: OptionalScale = None
    days: OptionalDays = None
    seed: OptionalSeed = None
    profile: Profile = None


class ClusterRunOutput(BaseModel):
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


with _schema_field_allowed():

    class GenerateOnClusterInput(ToolInput):
        """Parameters of generate_and_upload_on_cluster."""

        cluster_id: ClusterId
        workspace_path: WorkspacePath
        catalog: Catalog
        schema: Schema
        volume: VolumeName
        scale_factor: ScaleFactor = 1.0
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


# --------------------------------------------------------------------------- bundle job runs


with _schema_field_allowed():

    class TriggerBundleJobInput(ToolInput):
        """Parameters of trigger_bundle_job."""

        catalog: Catalog
        schema: Schema
        scale: ScaleName = Field("small", description="Volume preset: small, medium or large.")
        days: int = Field(14, ge=1, le=MAX_DAYS, description=f"Days of order history (1 to {MAX_DAYS}).")
        overwrite: bool = Field(True, description="Let the job replace existing tables; false makes it refuse them.")
        seed: int = Field(42, ge=0, le=MAX_SEED, description="Random seed: same seed, same rows.")
        job_name: str = Field(
            "retail_data_generation",
            min_length=1,
            max_length=4096,
            description="Name of the bundle's job; a development-mode copy '[dev <user>] <job_name>' is found too "
            "(yours preferred).",
        )
        job_id: int | None = Field(
            None, ge=1, le=2**63 - 1, description="Run this job id instead of looking job_name up."
        )
        wait_sec: float = Field(
            30,
            ge=0,
            le=MAX_TRIGGER_WAIT_SEC,
            description=f"Wait up to this many seconds (max {MAX_TRIGGER_WAIT_SEC}) for the run to finish before "
            "returning its handle; 0 returns at once. Follow a run that is not done with get_job_run.",
        )
        profile: Profile = None


class JobRunHandle(BaseModel):
    """A job run and where it is."""

    run_id: int = Field(description="Handle of the run: pass it to get_job_run or cancel_job_run.")
    job_id: int | None = Field(description="The job the run belongs to.")
    run_page_url: str | None = Field(description="The run's page in the Databricks UI.")
    life_cycle_state: str = Field(
        description="QUEUED, PENDING, RUNNING, TERMINATING, TERMINATED, SKIPPED or INTERNAL_ERROR."
    )
    result_state: str | None = Field(description="SUCCESS, FAILED, TIMEDOUT, CANCELED, ... once the run ended.")
    state_message: str = Field(description="The workspace's message about the state (may be empty).")
    done: bool = Field(description="True once the run ended (TERMINATED, SKIPPED or INTERNAL_ERROR).")
    success: bool = Field(description="True only when result_state is SUCCESS (a failed run also ends TERMINATED).")
    message: str = Field(description="What the state means and what to do next.")


class JobRunInput(ToolInput):
    """Names one job run."""

    run_id: RunId
    profile: Profile = None


class GetJobRunInput(JobRunInput):
    """Parameters of get_job_run."""


class CancelJobRunInput(JobRunInput):
    """Parameters of cancel_job_run."""


class TaskRunOutput(BaseModel):
    """One task of a job run."""

    task_key: str = Field(description="The task's key in the job.")
    run_id: int | None = Field(description="The task run's id.")
    life_cycle_state: str | None = Field(description="The task's life-cycle state.")
    result_state: str | None = Field(description="The task's result state once it ended.")
    state_message: str = Field(description="The workspace's message about the task's state.")
    error: str | None = Field(description="The task's error (exception line), when it failed.")
    error_trace: str | None = Field(description="The task's traceback (head and tail when long), when it failed.")
    logs: str | None = Field(description="The last characters of the task's output (stdout/stderr).")


class JobRunDetails(JobRunHandle):
    """A job run with its tasks' errors and output tails."""

    tasks: list[TaskRunOutput] = Field(description="The run's tasks (at most 20).")
    error: str | None = Field(description="The first task error, or why the run failed; null when it did not fail.")
