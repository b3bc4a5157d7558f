"""DatasetSpec: raw values checked by the rules (no pydantic), presets scaled, the window explicit."""

from __future__ import annotations

from datetime import date

import pytest

from generator.rules import RuleErrors
from generator.spec import DEFAULT_DAYS, DEFAULT_END_DATE, DEFAULT_SEED, DatasetSpec


def test_parse_checks_raw_values_and_reports_every_bad_one() -> None:
    with pytest.raises(RuleErrors) as info:
        DatasetSpec.parse(scale="xl", scale_factor=float("inf"), days="0")
    assert [error.field for error in info.value.errors] == ["scale", "scale_factor", "days"]


def test_parse_takes_text_as_an_environment_gives_it() -> None:
    spec = DatasetSpec.parse(scale="Medium", scale_factor="0.5", days="30", seed="7", end_date="2024-03-01")
    assert spec == DatasetSpec(scale="medium", scale_factor=0.5, days=30, seed=7, end_date=date(2024, 3, 1))


def test_defaults_and_window() -> None:
    spec = DatasetSpec.parse()
    assert (spec.days, spec.seed, spec.end_date) == (DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_END_DATE)
    assert spec.start_date == date(2025, 12, 18)
    assert spec.dataset_fields()["start_date"] == "2025-12-18"
