"""Same parameters and seed, same bytes: whatever the worker count, today or next year."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from generator.config import GenerateOptions
from generator.plan import plan
from generator.runner import generate
from generator.schema import TABLE_NAMES
from generator.spec import DatasetSpec

# Several activity chunks (40 stores, 16 per chunk), so workers really split the work.
MULTI_CHUNK = {"scale": "large", "scale_factor": 0.2, "days": 5}
TINY = {"scale": "small", "scale_factor": 0.05, "days": 3, "seed": 42}
#: Content hash of TINY (rows of every table, in file order); changes only when generation does.
TINY_CONTENT_SHA256 = "19bc51d27d59699e4726caae6d2df1f5a1bc8744f6ce09167726fe788d73d009"


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "_manifest.json"
    }


def content_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for table in TABLE_NAMES:
        for part in sorted((root / table).glob("*.parquet")):
            for row in pq.read_table(part).to_pylist():
                digest.update(json.dumps(row, default=str, sort_keys=True).encode())
    return digest.hexdigest()


def test_plan_does_not_depend_on_workers() -> None:
    spec = DatasetSpec(**MULTI_CHUNK)
    chunks = plan(spec)
    assert sum(1 for c in chunks if c.kind == "activity") >= 3
    assert plan(spec) == chunks


def test_one_and_many_workers_write_identical_bytes(tmp_path: Path) -> None:
    one = generate(GenerateOptions(output_dir=tmp_path / "one", workers=1, **MULTI_CHUNK))
    three = generate(GenerateOptions(output_dir=tmp_path / "three", workers=3, **MULTI_CHUNK))
    assert (one.workers, three.workers) == (1, 3)
    assert file_hashes(tmp_path / "one") == file_hashes(tmp_path / "three")
    assert len(file_hashes(tmp_path / "one")) >= 3 * 3 + 4


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, fmt: str) -> None:
    generate(GenerateOptions(output_dir=tmp_path / "a", format=fmt, **TINY))
    generate(GenerateOptions(output_dir=tmp_path / "b", format=fmt, **TINY))
    generate(GenerateOptions(output_dir=tmp_path / "c", format=fmt, **{**TINY, "seed": 43}))
    assert file_hashes(tmp_path / "a") == file_hashes(tmp_path / "b")
    differing = {
        name for name, digest in file_hashes(tmp_path / "a").items() if file_hashes(tmp_path / "c")[name] != digest
    }
    assert {"customers/part-00000." + ("csv" if fmt == "csv" else "parquet")} <= differing
    assert len(differing) >= 5


def test_delta_rows_are_reproducible(tmp_path: Path) -> None:
    """Delta logs carry commit times, so Delta is compared by rows; its data files are the Parquet parts."""
    from deltalake import DeltaTable

    generate(GenerateOptions(output_dir=tmp_path / "delta", format="delta", **TINY))
    generate(GenerateOptions(output_dir=tmp_path / "parquet", **TINY))
    for table in TABLE_NAMES:
        delta_rows = DeltaTable(str(tmp_path / "delta" / table)).to_pyarrow_table()
        parquet_rows = pq.read_table(tmp_path / "parquet" / table)
        assert delta_rows.to_pylist() == parquet_rows.to_pylist()


def test_pinned_content_hash_of_a_tiny_dataset(tmp_path: Path) -> None:
    """A change to any generated value shows up here; update the pin only on purpose."""
    generate(GenerateOptions(output_dir=tmp_path / "tiny", **TINY))
    assert content_hash(tmp_path / "tiny") == TINY_CONTENT_SHA256


def test_the_window_is_explicit_not_today(tmp_path: Path) -> None:
    manifest = generate(GenerateOptions(output_dir=tmp_path / "d", **TINY))
    assert manifest.parameters["end_date"] == "2025-12-31"
    assert manifest.parameters["start_date"] == "2025-12-29"
    later = generate(GenerateOptions(output_dir=tmp_path / "e", end_date="2026-03-31", **TINY))
    assert later.parameters["start_date"] == "2026-03-29"
    orders = pq.read_table(tmp_path / "e" / "orders").column("order_ts").to_pylist()
    assert all(ts.date().isoformat() >= "2026-03-29" for ts in orders)
