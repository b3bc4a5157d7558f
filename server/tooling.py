"""Registers tools whose flat parameters are built from one pydantic input model.

Why: the agent sees a flat input schema (one property per parameter, with its description), and
that schema must agree with the model that validates the call. Here the model is the only
definition: each field becomes a keyword parameter whose published JSON schema is the field's own
schema (with `additionalProperties: false`), the SDK passes the call's arguments through as sent,
unknown names included, and the wrapper validates them with the model. Bad values then come back
as one readable line per field (name, value, what is accepted) instead of pydantic's multi-line
dump, and a misspelled parameter (`day=30` for `days`) is refused with the accepted names instead
of being dropped silently (the SDK's own argument model ignores names it does not know).

The wrapper also turns failures into what the agent can act on: expected ones (`ToolError`, a path
outside the roots) keep their message; anything else is logged to stderr with its traceback and
reaches the agent as a one-line reason. Every error is capped in length (its head and tail kept)
and has the values of known secrets masked.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, get_args

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, ListRoots, MCPServer, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ListRootsResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError, WithJsonSchema

from server.paths import (
    AllowedRoots,
    PathNotAllowedError,
    check_links_inside,
    resolve_under_roots,
    roots_from_uris,
)
from server.secrets import env_secrets

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
#: Keyword under which the tool function receives the call's arguments as sent (see _RawArguments).
_RAW_PARAM = "__raw_arguments__"


@dataclass(frozen=True)
class ToolContext:
    """What a tool body needs besides its arguments: the MCP context, server state and roots."""

    ctx: Context
    state: AppState
    roots: AllowedRoots

    def resolve(self, path: str, *, field: str) -> Path:
        """`server.paths.resolve_under_roots` with this call's roots (refusals become tool errors)."""
        return resolve_under_roots(path, self.roots, field=field)

    def resolve_tree(self, path: str, *, field: str) -> Path:
        """`resolve`, and refuse a folder holding symlinks that lead outside the roots (for tools that
        read a whole folder: a dataset, or a folder to upload)."""
        folder = self.resolve(path, field=field)
        if folder.is_dir():
            check_links_inside(folder, self.roots, field=field)
        return folder


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
        _take_over_arguments(server, spec.name)
        added.append(spec.name)
    return added


class _RawArguments(FuncMetadata):
    """The SDK's argument step reduced to its JSON pre-parsing (a list or object sent as a JSON
    string is decoded for non-string parameters): the arguments reach `run_tool` as sent, unknown
    names and missing ones included, and the tool's input model validates them there.

    The SDK's own argument model would drop unknown names without a word and answer a wrong type
    with pydantic's multi-line dump.
    """

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        return {_RAW_PARAM: self.pre_parse_json(arguments_to_validate)}


def _take_over_arguments(server: MCPServer, name: str) -> None:
    """Route the registered tool's arguments to `run_tool` unvalidated and publish
    `additionalProperties: false`, so clients know that only the listed parameters are accepted."""
    tool = server._tool_manager.get_tool(name)  # the SDK has no public accessor for a registered Tool
    if tool is None:  # pragma: no cover - only if the SDK changes how add_tool stores tools
        raise RuntimeError(f"tool {name!r} was not registered")
    metadata = tool.fn_metadata
    tool.fn_metadata = _RawArguments(
        arg_model=metadata.arg_model,
        output_schema=metadata.output_schema,
        output_model=metadata.output_model,
        wrap_output=metadata.wrap_output,
    )
    tool.parameters = {**tool.parameters, "additionalProperties": False}


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
        raw = kwargs.pop(_RAW_PARAM, kwargs)  # kwargs themselves when called without _RawArguments
        return await run_tool(spec, raw, ctx, listed)

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
    args = validate_arguments(spec, raw)
    state: AppState = ctx.request_context.lifespan_context
    client_roots = roots_from_uris(str(root.uri) for root in listed.roots) if listed is not None else ()
    tool_ctx = ToolContext(ctx=ctx, state=state, roots=AllowedRoots(state.settings.data_root, client_roots))
    try:
        output = await spec.body(args, tool_ctx)
    except MCPError:
        raise
    except ToolError as exc:
        text = str(exc)
        safe = error_text(text)
        if safe == text:
            raise
        raise ToolError(safe) from None
    except PathNotAllowedError as exc:
        raise ToolError(error_text(one_line(str(exc)))) from None
    except Exception as exc:
        logger.exception("Tool %s failed unexpectedly", spec.name)
        raise ToolError(
            error_text(
                f"Unexpected error in {spec.name}: {type(exc).__name__}: {one_line(str(exc))} "
                "(the server's stderr log has the traceback)"
            )
        ) from None  # already logged with its traceback above
    return CallToolResult(
        content=[TextContent(type="text", text=output.model_dump_json())],
        structured_content=output.model_dump(mode="json"),
    )


