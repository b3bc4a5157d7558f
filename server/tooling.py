"""Registers tools whose flat parameters are built from one pydantic input model.

Why: the agent sees a flat input schema (one property per parameter, with its description), and
that schema must agree with the model that validates the call. Here the model is the only
definition: each field becomes a keyword parameter whose published JSON schema is the field's own
schema, the SDK passes the raw values through, and the wrapper validates them with the model. Bad
values then come back as one readable line per field (name, value, what is accepted) instead of
pydantic's multi-line dump.

The wrapper also turns failures into what the agent can act on: expected ones (`ToolError`, a path
outside the roots) keep their message; anything else is logged to stderr with its traceback and
reaches the agent as a one-line reason.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, get_args

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, ListRoots, MCPServer, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ListRootsResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError, WithJsonSchema

from generator.config import describe_validation_error
from server.paths import AllowedRoots, PathNotAllowedError, resolve_under_roots, roots_from_uris

if TYPE_CHECKING:
    from server.app import AppState

logger = logging.getLogger(__name__)

T = TypeVar("T")
InputT = TypeVar("InputT", bound=BaseModel)
OutputT = TypeVar("OutputT", bound=BaseModel)

#: Longest error message sent to the agent (the server log keeps everything).
MAX_ERROR_CHARS = 2000

_CTX_PARAM = "ctx"
_ROOTS_PARAM = "client_roots"


@dataclass(frozen=True)
class ToolContext:
    """What a tool body needs besides its arguments: the MCP context, server state and roots."""

    ctx: Context
    state: AppState
    roots: AllowedRoots

    def resolve(self, path: str, *, field: str) -> Path:
        """`server.paths.resolve_under_roots` with this call's roots (refusals become tool errors)."""
        return resolve_under_roots(path, self.roots, field=field)


ToolBody = Callable[[InputT, ToolContext], Awaitable[OutputT]]


@dataclass(frozen=True)
class ToolSpec(Generic[InputT, OutputT]):
    """A tool: its name, models, annotations and body (whose docstring is the description)."""

    name: str
    title: str
    input_model: type[InputT]
    output_model: type[OutputT]
    annotations: ToolAnnotations
    body: ToolBody[InputT, OutputT]
    uses_roots: bool = False

    @property
    def description(self) -> str:
        """The body's docstring, dedented: what the agent reads to decide when to call the tool."""
        return inspect.cleandoc(self.body.__doc__ or "")


