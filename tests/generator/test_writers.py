"""Part files stream batch by batch; the swap replaces a dataset in one step and keeps nothing half-made."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from generator.delta import commit_delta_table, delta_log_bytes
from generator.schema import TABLES
from generator.writers import open_part, remove_tree, swap_in

STORES = TABLES["stores"].schema


def rows(first: int, count: int) -> pa.Table:
    ids = list(range(first, first + count))
    columns = {
        "store_id": ids,
        "name": [f"s{i}" for i in ids],
        "region": ["West"] * count,
        "city": ["Denver"] * count,
        "state": ["CO"] * count,
        "latitude": [39.7] * count,
        "longitude": [-105.0] * count,
        "opened_date": pa.array([18000] * count, pa.int32()).cast(pa.date32()),
        "closed_date": pa.nulls(count, pa.date32()),
    }
    return pa.table(columns, schema=STORES)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_part_file_gets_every_batch(tmp_path: Path, fmt: str) -> None:
    writer = open_part(tmp_path, "stores/part-00003", STORES, fmt)
    writer.write(rows(1, 4))
    writer.write(rows(5, 2))
    written = writer.close()
    assert written.path == f"stores/part-00003.{'csv' if fmt == 'csv' else 'parquet'}"
    assert written.rows == 6 and written.bytes == (tmp_path / written.path).stat().st_size
    read = pq.read_table(tmp_path / written.path) if fmt == "parquet" else pa_csv.read_csv(tmp_path / written.path)
    assert read.column("store_id").to_pylist() == list(range(1, 7))
    if fmt == "parquet":
        assert pq.ParquetFile(tmp_path / written.path).metadata.num_row_groups == 2
        assert pq.read_schema(tmp_path / written.path).equals(STORES)


def test_parquet_parts_delta_encode_changing_columns_and_keep_decimals_exact(tmp_path: Path) -> None:
    orders = TABLES["orders"].schema
    data = pa.table(
        {
            "order_id": pa.array(range(10_000_001, 10_000_101), pa.int64()),
            "store_id": pa.array([1] * 100, pa.int32()),
            "customer_id": pa.array(range(1, 101), pa.int32()),
            "order_ts": pa.array(range(0, 100_000_000, 1_000_000), pa.int64()).cast(pa.timestamp("us")),
            "payment_type": ["cash", "credit_card"] * 50,
            "discount_pct": pa.array([Decimal("5.00"), Decimal("0.00")] * 50, orders.field("discount_pct").type),
            "order_total": pa.array([Decimal(f"{i}.{i:02d}") for i in range(100)], orders.field("order_total").type),
        },
        schema=orders,
    )
    writer = open_part(tmp_path, "orders/part-00000", orders, "parquet")
    writer.write(data)
    path = tmp_path / writer.close().path
    row_group = pq.ParquetFile(path).metadata.row_group(0)
    encodings = {row_group.column(i).path_in_schema: row_group.column(i).encodings for i in range(7)}
    assert "DELTA_BINARY_PACKED" in encodings["order_id"] and "DELTA_BINARY_PACKED" in encodings["order_ts"]
    assert "RLE_DICTIONARY" in encodings["payment_type"] and "RLE_DICTIONARY" in encodings["store_id"]
    assert row_group.column(6).physical_type == "INT64"  # a decimal(12, 2) stored as an integer
    read = pq.read_table(path)
    assert read.schema.equals(orders) and read.equals(data)


def test_abort_closes_the_file_without_finishing_it(tmp_path: Path) -> None:
    writer = open_part(tmp_path, "stores/part-00000", STORES, "parquet")
    writer.write(rows(1, 2))
    writer.abort()
    remove_tree(tmp_path / "stores")
    assert not (tmp_path / "stores").exists()


def test_swap_in_replaces_the_target_and_removes_the_old_one(tmp_path: Path) -> None:
    target, staging = tmp_path / "data", tmp_path / ".data.staging"
    for folder, marker in ((target, "old"), (staging, "new")):
        folder.mkdir()
        (folder / "marker").write_text(marker)
    swap_in(staging, target)
    assert (target / "marker").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    fresh = tmp_path / ".fresh.staging"
    fresh.mkdir()
    swap_in(fresh, tmp_path / "fresh")
    assert (tmp_path / "fresh").is_dir() and not fresh.exists()


def test_a_folder_of_parts_becomes_a_delta_table_without_rewriting_data(tmp_path: Path) -> None:
    from deltalake import DeltaTable

    writer = open_part(tmp_path, "stores/part-00000", STORES, "delta")
    writer.write(rows(1, 3))
    writer.close()
    before = (tmp_path / "stores" / "part-00000.parquet").read_bytes()
    commit_delta_table(tmp_path / "stores")
    assert DeltaTable(str(tmp_path / "stores")).to_pyarrow_table().num_rows == 3
    assert (tmp_path / "stores" / "part-00000.parquet").read_bytes() == before
    assert delta_log_bytes(tmp_path / "stores") > 0
