"""The manifest round-trips through JSON and refuses what is not one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.manifest import MANIFEST_NAME, FileEntry, Manifest, TableManifest, read_manifest


def manifest() -> Manifest:
    return Manifest(
        generator_version="1.0",
        format="parquet",
        parameters={"scale": "small", "days": 3},
        tables={
            "stores": TableManifest(rows=3, bytes=10, files=[FileEntry("stores/part-00000.parquet", 3, 10)]),
            "orders": TableManifest(rows=5, bytes=20, files=[FileEntry("orders/part-00000.parquet", 5, 20)]),
        },
        workers=1,
        chunks=2,
        duration_sec=0.5,
        versions={"python": "3.11"},
    )


def test_totals_are_computed_and_the_file_round_trips(tmp_path: Path) -> None:
    written = manifest()
    assert (written.total_rows, written.total_bytes) == (8, 30)
    written.write(tmp_path)
    document = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert document["total_rows"] == 8 and document["generator"] == "retail-datagen"
    assert read_manifest(tmp_path) == written


@pytest.mark.parametrize("text", ["not json", "[]", '{"tables": {}}', '{"format": "csv", "tables": {"x": 1}}'])
def test_a_malformed_manifest_is_a_value_error(tmp_path: Path, text: str) -> None:
    (tmp_path / MANIFEST_NAME).write_text(text)
    with pytest.raises(ValueError, match="manifest|JSON"):
        read_manifest(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_manifest(tmp_path / "nowhere")
