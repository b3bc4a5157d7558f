"""The JSON schemas a client receives, without what pydantic repeats: the `title` it gives every property
and model (the field's or class's name again), and the description of an optional field's type inside
its `anyOf` when the field has its own (`CatalogName | None` carries the type's text as well as the
field's). The tool list is read by the agent before its first call, so repeats cost tokens and say
nothing. Everything that constrains a value (types, bounds, patterns, enums) stays."""

from __future__ import annotations

from typing import Any

#: Keywords whose value maps names (of properties, definitions) to schemas: a name "title" there is a field.
_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
#: Keywords whose value is data, never a schema: left exactly as it is.
_DATA = frozenset({"default", "const", "enum", "examples", "required"})
#: Keywords whose value lists alternative schemas for the same value.
_ALTERNATIVES = frozenset({"anyOf", "oneOf"})


def lean(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` without titles at any level (fields named title are kept), and without the descriptions
    of alternatives whose schema has a description of its own."""
    described = "description" in schema
    return {key: _value(key, value, described) for key, value in schema.items() if key != "title"}


def _value(key: str, value: Any, described: bool) -> Any:
    if key in _DATA:
        return value
    if key in _NAMED_SCHEMAS and isinstance(value, dict):
        return {name: lean(sub) if isinstance(sub, dict) else sub for name, sub in value.items()}
    if isinstance(value, dict):
        return lean(value)
    if isinstance(value, list):
        items = [lean(item) if isinstance(item, dict) else item for item in value]
        return [_undescribed(item) for item in items] if key in _ALTERNATIVES and described else items
    return value


def _undescribed(item: Any) -> Any:
    return {key: value for key, value in item.items() if key != "description"} if isinstance(item, dict) else item
