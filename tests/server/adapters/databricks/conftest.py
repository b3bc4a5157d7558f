"""Fixtures of the Databricks layer tests (the stand-in itself comes from tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from databricks_standin import ASSETS


@pytest.fixture(autouse=True)
def _fast(fast_databricks: None) -> None:
    """Every test of the adapter retries quickly and starts without a cached client."""


@pytest.fixture
def assets() -> Path:
    return ASSETS


@pytest.fixture
def local_dataset(tmp_path: Path) -> Path:
    """A local data folder like the generator's: two Parquet tables, a Delta-like table, a manifest."""
    root = tmp_path / "data"
    for table, rows in (("stores", 3), ("products", 5)):
        folder = root / table
        folder.mkdir(parents=True)
        for part in range(2):
            pq.write_table(
                pa.table({"id": list(range(part * rows, (part + 1) * rows))}), folder / f"part-{part:05d}.parquet"
            )
    delta = root / "orders"
    (delta / "_delta_log").mkdir(parents=True)
    pq.write_table(pa.table({"order_id": [1, 2]}), delta / "part-00000-abc.snappy.parquet")
    (delta / "_delta_log" / "00000000000000000000.json").write_text('{"commitInfo":{}}\n', encoding="utf-8")
    (root / "_manifest.json").write_text(json.dumps({"tables": ["stores", "products", "orders"]}), encoding="utf-8")
    return root
