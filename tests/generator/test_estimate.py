"""Estimates are close to what a run produces, and say when the machine cannot hold a run."""

from __future__ import annotations

from pathlib import Path

import pytest

import generator.estimate
from generator.config import GenerateOptions
from generator.estimate import capacity_problems, estimate_dataset
from generator.runner import generate
from generator.spec import DatasetSpec


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_estimate_is_within_a_factor_of_two(tmp_path: Path, fmt: str) -> None:
    options = GenerateOptions(output_dir=tmp_path / fmt, format=fmt, scale="medium", scale_factor=0.5, days=10)
    estimate = estimate_dataset(options.dataset().spec(), fmt)
    manifest = generate(options)
    for name, table in manifest.tables.items():
        if table.rows >= 1000:
            assert 0.5 < estimate.tables[name].rows / table.rows < 2, name
            assert 0.5 < estimate.tables[name].bytes / table.bytes < 2, name
    assert estimate.tables["stores"].rows == manifest.tables["stores"].rows


def test_estimate_grows_with_days_and_scale() -> None:
    small = estimate_dataset(DatasetSpec())
    year = estimate_dataset(DatasetSpec(days=365))
    large = estimate_dataset(DatasetSpec(scale="large"))
    assert year.total_rows > 20 * small.total_rows
    assert large.total_bytes > 50 * small.total_bytes
    assert year.peak_memory_mb_per_worker < 300


def test_capacity_problems_name_the_figure_and_the_way_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = estimate_dataset(DatasetSpec(scale="large", days=365, scale_factor=1000))
    problems = capacity_problems(huge, tmp_path / "not" / "yet")
    assert any("GB free" in p and "Databricks cluster" in p for p in problems)
    assert capacity_problems(estimate_dataset(DatasetSpec()), tmp_path) == []
    monkeypatch.setattr(generator.estimate, "_available_memory_bytes", lambda: 10**6)
    assert any(
        "memory" in p and "fewer workers" in p for p in capacity_problems(estimate_dataset(DatasetSpec()), tmp_path)
    )
