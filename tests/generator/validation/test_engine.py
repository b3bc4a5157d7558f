"""The check engine: store partitions that cover every store, and memory limits as bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.readers import connect_dataset
from generator.validation.engine import parse_bytes, store_partitions

Rows = dict[str, list[dict[str, Any]]]


def test_store_partitions_cover_every_store(rows: Rows, make_dataset: Callable[..., Path]) -> None:
    con = connect_dataset(make_dataset(rows, "parquet"))
    assert store_partitions(con, 100) == ["true"]
    assert store_partitions(con, 1) == ["store_id <= 1", "store_id > 1", "store_id IS NULL"]
    assert store_partitions(con, 12) == ["store_id <= 1", "store_id > 1", "store_id IS NULL"]
    assert store_partitions(con, 16) == ["true"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("256MB", 256 * 10**6), ("1GB", 10**9), ("1.5GiB", int(1.5 * 2**30)), ("512 MiB", 512 * 2**20), ("x", 2**30)],
)
def test_memory_limit_parsing(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected
