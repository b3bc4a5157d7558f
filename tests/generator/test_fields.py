"""The rules as pydantic field types: the schema the agent sees, one check per value, readable refusals."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from generator import name_rules, rules
from generator.fields import CatalogName, Days, Workers, refusals, rule_type, validated


class Model(BaseModel):
    catalog: CatalogName
    days: Days = 14
    workers: Workers = None


def test_the_schema_carries_the_rule_bounds_and_description() -> None:
    properties = Model.model_json_schema()["properties"]
    assert {"type": "integer", "minimum": 1, "maximum": rules.MAX_DAYS}.items() <= properties["days"].items()
    assert properties["catalog"]["maxLength"] == name_rules.MAX_UC_NAME_LENGTH
    assert properties["catalog"]["description"].startswith("Unity Catalog")  # the type's own description
    assert properties["workers"]["anyOf"] == [{"maximum": 64, "minimum": 1, "type": "integer"}, {"type": "null"}]


def test_values_are_normalised_by_their_rule() -> None:
    model = Model(catalog="Main", days="30", workers=None)
    assert (model.catalog, model.days, model.workers) == ("main", 30, None)


def test_refusals_read_like_the_rules() -> None:
    with pytest.raises(ValidationError) as info:
        Model(catalog="a.b", days=True, colour="red")
    text = str(refusals(info.value, accepted_fields=list(Model.model_fields)))
    assert "catalog='a.b': contains a dot; must be 1 to 255 characters" in text
    assert "days=True: not a whole number" in text


SEEN: list[object] = []


def _counting(value: object, field: str) -> object:
    SEEN.append(value)
    return name_rules.UC_NAME(value, field)


Counted = rule_type(rules.Rule(_counting, {"type": "string"}), str, "a counted name")


def test_each_value_is_checked_exactly_once() -> None:
    @validated
    def function(name: Counted, *, other: Any = None) -> str:  # type: ignore[valid-type]
        return str(name)

    seen = SEEN
    seen.clear()
    assert function("Main") == "main"
    assert seen == ["Main"]
    assert function.raw_function("already-checked") == "already-checked"  # type: ignore[attr-defined]
    assert seen == ["Main"]


def test_validated_functions_name_positional_parameters() -> None:
    @validated
    def upload(catalog: CatalogName, days: Days = 14) -> tuple[str, int]:
        return catalog, days

    with pytest.raises(rules.RuleErrors) as info:
        upload("a b", 0)
    assert [error.field for error in info.value.errors] == ["catalog", "days"]
    with pytest.raises(rules.RuleErrors, match="unknown parameter"):
        upload(catalog="x", day=3)  # type: ignore[call-arg]
    with pytest.raises(rules.RuleErrors, match="catalog=None: a required parameter is missing"):
        upload()  # type: ignore[call-arg]
