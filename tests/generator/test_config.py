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
        ({"scale": "huge"}, "scale='huge': Input should be 'small', 'medium' or 'large'"),
        ({"days": 0}, "days=0: Input should be greater than or equal to 1"),
        ({"days": 366}, "days=366: Input should be less than or equal to 365"),
        ({"scale_factor": -1}, "scale_factor=-1: Input should be greater than 0"),
        ({"scale_factor": float("nan")}, "scale_factor=nan: Input should be a finite number"),
        ({"seed": -5}, "seed=-5: Input should be greater than or equal to 0"),
        ({"format": "xlsx"}, "format='xlsx': Input should be 'parquet', 'csv' or 'delta'"),
        ({"workers": 0}, "workers=0: Input should be greater than or equal to 1"),
        ({"end_date": "yesterday"}, "end_date='yesterday'"),
        ({"colour": "red"}, "colour='red': unknown parameter; accepted parameters are: scale, scale_factor"),
    ],
)
def test_bad_values_name_field_value_and_accepted(values: dict[str, object], expected: str) -> None:
    assert expected in message(**values)


def test_case_and_spaces_are_forgiven() -> None:
    options = GenerateOptions(scale=" Large ", format="CSV")
    assert (options.scale, options.format) == ("large", "csv")


def test_spec_validates_without_pydantic() -> None:
    with pytest.raises(ValueError, match=r"days=0: must be a whole number from 1 to 365"):
        DatasetSpec(days=0)
    with pytest.raises(ValueError, match=r"scale='xl'.*scale_factor=inf"):
        DatasetSpec(scale="xl", scale_factor=float("inf"))


def test_scale_factor_multiplies_volumes_and_days_set_the_window() -> None:
    spec = GenerateOptions(scale="medium", scale_factor=2, days=30).dataset().spec()
    assert (spec.volumes.stores, spec.volumes.products, spec.volumes.customers) == (100, 2000, 50000)
    assert spec.start_date == date(2025, 12, 2)
    tiny = DatasetSpec(scale_factor=0.001).volumes
    assert tiny.stores >= 1 and tiny.products >= 1 and tiny.customers >= 2
