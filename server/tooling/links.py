"""Files a tool result points at instead of inlining them: a dataset's manifest (every file of every
table), a script's full log. They go into the result's content as MCP resource links (`resource_link`)
and the structured content keeps counts and the path, so a result stays small whatever the dataset.

Why `file://` links: the server runs on the user's machine, so a client that opens local files itself
(VS Code, Cursor, Claude Code) opens the link directly, and one that reads resources through the
server gets it with `resources/read`. This server serves exactly the files it linked during the
session, nothing else (a `retail://` scheme would work only through the server, and a link that the
server would not serve would be a dead end).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.mcpserver.resources.templates import ResourceSecurity
from mcp.types import ResourceLink

from server.tooling.definition import AppState

#: Characters of a linked file returned by resources/read; a longer file (a flooding script's log)
#: comes back as its last part, with a first line that says so.
MAX_READ_CHARS = 400_000


@dataclass(frozen=True)
class LinkedFile:
    """A file a result points at, described for the client."""

    path: Path
    description: str
    mime_type: str


@runtime_checkable
class LinksFiles(Protocol):
    """An output model that names files to link (besides its structured content)."""

    def linked_files(self) -> list[LinkedFile]: ...


def resource_links(output: object, state: AppState) -> list[ResourceLink]:
    """Resource links to the existing files `output` names; each is remembered so that resources/read
    serves it."""
    if not isinstance(output, LinksFiles):
        return []
    links = []
    for linked in output.linked_files():
        path = linked.path.resolve()
        if not path.is_file():
            continue
        state.linked_files.add(path)
        links.append(
            ResourceLink(
                type="resource_link",
                uri=path.as_uri(),
                name=path.name,
                description=linked.description,
                mime_type=linked.mime_type,
                size=path.stat().st_size,
            )
        )
    return links


#: resources/read of a linked file: its file:// URI (on Windows file:///C:/..., whose path is C:/...).
LINKED_FILE_TEMPLATE = "file:///{+path}"


async def read_linked_file(path: str, ctx: Context) -> str:
    """The text of a file that a result of this session linked; ResourceNotFoundError for any other."""
    from urllib.request import url2pathname

    state: AppState = ctx.request_context.lifespan_context
    local = Path(url2pathname("/" + path)).resolve()
    if local not in state.linked_files:
        raise ResourceNotFoundError(f"{local} is not a file that a tool result of this session linked")
    text = await anyio.to_thread.run_sync(lambda: local.read_text(encoding="utf-8", errors="replace"))
    if len(text) <= MAX_READ_CHARS:
        return text
    omitted = len(text) - MAX_READ_CHARS
    return f"[first {omitted:,} characters left out; the whole file is {local}]\n{text[-MAX_READ_CHARS:]}"


def register_linked_files(server: MCPServer) -> None:
    """Serve LINKED_FILE_TEMPLATE for the files this server linked (resource_links)."""
    description = "A dataset's _manifest.json or a script's generation.log that a tool result pointed at."
    # The path is absolute by nature, so the SDK's path checks are off for it: the links decide.
    security = ResourceSecurity(exempt_params={"path"})
    server.resource(
        LINKED_FILE_TEMPLATE, name="linked_file", description=description, mime_type="text/plain", security=security
    )(read_linked_file)
