"""Delta tables with deltalake: commit a folder of Parquet parts, append part files in one commit,
and MERGE a change feed, each one Delta version, never rewriting the Parquet the workers wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from generator.changes import CHANGE_TYPE, DELETE, INSERT, UPDATE_POSTIMAGE
from generator.manifest import FileEntry
from generator.schema import TableDefinition


def commit_delta_table(table_dir: Path) -> None:
    """Turn a folder of Parquet parts into a Delta table with one commit (no data is rewritten)."""
    from deltalake import convert_to_deltalake

    convert_to_deltalake(str(table_dir))


def delta_log_bytes(table_dir: Path) -> int:
    """Bytes of a Delta table's transaction log."""
    return sum(p.stat().st_size for p in (table_dir / "_delta_log").rglob("*") if p.is_file())


def append_files(table_dir: Path, files: list[FileEntry]) -> None:
    """Commit Parquet files already inside the table folder (paths relative to the dataset folder) as
    one append."""
    from deltalake import DeltaTable
    from deltalake.transaction import AddAction

    table = DeltaTable(str(table_dir))
    actions = []
    for entry in files:
        path = table_dir.parent / entry.path
        actions.append(
            AddAction(
                path=path.relative_to(table_dir).as_posix(),
                size=entry.bytes,
                partition_values={},
                modification_time=int(path.stat().st_mtime * 1000),
                data_change=True,
                stats=json.dumps({"numRecords": entry.rows}),
            )
        )
    table.create_write_transaction(actions, mode="append", schema=table.schema())


def merge_feed(table_dir: Path, feed: pa.Table, table: TableDefinition) -> None:
    """MERGE a change feed (inserts, deletes and update post-images) into a Delta table on its primary key."""
    from deltalake import DeltaTable

    columns = {name: f"s.`{name}`" for name in table.schema.names}
    (
        DeltaTable(str(table_dir))
        .merge(
            source=feed,
            predicate=" AND ".join(f"t.`{key}` = s.`{key}`" for key in table.primary_key),
            source_alias="s",
            target_alias="t",
        )
        .when_matched_update(updates=columns, predicate=f"s.{CHANGE_TYPE} = '{UPDATE_POSTIMAGE}'")
        .when_matched_delete(predicate=f"s.{CHANGE_TYPE} = '{DELETE}'")
        .when_not_matched_insert(updates=columns, predicate=f"s.{CHANGE_TYPE} = '{INSERT}'")
        .execute()
    )


def delta_version(table_dir: Path) -> int | None:
    """The version of the Delta table in a folder, or None when it holds none."""
    from deltalake import DeltaTable

    return DeltaTable(str(table_dir)).version() if DeltaTable.is_deltatable(str(table_dir)) else None


def table_state(table_dir: Path) -> tuple[int, list[FileEntry]]:
    """A Delta table's version and its live data files (paths relative to the dataset folder)."""
    from deltalake import DeltaTable

    table = DeltaTable(str(table_dir))
    actions = pa.table(table.get_add_actions(flatten=True))
    entries = [
        FileEntry(path=f"{table_dir.name}/{path}", rows=int(rows or 0), bytes=int(size))
        for path, rows, size in zip(
            actions.column("path").to_pylist(),
            actions.column("num_records").to_pylist(),
            actions.column("size_bytes").to_pylist(),
            strict=True,
        )
    ]
    return table.version(), sorted(entries, key=lambda entry: entry.path)
