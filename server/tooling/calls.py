"""Turns a ToolDefinition into an MCP tool whose flat parameters are built from its input model.

Why: the agent sees a flat input schema (one property per parameter, with its description), and
that schema must agree with the model that validates the call. Here the model is the only
definition: each field becomes a keyword parameter whose published JSON schema is the field's own
schema (with `additionalProperties: false`, less pydantic's repeats: server.tooling.schemas), the SDK
passes the call's arguments through as sent, unknown names included, and the wrapper validates them
with the model. Bad values then come back as one readable line per field (name, value, what is
accepted) instead of pydantic's multi-line dump, and a misspelled parameter (`day=30` for `days`) is
refused with the accepted names instead of being dropped silently (the SDK's own argument model
ignores names it does not know).

The wrapper also turns failures into what the agent can act on: expected ones (`ToolError`, a path
outside the roots) keep their message; anything else is logged to stderr with its traceback and
reaches the agent as a one-line reason. Every error is capped in length (its head and tail kept)
and has the values of known secrets masked.
"""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, get_args

from mcp.server.mcpserver import Context, ListRoots, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ListRootsResult, TextContent
from pydantic import ValidationError, WithJsonSchema

from generator.fields import refusals
from server.adapters.secrets import MaskSecretsFilter
from server.paths import AllowedRoots, PathNotAllowedError, roots_from_uris
from server.tooling.definition import ToolContext, ToolDefinition
from server.tooling.links import resource_links
from server.tooling.messages import error_text, one_line
from server.tooling.schemas import lean

logger = logging.getLogger(__name__)
logger.addFilter(MaskSecretsFilter())  # this module logs unexpected errors with their tracebacks

_CTX_PARAM = "ctx"
_ROOTS_PARAM = "client_roots"
#: Keyword under which the tool function receives the call's arguments as sent (see _RawArguments).
_RAW_PARAM = "__raw_arguments__"


def mcp_tool(definition: ToolDefinition) -> Tool:
    """The MCP tool for a definition: its flat signature, and arguments routed to `run_tool` as sent."""
    tool = Tool.from_function(
        build_tool_function(definition),
        name=definition.name,
        title=definition.title,
        description=definition.description,
        annotations=definition.hints.annotations(),
        structured_output=True,
    )
    metadata = tool.fn_metadata
    raw = _RawArguments(
        arg_model=metadata.arg_model,
        output_schema=lean(metadata.output_schema) if metadata.output_schema is not None else None,
        output_model=metadata.output_model,
        wrap_output=metadata.wrap_output,
    )
    parameters = {**lean(tool.parameters), "additionalProperties": False}
    return tool.model_copy(update={"fn_metadata": raw, "parameters": parameters})


class _RawArguments(FuncMetadata):
    """The SDK's argument step reduced to its JSON pre-parsing (a list or object sent as a JSON
    string is decoded for non-string parameters): the arguments reach `run_tool` as sent, unknown
    names and missing ones included, and the tool's input model validates them there.

    The SDK's own argument model would drop unknown names without a word and answer a wrong type
    with pydantic's multi-line dump. `additionalProperties: false` in the published schema tells
    clients that only the listed parameters are accepted.
    """

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        return {_RAW_PARAM: self.pre_parse_json(arguments_to_validate)}