def annotations(*, read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> ToolAnnotations:
    """All four hints, always spelled out (a missing hint defaults to the pessimistic value)."""
    return ToolAnnotations(
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=open_world,
    )


def register_tools(server: MCPServer, specs: list[ToolSpec[Any, Any]], *, read_only: bool) -> list[str]:
    """Add each spec as a tool; in read-only mode, skip every tool not marked read_only_hint."""
    added = []
    for spec in specs:
        if read_only and not spec.annotations.read_only_hint:
            continue
        server.add_tool(
            build_tool_function(spec),
            name=spec.name,
            title=spec.title,
            description=spec.description,
            annotations=spec.annotations,
            structured_output=True,
        )
        added.append(spec.name)
    return added


def build_tool_function(spec: ToolSpec[Any, Any]) -> Callable[..., Awaitable[Any]]:
    """An async function with one keyword parameter per input-model field (see module docstring)."""
    schema = spec.input_model.model_json_schema()
    properties: dict[str, Any] = schema.get("properties", {})
    parameters: list[inspect.Parameter] = []
    hints: dict[str, Any] = {}
    for name, field in spec.input_model.model_fields.items():
        field_schema = properties[name]
        if "$ref" in str(field_schema):
            raise TypeError(f"{spec.name}.{name}: nested models are not supported in a flat tool schema")
        annotation = Annotated[_passthrough_type(field.annotation), WithJsonSchema(field_schema)]
        default = inspect.Parameter.empty if field.is_required() else field.get_default(call_default_factory=True)
        parameters.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )
        hints[name] = annotation
    parameters.append(inspect.Parameter(_CTX_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    hints[_CTX_PARAM] = Context
    if spec.uses_roots:
        roots_annotation = Annotated[ListRootsResult, Resolve(_client_roots)]
        parameters.append(inspect.Parameter(_ROOTS_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=roots_annotation))
        hints[_ROOTS_PARAM] = roots_annotation
    returns = Annotated[CallToolResult, spec.output_model]
    hints["return"] = returns

    async def tool_function(**kwargs: Any) -> Any:
        ctx: Context = kwargs.pop(_CTX_PARAM)
        listed: ListRootsResult | None = kwargs.pop(_ROOTS_PARAM, None)
        return await run_tool(spec, kwargs, ctx, listed)

    tool_function.__name__ = spec.name
    tool_function.__qualname__ = spec.name
    tool_function.__doc__ = spec.description
    tool_function.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    tool_function.__annotations__ = hints
    return tool_function


async def run_tool(
    spec: ToolSpec[Any, Any], raw: dict[str, Any], ctx: Context, listed: ListRootsResult | None
) -> CallToolResult:
    """Validate `raw` with the input model, run the body, and shape every failure for the agent.

    The result carries the output model twice, as the protocol asks: as structured content, and
    as compact JSON text for clients that only read text (the SDK's default text is indented,
    which costs the agent's context several times more tokens for row data).
    """
    try:
        args = spec.input_model.model_validate(raw)
    except ValidationError as exc:
        raise ToolError(f"Invalid arguments: {describe_validation_error(exc)}") from None
    state: AppState = ctx.request_context.lifespan_context
    client_roots = roots_from_uris(str(root.uri) for root in listed.roots) if listed is not None else ()
    tool_ctx = ToolContext(ctx=ctx, state=state, roots=AllowedRoots(state.settings.data_root, client_roots))
    try:
        output = await spec.body(args, tool_ctx)
    except (ToolError, MCPError):
        raise
    except PathNotAllowedError as exc:
        raise ToolError(one_line(str(exc))) from None
    except Exception as exc:
        logger.exception("Tool %s failed unexpectedly", spec.name)
        raise ToolError(
            f"Unexpected error in {spec.name}: {type(exc).__name__}: {one_line(str(exc))} "
            "(the server's stderr log has the traceback)"
        ) from None  # already logged with its traceback above
    return CallToolResult(
        content=[TextContent(type="text", text=output.model_dump_json())],
        structured_content=output.model_dump(mode="json"),
    )


def one_line(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """Collapse whitespace to single spaces and cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _passthrough_type(annotation: Any) -> Any:
    """Type the SDK validates against before the model does: strings stay strings, the rest passes.

    Plain `str` (or `str | None`) keeps the SDK from JSON-decoding a string such as "[1]" into a
    list; every other field is `Any` so the input model reports problems in its own words.
    """
    if annotation is str:
        return str
    if set(get_args(annotation)) == {str, type(None)}:
        return str | None
    return Any


def _client_roots(ctx: Context) -> ListRoots | ListRootsResult:
    """Ask the client for its roots when it declared the capability; otherwise there are none."""
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return ListRootsResult(roots=[])
    return ListRoots()


async def run_in_thread(fn: Callable[[threading.Event], T], *, stop_wait_sec: float = 30.0) -> T:
    """Run blocking `fn(cancel)` in a worker thread; if the tool call is cancelled, set `cancel`
    and wait (up to `stop_wait_sec`) for `fn` to stop before letting the cancellation through.

    `fn` must poll the event, so a cancelled call never leaves work running behind the agent's back.
    """
    cancel = threading.Event()
    done = threading.Event()

    def target() -> T:
        try:
            return fn(cancel)
        finally:
            done.set()

    try:
        return await anyio.to_thread.run_sync(target, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        cancel.set()
        with anyio.CancelScope(shield=True):
            stopped = await anyio.to_thread.run_sync(done.wait, stop_wait_sec)
        if not stopped:
            logger.warning("A cancelled tool call's worker did not stop within %.0f s", stop_wait_sec)
        raise
