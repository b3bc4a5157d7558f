"""init_project: an editable copy of the script contract and the Databricks bundle in a project folder."""

from __future__ import annotations

from functools import partial

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from server.tooling.definition import Hints, ToolContext, ToolInput, tool


class InitProjectInput(ToolInput):
    """Parameters of init_project."""

    project_path: str = Field(
        "retail_project",
        min_length=1,
        description="Project folder to create or fill (relative to the data root).",
    )
    overwrite: bool = Field(False, description="Replace template files that exist (false refuses and lists them).")


class InitProjectOutput(BaseModel):
    """The files written into the project folder."""

    project_path: str = Field(description="Absolute path of the project folder.")
    files: list[str] = Field(description="Files written, relative to project_path.")
    overwritten: list[str] = Field(description="Files that existed and were replaced (overwrite=true only).")
    message: str = Field(description="What to do next.")


@tool(
    title="Create an editable generator project",
    # overwrite=true replaces template files the user may have edited.
    hints=Hints(read_only=False, destructive=True, idempotent=True, open_world=False),
    uses_roots=True,
)
async def init_project(args: InitProjectInput, tc: ToolContext) -> InitProjectOutput:
    """Create a project folder with an editable generate_data.py and the Databricks bundle files.

    Use it when the user wants a script to change and re-run (execute_script runs it), or a
    starting point to deploy on Databricks. Instant.
    """
    from server.adapters.project import ProjectExistsError, ProjectPathError, TemplatesMissingError
    from server.adapters.project import init_project as copy_templates

    project = tc.resolve(args.project_path, field="project_path")
    if project.exists() and not project.is_dir():
        raise ToolError(f"project_path={args.project_path!r} ({project}) is a file; choose a folder path.")
    try:
        project.mkdir(parents=True, exist_ok=True)
        files = await anyio.to_thread.run_sync(partial(copy_templates, project, overwrite=args.overwrite))
    except (ProjectExistsError, ProjectPathError, TemplatesMissingError) as exc:
        raise ToolError(str(exc)) from None
    except OSError as exc:
        raise ToolError(
            f"project_path={args.project_path!r} ({project}): cannot write the project files "
            f"({exc.strerror or exc}); choose a writable folder under the data root."
        ) from None
    return InitProjectOutput(
        project_path=str(project),
        files=files.written,
        overwritten=files.overwritten,
        message=f"Edit {project / 'generate_data.py'} if needed, then run it with "
        f"execute_script(project_path='{project}', scale_factor=0.1) for a quick test.",
    )
