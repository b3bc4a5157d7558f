"""The JSON schemas a client receives, without the `title` pydantic gives every property and model: it is the
field's or class's name again, and the tool list is read by the agent before its first call, so it costs
tokens and says nothing. Everything that constrains a value (types, bounds, patterns, enums) stays."""

from __future__ import annotations

from typing import Any

#: Keywords whose value maps names (of properties, definitions) to schemas: a name "title" there is a field.
_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
#: Keywords whose value is data, never a schema: left exactly as it is.
_DATA = frozenset({"default", "const", "enum", "examples", "required"})


def without_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the `title` keyword removed at every level (fields named title are kept)."""
    return {key: _value(key, value) for key, value in schema.items() if key != "title"}


def _value(key: str, value: Any) -> Any:
    if key in _DATA:
        return value
    if key in _NAMED_SCHEMAS and isinstance(value, dict):
        return {name: without_titles(sub) if isinstance(sub, dict) else sub for name, sub in value.items()}
    if isinstance(value, dict):
        return without_titles(value)
    if isinstance(value, list):
        return [without_titles(item) if isinstance(item, dict) else item for item in value]
    return value
