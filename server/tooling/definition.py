"""A tool is one definition: `@tool(title=..., hints=...)` on its body, whose docstring is the text the
agent reads and whose annotations name the input and output models.

    @tool(title="Generate a retail dataset", hints=Hints(read_only=False, destructive=True, ...))
    async def generate_data(args: GenerateDataInput, tc: ToolContext) -> GenerateDataOutput:
        '''What it does, when to use it, what it costs.'''

The decorator returns a ToolDefinition; `server.app` collects them per toolset, filters them for
read-only mode on `hints.read_only` and turns each into an MCP tool (`server.tooling.calls`).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import BaseModel, ConfigDict

from server.generation_jobs import JobRegistry
from server.paths import AllowedRoots, check_links_inside, resolve_under_roots
from server.settings import Settings


class ToolInput(BaseModel):
    """Base of the input models: unknown fields are refused, and a model is never changed after checking."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@contextmanager
def schema_field_allowed() -> Iterator[None]:
    """Allow a field named `schema` (the Unity Catalog and PostgreSQL term): pydantic warns that it shadows
    the deprecated `BaseModel.schema()`, which these models never use."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message='Field name "schema" ', category=UserWarning)
        yield


@dataclass(frozen=True)
class Hints:
    """All four annotation hints, always spelled out (a missing hint defaults to the pessimistic value)."""

    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool

    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=self.open_world,
        )


#: A tool that only reads local state.
READS = Hints(read_only=True, destructive=False, idempotent=True, open_world=False)


@dataclass
class AppState:
    """State shared by all tool calls of one server run (the lifespan context)."""

    settings: Settings
    jobs: JobRegistry = field(default_factory=JobRegistry)
    #: Files that tool results linked (server.tooling.links): the only ones resources/read serves.
    linked_files: set[Path] = field(default_factory=set)


@dataclass(frozen=True)
class ToolContext:
    """What a tool body needs besides its arguments: the MCP context, server state and roots."""

    ctx: Context
    state: AppState
    roots: AllowedRoots

    def resolve(self, path: str, *, field: str) -> Path:
        """`server.paths.resolve_under_roots` with this call's roots."""
        return resolve_under_roots(path, self.roots, field=field)

    def resolve_tree(self, path: str, *, field: str) -> Path:
        """`resolve`, and refuse a folder holding symlinks that lead outside the roots (for tools that
        read a whole folder: a dataset, or a folder to upload)."""
        folder = self.resolve(path, field=field)
        if folder.is_dir():
            check_links_inside(folder, self.roots, field=field)
        return folder


ToolBody = Callable[[Any, ToolContext], Awaitable[BaseModel]]


@dataclass(frozen=True)
class ToolDefinition:
    """A tool: its name, title, hints, models and body (whose docstring is the description)."""

    name: str
    title: str
    hints: Hints
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    body: ToolBody
    uses_roots: bool

    @property
    def description(self) -> str:
        """The body's docstring, dedented: what the agent reads to decide when to call the tool."""
        return inspect.cleandoc(self.body.__doc__ or "")


def tool(*, title: str, hints: Hints, uses_roots: bool = False) -> Callable[[ToolBody], ToolDefinition]:
    """Make the decorated `async def name(args: InputModel, tc: ToolContext) -> OutputModel` a tool.

    `uses_roots`: the body resolves paths, so the client's MCP roots are fetched for the call.
    """

    def define(body: ToolBody) -> ToolDefinition:
        hints_of_body = get_type_hints(body)
        args_name = next(iter(inspect.signature(body).parameters))
        return ToolDefinition(
            name=body.__name__,
            title=title,
            hints=hints,
            input_model=hints_of_body[args_name],
            output_model=hints_of_body["return"],
            body=body,
            uses_roots=uses_roots,
        )

    return define