def build_tool_function(definition: ToolDefinition) -> Callable[..., Awaitable[Any]]:
    """An async function with one keyword parameter per input-model field (see module docstring)."""
    schema = definition.input_model.model_json_schema()
    properties: dict[str, Any] = schema.get("properties", {})
    parameters: list[inspect.Parameter] = []
    hints: dict[str, Any] = {}
    for name, field in definition.input_model.model_fields.items():
        field_schema = lean(properties[name])
        if "$ref" in str(field_schema):
            raise TypeError(f"{definition.name}.{name}: nested models are not supported in a flat tool schema")
        annotation = Annotated[_passthrough_type(field.annotation), WithJsonSchema(field_schema)]
        default = inspect.Parameter.empty if field.is_required() else field.get_default(call_default_factory=True)
        parameters.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )
        hints[name] = annotation
    parameters.append(inspect.Parameter(_CTX_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    hints[_CTX_PARAM] = Context
    if definition.uses_roots:
        roots_annotation = Annotated[ListRootsResult, Resolve(_client_roots)]
        parameters.append(inspect.Parameter(_ROOTS_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=roots_annotation))
        hints[_ROOTS_PARAM] = roots_annotation
    returns = Annotated[CallToolResult, definition.output_model]
    hints["return"] = returns

    async def tool_function(**kwargs: Any) -> Any:
        ctx: Context = kwargs.pop(_CTX_PARAM)
        listed: ListRootsResult | None = kwargs.pop(_ROOTS_PARAM, None)
        raw = kwargs.pop(_RAW_PARAM, kwargs)  # kwargs themselves when called without _RawArguments
        return await run_tool(definition, raw, ctx, listed)

    tool_function.__name__ = definition.name
    tool_function.__qualname__ = definition.name
    tool_function.__doc__ = definition.description
    tool_function.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    tool_function.__annotations__ = hints
    return tool_function


async def run_tool(
    definition: ToolDefinition, raw: dict[str, Any], ctx: Context, listed: ListRootsResult | None
) -> CallToolResult:
    """Validate `raw` with the input model, run the body, and shape every failure for the agent.

    The result carries the output model twice, as the protocol asks: as structured content, and
    as compact JSON text for clients that only read text (the SDK's default text is indented,
    which costs the agent's context several times more tokens for row data); then a resource link
    to each file the output names instead of inlining it (server.tooling.links).
    """
    args = validate_arguments(definition, raw)
    state = ctx.request_context.lifespan_context
    client_roots = roots_from_uris(str(root.uri) for root in listed.roots) if listed is not None else ()
    tool_ctx = ToolContext(ctx=ctx, state=state, roots=AllowedRoots(state.settings.data_root, client_roots))
    try:
        output = await definition.body(args, tool_ctx)
    except MCPError:
        raise
    except ToolError as exc:
        text = str(exc)
        safe = error_text(text)
        if safe == text:
            raise
        raise ToolError(safe) from None
    except PathNotAllowedError as exc:
        raise ToolError(error_text(one_line(exc))) from None
    except Exception as exc:
        logger.exception("Tool %s failed unexpectedly", definition.name)
        raise ToolError(
            error_text(
                f"Unexpected error in {definition.name}: {type(exc).__name__}: {one_line(exc)} "
                "(the server's stderr log has the traceback)"
            )
        ) from None  # already logged with its traceback above
    return CallToolResult(
        content=[TextContent(type="text", text=output.model_dump_json()), *resource_links(output, state)],
        structured_content=output.model_dump(mode="json"),
    )


def validate_arguments(definition: ToolDefinition, raw: dict[str, Any]) -> Any:
    """The input model built from the call's arguments; ToolError naming every bad parameter.

    Unknown names are refused first, with the closest accepted name and the full list, because a
    misspelled optional parameter would otherwise leave its default in place without a word.
    """
    fields = definition.input_model.model_fields
    accepted = list(fields)
    unknown = [name for name in raw if name not in fields]
    if unknown:
        parts = []
        for name in unknown:
            shown = repr(name) if len(name) <= 60 else repr(name[:57] + "...")
            close = difflib.get_close_matches(name, accepted, n=1) if len(name) <= 100 else []
            parts.append(f"{shown} (did you mean {close[0]!r}?)" if close else shown)
        noun = "parameter" if len(unknown) == 1 else "parameters"
        raise ToolError(
            error_text(
                f"Invalid arguments: unknown {noun} {', '.join(parts)}; {definition.name} accepts only: "
                f"{', '.join(accepted) or '(no parameters)'}."
            )
        )
    try:
        return definition.input_model.model_validate(raw)
    except ValidationError as exc:
        raise ToolError(error_text(f"Invalid arguments: {refusals(exc, accepted_fields=accepted)}")) from None


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
