"""Parameters are validated before anything runs, with messages naming field, value and what is accepted."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from generator.config import GenerateOptions, describe_validation_error
from generator.spec import DEFAULT_END_DATE, DatasetSpec


def message(**values: object) -> str:
    with pytest.raises(ValidationError) as error:
        GenerateOptions.model_validate(values)
    return describe_validation_error(error.value)


def test_defaults_are_the_pipeline_defaults() -> None:
    options = GenerateOptions()
    assert (options.scale, options.days, options.seed, options.overwrite, options.format) == (
        "small", 14, 42, True, "parquet"
    )  # fmt: skip
    assert options.end_date == DEFAULT_END_DATE == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"scale": "huge"}, "scale='huge': must be one of small, medium, large"),
        ({"days": 0}, "days=0: must be a whole number from 1 to 365"),
        ({"days": 366}, "days=366: must be a whole number from 1 to 365"),
        ({"days": True}, "days=True: not a whole number"),
        ({"scale_factor": -1}, "scale_factor=-1: must be a number > 0 and <= 1000"),
        ({"scale_factor": float("nan")}, "scale_factor=nan: must be a number > 0"),
        ({"seed": -5}, "seed=-5: must be a whole number from 0 to"),
        ({"format": "xlsx"}, "format='xlsx': Input should be 'parquet', 'csv', 'delta' or 'duckdb'"),
        ({"workers": 0}, "workers=0: must be a whole number from 1 to 64"),
        ({"end_date": "yesterday"}, "end_date='yesterday': not a date"),
        ({"colour": "red"}, "colour='red': unknown parameter; must be one of: scale, scale_factor"),
    ],
)
def test_bad_values_name_field_value_and_accepted(values: dict[str, object], expected: str) -> None:
    assert expected in message(**values)


def test_case_and_spaces_are_forgiven() -> None:
    options = GenerateOptions(scale=" Large ", format="CSV")
    assert (options.scale, options.format) == ("large", "csv")


def test_every_bad_field_is_reported_at_once() -> None:
    text = message(days="400", scale="huge", seed=-1)
    assert "days='400'" in text and "scale='huge'" in text and "seed=-1" in text


def test_scale_factor_multiplies_volumes_and_days_set_the_window() -> None:
    spec = GenerateOptions(scale="medium", scale_factor=2, days=30).spec()
    assert (spec.volumes.stores, spec.volumes.products, spec.volumes.customers) == (100, 2000, 50000)
    assert spec.start_date == date(2025, 12, 2)
    tiny = DatasetSpec(scale_factor=0.001).volumes
    assert tiny.stores >= 1 and tiny.products >= 1 and tiny.customers >= 2
