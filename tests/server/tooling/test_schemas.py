"""lean: pydantic's titles and an optional type's repeated description go; every constraint and every field
(one named title too) stays."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from generator.fields import CatalogName
from server.tooling.schemas import lean


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
    published = lean(schema)
    assert "title" in schema and "title" in schema["$defs"]["Inner"]["properties"]["kind"]
    assert "title" not in published and "title" not in published["$defs"]["Inner"]
    named_title = {"default": "Mr", "description": "A field named title.", "type": "string"}
    assert published["$defs"]["Inner"]["properties"]["title"] == named_title
    assert published["$defs"]["Inner"]["properties"]["kind"] == {"default": "a", "enum": ["a", "b"], "type": "string"}
    count = {"default": 1, "description": "How many.", "maximum": 9, "minimum": 1, "type": "integer"}
    assert published["properties"]["count"] == count
    assert published["properties"]["items"]["items"] == {"$ref": "#/$defs/Inner"}
    assert published["properties"]["items"]["maxItems"] == 3
    assert published["properties"]["inner"]["anyOf"] == [{"$ref": "#/$defs/Inner"}, {"type": "null"}]


def test_data_that_looks_like_a_schema_is_left_alone() -> None:
    schema = {"type": "object", "title": "T", "default": {"title": "kept"}, "enum": [{"title": "kept"}]}
    assert lean(schema) == {"type": "object", "default": {"title": "kept"}, "enum": [{"title": "kept"}]}


def test_an_optional_field_keeps_one_description() -> None:
    class Target(BaseModel):
        target: CatalogName | None = Field(None, description="Catalog for the tables; null: the volume's.")
        bare: CatalogName | None = None

    properties = Target.model_json_schema()["properties"]
    published = lean(Target.model_json_schema())["properties"]
    assert properties["target"]["anyOf"][0]["description"] == "Unity Catalog catalog."  # pydantic repeats it
    assert published["target"]["description"] == "Catalog for the tables; null: the volume's."
    assert published["target"]["anyOf"] == [{"maxLength": 255, "minLength": 1, "type": "string"}, {"type": "null"}]
    assert published["bare"]["anyOf"][0]["description"] == "Unity Catalog catalog."  # its only description
