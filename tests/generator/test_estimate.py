"""Estimates are close to what a run produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import GenerateOptions
from generator.estimate import estimate_dataset
from generator.runner import generate
from generator.spec import DatasetSpec


@pytest.mark.parametrize("fmt", ["parquet", "csv", "duckdb"])
def test_estimate_is_within_a_factor_of_two(tmp_path: Path, fmt: str) -> None:
    options = GenerateOptions(output_dir=tmp_path / fmt, format=fmt, scale="medium", scale_factor=0.5, days=10)
    estimate = estimate_dataset(options.spec(), fmt, 2)
    manifest = generate(options)
    for name, table in manifest.tables.items():
        if table.rows >= 1000:
            assert 0.5 < estimate.tables[name].rows / table.rows < 2, name
            assert 0.5 < estimate.tables[name].bytes / table.bytes < 2, name
    assert estimate.tables["stores"].rows == manifest.tables["stores"].rows
    assert 0.5 < estimate.total_bytes / manifest.total_bytes < 2
    assert estimate.peak_disk_bytes >= estimate.total_bytes


def test_estimate_grows_with_days_and_scale_and_shrinks_with_workers() -> None:
    small = estimate_dataset(DatasetSpec(), "parquet", 1)
    year = estimate_dataset(DatasetSpec(days=365), "parquet", 1)
    large = estimate_dataset(DatasetSpec(scale="large"), "parquet", 1)
    assert year.total_rows > 20 * small.total_rows
    assert large.total_bytes > 50 * small.total_bytes
    assert year.peak_memory_mb_per_worker < 300
    assert estimate_dataset(DatasetSpec(scale="large"), "parquet", 4).seconds < large.seconds


def test_a_duckdb_run_costs_its_load_and_stages_parquet_beside_the_file() -> None:
    spec = DatasetSpec(scale="medium", days=30)
    parquet, duckdb = estimate_dataset(spec, "parquet", 2), estimate_dataset(spec, "duckdb", 2)
    assert duckdb.seconds > parquet.seconds + 3  # the key indexes: about 200K rows/s (bench/duckdb_bench.py)
    assert abs(duckdb.peak_disk_bytes - (duckdb.total_bytes + parquet.total_bytes)) <= len(duckdb.tables)  # rounding
    assert parquet.peak_disk_bytes == parquet.total_bytes
