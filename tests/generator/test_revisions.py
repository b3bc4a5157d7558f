"""Incremental and merge runs on real files: a window is a slice of one history (appending days equals
one longer run, row for row, in Parquet and Delta, with 1 and N workers, across a month and a year
boundary), re-runs change nothing, refusals touch nothing, a merge equals a fresh run of the new
parameters, and the change feed turns the previous dataset into the new one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pa_ds
import pytest

import generator.revise
from generator.changes import CHANGE_TYPE, COMMIT_VERSION, DELETE, INSERT, UPDATE_POSTIMAGE, UPDATE_PREIMAGE
from generator.errors import RevisionRefused
from generator.manifest import CHANGES_FOLDER, read_manifest
from generator.runner import run
from generator.schema import ALL_TABLES, TableDefinition
from generator.spec import DatasetSpec
from generator.validation import validate_dataset
from tests.generator.conftest import dataset_rows

#: Crosses a month and a year boundary: 2025-12-20 .. 2025-12-26, then up to 2026-01-09.
SHORT = DatasetSpec(scale="small", scale_factor=0.3, days=7, end_date=date(2025, 12, 26))
LONG = replace(SHORT, days=21, end_date=date(2026, 1, 9))


def assert_same_rows(a: Path, b: Path) -> None:
    left, right = dataset_rows(a), dataset_rows(b)
    assert set(left) == set(right)
    for name in left:
        assert left[name].num_rows == right[name].num_rows, name
        assert left[name].equals(right[name]), name


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(("fmt", "workers"), [("parquet", 1), ("parquet", 2), ("delta", 2), ("csv", 1)])
def test_appending_days_equals_one_longer_run(tmp_path: Path, fmt: str, workers: int) -> None:
    grown = tmp_path / "grown"
    run(SHORT, grown, fmt, workers=workers)
    run(replace(SHORT, days=6), grown, fmt, workers=workers, mode="incremental", given={"days"})  # to 2026-01-01
    manifest = run(LONG, grown, fmt, workers=workers, mode="incremental", given={"end_date"})  # to 2026-01-09
    run(LONG, tmp_path / "once", fmt, workers=1)
    assert_same_rows(grown, tmp_path / "once")
    assert manifest.version == 2 and manifest.parameters == read_manifest(tmp_path / "once").parameters
    assert [r.mode for r in manifest.revisions] == ["overwrite", "incremental", "incremental"]
    report = validate_dataset(grown)
    assert report.passed, [(c.name, c.examples) for c in report.failed]


def test_the_seam_keeps_stock_ids_and_new_customers(tmp_path: Path) -> None:
    """Stock continues from the last snapshot, and the ids of the new days continue without gap or repeat."""
    folder = tmp_path / "d"
    first = run(SHORT, folder, workers=1)
    before = dataset_rows(folder)
    second = run(LONG, folder, workers=1, mode="incremental", given={"end_date"})
    after = dataset_rows(folder)
    changes = second.revisions[-1].changes
    for name in ("orders", "order_items", "inventory_snapshots"):
        assert changes[name].inserts == after[name].num_rows - before[name].num_rows > 0
        assert changes[name].updates == changes[name].deletes == 0
    customers = after["customers"].column("customer_id").to_pylist()
    assert customers == list(range(1, len(customers) + 1))  # ids continue with no gap
    assert changes["customers"].inserts == len(customers) - first.tables["customers"].rows > 0
    promotions = after["promotions"].column("promo_id").to_pylist()
    assert promotions == list(range(1, len(promotions) + 1))
    old_promotions = before["promotions"]
    assert after["promotions"].slice(0, old_promotions.num_rows).equals(old_promotions)  # earlier ids unchanged
    assert len(set(after["orders"].column("order_id").to_pylist())) == after["orders"].num_rows


@pytest.mark.parametrize("fmt", ["parquet", "delta"])
def test_a_rerun_of_an_increment_changes_nothing(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "d"
    run(SHORT, folder, fmt, workers=1)
    first = run(LONG, folder, fmt, workers=1, mode="incremental", given={"end_date"})
    before = snapshot(folder)
    again = run(LONG, folder, fmt, workers=1, mode="incremental", given={"end_date"})
    assert again.version == first.version == 1
    assert snapshot(folder) == before


@pytest.mark.parametrize(
    ("given", "requested", "named"),
    [
        ({"end_date"}, replace(SHORT, end_date=date(2025, 12, 20)), "end_date='2025-12-20'"),
        ({"seed", "days"}, replace(SHORT, seed=7), "seed=7"),
        ({"scale", "days"}, replace(SHORT, scale="medium"), "scale='medium'"),
        ({"days"}, replace(SHORT, days=360), "days=360"),
        ({"days", "end_date"}, replace(SHORT, days=3, end_date=date(2026, 1, 9)), "days=3"),
    ],
)
def test_a_gap_or_other_parameters_are_refused_with_what_the_dataset_holds(
    tmp_path: Path, given: set[str], requested: DatasetSpec, named: str
) -> None:
    folder = tmp_path / "d"
    run(SHORT, folder, workers=1)
    before = snapshot(folder)
    with pytest.raises(RevisionRefused) as refused:
        run(requested, folder, workers=1, mode="incremental", given=given)
    message = str(refused.value)
    assert named in message
    assert "2025-12-20 to 2025-12-26 (7 days)" in message and "must be" in message
    assert snapshot(folder) == before


def test_an_increment_of_another_format_or_an_older_dataset_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    run(SHORT, folder, workers=1)
    with pytest.raises(RevisionRefused, match="format='csv': the dataset in .* is parquet"):
        run(LONG, folder, "csv", workers=1, mode="incremental", given={"end_date", "format"})
    for state in (folder / "_state").iterdir():
        state.unlink()
    with pytest.raises(RevisionRefused, match="no saved stock.*mode='merge'"):
        run(LONG, folder, workers=1, mode="incremental", given={"end_date"})
    merged = run(LONG, folder, workers=1, mode="merge", given={"end_date"})  # merge re-simulates the history
    run(LONG, tmp_path / "once", workers=1)
    assert_same_rows(folder, tmp_path / "once")
    assert merged.version == 1


def test_an_increment_into_an_empty_folder_generates_the_dataset(tmp_path: Path) -> None:
    manifest = run(SHORT, tmp_path / "new", workers=1, mode="incremental", given={"days"})
    assert manifest.version == 0 and manifest.parameters["days"] == SHORT.days


@pytest.mark.parametrize("fmt", ["parquet", "delta"])
def test_a_failure_part_way_leaves_the_previous_dataset_whole(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "d"
    run(SHORT, folder, fmt, workers=1)
    before = snapshot(folder)

    def failing(*args: object) -> None:
        raise OSError("the disk went away while finishing the tables")

    target = "merge_feed" if fmt == "delta" else "part_files"
    monkeypatch.setattr(generator.revise, target, failing)
    with pytest.raises(OSError, match="disk went away"):
        run(LONG, folder, fmt, workers=1, mode="incremental", given={"end_date"})
    assert snapshot(folder) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".d.") and "lock" not in p.name] == []


@pytest.mark.parametrize("fmt", ["parquet", "delta"])
def test_merging_small_into_medium_keeps_what_both_share_and_equals_a_fresh_medium(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "d"
    run(SHORT, folder, fmt, workers=2)
    before = dataset_rows(folder)
    medium = replace(SHORT, scale="medium")
    merged = run(medium, folder, fmt, workers=2, mode="merge", given={"scale"})
    run(medium, tmp_path / "fresh", fmt, workers=2)
    assert_same_rows(folder, tmp_path / "fresh")
    after = dataset_rows(folder)
    changes = merged.revisions[-1].changes
    for name in ("stores", "products"):  # prefix-stable: every small row is a medium row
        kept = after[name].slice(0, before[name].num_rows)
        assert kept.equals(before[name]), name
        assert changes[name].inserts == after[name].num_rows - before[name].num_rows > 0
        assert changes[name].updates == changes[name].deletes == 0
    assert changes["customers"].deletes == 0  # every small customer id exists in medium
    assert validate_dataset(folder).passed


def _apply(feed: pa.Table, old: pa.Table, table: TableDefinition) -> pa.Table:
    """What a MERGE of the feed does to `old`: drop every key the feed deletes or updates, then add the
    inserts and the post-images."""
    key = list(table.primary_key)
    touched = feed.filter(pc.field(CHANGE_TYPE) != INSERT).select(key)
    kept = old.join(touched, keys=key, join_type="left anti") if touched.num_rows else old
    added = feed.filter(pc.is_in(pc.field(CHANGE_TYPE), pa.array([INSERT, UPDATE_POSTIMAGE])))
    return pa.concat_tables([part.select(table.schema.names).cast(table.schema) for part in (kept, added)])


def _feed(folder: Path, table: str, version: int) -> pa.Table:
    files = sorted(str(p) for p in (folder / CHANGES_FOLDER / table / f"v{version:05d}").glob("*.parquet"))
    return pa_ds.dataset(files).to_table() if files else pa.table({CHANGE_TYPE: pa.array([], pa.string())})


@pytest.mark.parametrize("mode", ["incremental", "merge"])
def test_the_change_feed_turns_the_previous_dataset_into_the_new_one(tmp_path: Path, mode: str) -> None:
    folder = tmp_path / "d"
    run(SHORT, folder, workers=1)
    before = dataset_rows(folder)
    if mode == "incremental":
        manifest = run(LONG, folder, workers=1, mode=mode, given={"end_date"})
    else:
        manifest = run(replace(SHORT, scale_factor=0.2, customer_history=True), folder, workers=1, mode=mode,
                       given={"scale_factor", "customer_history"})  # fmt: skip
    after = dataset_rows(folder)
    recorded = manifest.revisions[-1].changes
    kinds = set()
    for name in after.keys() | before.keys():
        definition = ALL_TABLES[name]
        feed = _feed(folder, name, manifest.version)
        kinds |= set(feed.column(CHANGE_TYPE).to_pylist())
        if feed.num_rows:
            assert feed.schema.names[-2:] == [CHANGE_TYPE, COMMIT_VERSION]
            assert set(feed.column(COMMIT_VERSION).to_pylist()) == {manifest.version}
            assert pc.sum(pc.equal(feed.column(CHANGE_TYPE), UPDATE_PREIMAGE)).as_py() == recorded[name].updates
        old = before.get(name, definition.schema.empty_table())
        rebuilt = _apply(feed, old, definition) if feed.num_rows else old
        expected = after.get(name, definition.schema.empty_table())
        order = [(column, "ascending") for column in definition.schema.names]
        assert rebuilt.sort_by(order).equals(expected.sort_by(order)), name
        assert sum(f.rows for f in recorded[name].files) == feed.num_rows
    assert kinds == ({INSERT} if mode == "incremental" else {INSERT, UPDATE_PREIMAGE, UPDATE_POSTIMAGE, DELETE})
    listed = json.loads((folder / "_manifest.json").read_text())["revisions"][-1]["changes"]
    assert set(listed) >= set(after)


def test_delta_tables_show_one_version_per_run(tmp_path: Path) -> None:
    from deltalake import DeltaTable

    folder = tmp_path / "d"
    run(SHORT, folder, "delta", workers=1)
    run(replace(SHORT, days=6), folder, "delta", workers=1, mode="incremental", given={"days"})
    manifest = run(LONG, folder, "delta", workers=1, mode="incremental", given={"end_date"})
    for name in ("orders", "customers"):
        table = DeltaTable(str(folder / name))
        operations = [entry["operation"] for entry in reversed(table.history())]
        assert table.version() == manifest.tables[name].delta_version == 2, name
        assert operations[0] == "CONVERT" and len(operations) == 3, operations
    assert [e["operation"] for e in DeltaTable(str(folder / "customers")).history()][0] == "MERGE"
