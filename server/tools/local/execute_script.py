"""execute_script: run a project's generate_data.py in its own process, with a timeout and capped output."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from generator.fields import Env, ScriptScaleFactor, ScriptTimeout
from generator.rules import RuleErrors
from server.tooling.definition import Hints, ToolContext, ToolInput, tool
from server.tooling.links import LinkedFile
from server.tooling.work import run_in_thread
from server.tools.local.parameters import ProjectPath

#: Characters of a failed script's output quoted in the error.
SCRIPT_ERROR_TAIL_CHARS = 1500


class ExecuteScriptInput(ToolInput):
    """Parameters of execute_script."""

    project_path: ProjectPath
    scale_factor: ScriptScaleFactor = 1.0
    timeout_sec: ScriptTimeout = 300
    env: Env = Field(None, description="More environment variables for the script (not SCALE_FACTOR, OUTPUT_PATH).")


class ScriptRunOutput(BaseModel):
    """A local run of generate_data.py: exit code, capped output and where the full log is."""

    exit_code: int = Field(description="The script's exit code; 0 means success.")
    stdout: str = Field(description="Standard output; head and tail only when long (see truncated).")
    stderr: str = Field(description="Standard error; head and tail only when long (see truncated).")
    truncated: bool = Field(description="True when stdout or stderr was cut; log_path has everything.")
    duration_sec: float = Field(description="Wall time of the run in seconds.")
    log_path: str = Field(description="generation.log in the project: the script's full output (linked).")

    def linked_files(self) -> list[LinkedFile]:
        """The full log, when stdout or stderr was cut (server.tooling.links)."""
        if not self.truncated:
            return []
        return [LinkedFile(Path(self.log_path), "The script's whole output (stdout and stderr).", "text/plain")]


class ExecuteScriptOutput(ScriptRunOutput):
    """Outcome of a successful script run (a failed run is reported as a tool error)."""

    data_path: str = Field(description="OUTPUT_PATH given to the script: <project_path>/data.")


@tool(
    title="Run a project's generate_data.py",
    # Runs user-editable code: it may write or delete anything and reach the network.
    hints=Hints(read_only=False, destructive=True, idempotent=False, open_world=True),
    uses_roots=True,
)
async def execute_script(args: ExecuteScriptInput, tc: ToolContext) -> ExecuteScriptOutput:
    """Run <project_path>/generate_data.py (from init_project, maybe edited) in its own Python
    process with SCALE_FACTOR and OUTPUT_PATH=<project_path>/data.

    Use it for a customised script; for the standard dataset generate_data is simpler. Takes as
    long as the script (seconds at scale_factor 1). A failure quotes the end of the output;
    generation.log in the project has all of it.
    """
    from server.adapters.scripts import DATA_DIR_NAME, SCRIPT_NAME, ScriptCancelledError
    from server.adapters.scripts import execute_script as run_script

    project = tc.resolve(args.project_path, field="project_path")
    if not project.is_dir():
        raise ToolError(
            f"project_path={args.project_path!r} ({project}) is not a folder; create the project with "
            "init_project first."
        )
    try:
        outcome = await run_in_thread(
            lambda cancel: run_script.raw_function(
                str(project), args.scale_factor, None, args.timeout_sec, args.env, cancel=cancel
            )
        )
    except RuleErrors as exc:
        raise ToolError(
            f"Invalid arguments: {exc} (use the scale_factor parameter; OUTPUT_PATH is always <project_path>/data)."
        ) from None
    except FileNotFoundError:
        raise ToolError(
            f"There is no {SCRIPT_NAME} in {project}; run init_project(project_path='{project}') to write "
            "one, or put your own script there."
        ) from None
    except subprocess.TimeoutExpired as exc:
        tail = _tail(exc.stderr) or _tail(exc.output)
        raise ToolError(
            f"{SCRIPT_NAME} did not finish within timeout_sec={args.timeout_sec} and was killed with its child "
            f"processes. Use a smaller scale_factor or raise timeout_sec (max 3600). Full log: "
            f"{project / 'generation.log'}. End of output: {tail or '(none)'}"
        ) from None
    except ScriptCancelledError:
        raise ToolError("The script run was cancelled and its processes were killed.") from None
    except OSError as exc:
        raise ToolError(f"Could not start the script: {exc}") from None
    if outcome["exit_code"] != 0:
        tail = _tail(outcome["stderr"]) or _tail(outcome["stdout"])
        raise ToolError(
            f"{SCRIPT_NAME} failed with exit code {outcome['exit_code']} after {outcome['duration_sec']:.1f} s. "
            f"Full log: {outcome['log_path']}. End of stderr: {tail or '(empty)'}"
        )
    return ExecuteScriptOutput(
        exit_code=outcome["exit_code"],
        stdout=outcome["stdout"],
        stderr=outcome["stderr"],
        truncated=outcome["truncated"],
        duration_sec=outcome["duration_sec"],
        log_path=outcome["log_path"],
        data_path=str(project / DATA_DIR_NAME),
    )


def _tail(text: object, limit: int = SCRIPT_ERROR_TAIL_CHARS) -> str:
    if not text:
        return ""
    value = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else str(text)
    value = value.strip()
    return value if len(value) <= limit else "..." + value[-limit:]
