"""without_titles: pydantic's titles go, every constraint and every field (one named title too) stays."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from server.tooling.schemas import without_titles


class Inner(BaseModel):
    """A nested model."""

    title: str = Field("Mr", description="A field named title.")
    kind: Literal["a", "b"] = "a"


class Outer(BaseModel):
    """The model of a tool."""

    inner: Inner | None = None
    items: list[Inner] = Field(default_factory=list, max_length=3)
    count: int = Field(1, ge=1, le=9, description="How many.")


def test_titles_go_and_everything_else_stays() -> None:
    schema = Outer.model_json_schema()
    lean = without_titles(schema)
    assert "title" in schema and "title" in schema["$defs"]["Inner"]["properties"]["kind"]
    assert "title" not in lean and "title" not in lean["$defs"]["Inner"]
    named_title = {"default": "Mr", "description": "A field named title.", "type": "string"}
    assert lean["$defs"]["Inner"]["properties"]["title"] == named_title
    assert lean["$defs"]["Inner"]["properties"]["kind"] == {"default": "a", "enum": ["a", "b"], "type": "string"}
    count = {"default": 1, "description": "How many.", "maximum": 9, "minimum": 1, "type": "integer"}
    assert lean["properties"]["count"] == count
    assert lean["properties"]["items"]["items"] == {"$ref": "#/$defs/Inner"}
    assert lean["properties"]["items"]["maxItems"] == 3
    assert lean["properties"]["inner"]["anyOf"] == [{"$ref": "#/$defs/Inner"}, {"type": "null"}]


def test_data_that_looks_like_a_schema_is_left_alone() -> None:
    schema = {"type": "object", "title": "T", "default": {"title": "kept"}, "enum": [{"title": "kept"}]}
    assert without_titles(schema) == {"type": "object", "default": {"title": "kept"}, "enum": [{"title": "kept"}]}