def validate_arguments(spec: ToolSpec[Any, Any], raw: dict[str, Any]) -> Any:
    """The input model built from the call's arguments; ToolError naming every bad parameter.

    Unknown names are refused first, with the closest accepted name and the full list, because a
    misspelled optional parameter would otherwise leave its default in place without a word.
    """
    accepted = list(spec.input_model.model_fields)
    unknown = [name for name in raw if name not in spec.input_model.model_fields]
    if unknown:
        parts = []
        for name in unknown:
            shown = repr(name) if len(name) <= 60 else repr(name[:57] + "...")
            close = difflib.get_close_matches(name, accepted, n=1) if len(name) <= 100 else []
            parts.append(f"{shown} (did you mean {close[0]!r}?)" if close else shown)
        noun = "parameter" if len(unknown) == 1 else "parameters"
        raise ToolError(
            error_text(
                f"Invalid arguments: unknown {noun} {', '.join(parts)}; {spec.name} accepts only: "
                f"{', '.join(accepted) or '(no parameters)'}."
            )
        )
    try:
        return spec.input_model.model_validate(raw)
    except ValidationError as exc:
        raise ToolError(error_text(f"Invalid arguments: {describe_invalid(exc)}")) from None


def describe_invalid(exc: ValidationError) -> str:
    """One readable part per bad parameter: its name, the value given and what is accepted (as
    `generator.config.describe_validation_error`), and a missing parameter said as such."""
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "arguments"
        if error["type"] == "missing":
            parts.append(f"{field}: required parameter is missing")
            continue
        shown = repr(error.get("input"))
        if len(shown) > 80:
            shown = shown[:77] + "..."
        parts.append(f"{field}={shown}: {error['msg']}")
    return "; ".join(parts)


def error_text(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """An error message fit for the agent: secrets masked, at most `limit` characters.

    A long message keeps its head and its tail, where the way out usually is ("choose one of ...").
    """
    text = mask_secrets(text)
    if len(text) <= limit:
        return text
    tail = limit // 4
    return f"{text[: limit - tail - 5]} ... {text[-tail:]}"


def mask_secrets(text: str) -> str:
    """`text` with the values of the secret environment variables masked, and everything
    `server.databricks.auth.redact` masks once that module is in use (tokens of profiles included).

    The Databricks module is not imported here: until it is loaded no profile secret is known,
    and loading it would pull in the Databricks SDK on the first error of any tool.
    """
    for value in env_secrets():
        text = text.replace(value, "[REDACTED]")
    auth = sys.modules.get("server.databricks.auth")
    redact = getattr(auth, "redact", None)
    return redact(text) if callable(redact) else text


class MaskSecretsFilter(logging.Filter):
    """Masks known secrets (see `mask_secrets`) in a log record's message and traceback.

    On a logger it covers the records made on that logger; on a handler, every record the handler
    writes, whichever library made it (the Databricks SDK logs response bodies at DEBUG).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error handling
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        return True


def install_log_masking(target: logging.Logger | None = None) -> None:
    """Add `MaskSecretsFilter` to every handler of `target` (default: the root logger), once.

    Call it after logging is configured (server/__main__.py): from then on no log line carries
    the value of a known secret, whatever library logged it.
    """
    for handler in (target or logging.getLogger()).handlers:
        if not any(isinstance(existing, MaskSecretsFilter) for existing in handler.filters):
            handler.addFilter(MaskSecretsFilter())


logger.addFilter(MaskSecretsFilter())  # this module logs unexpected errors with their tracebacks


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
