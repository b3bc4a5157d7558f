"""The change feed of a revision (an incremental or merge run): per table, the rows it inserted and
deleted and the before and after images of the rows it updated, in the shape of Delta's change data
feed (`_change_type`, `_commit_version`), so the feed can drive a MERGE or a change-data job.

A feed is computed per chunk, from the chunk's new rows and the previous dataset's rows in the same
key range, so it never needs a whole table in memory. Standard library, numpy and pyarrow only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from generator.manifest import CHANGES_FOLDER, read_manifest
from generator.schema import TableDefinition
from generator.table_files import files_dataset

if TYPE_CHECKING:
    import pyarrow.dataset as pa_ds  # imports pandas: only where a revision reads a dataset

CHANGE_TYPE = "_change_type"
COMMIT_VERSION = "_commit_version"
INSERT, UPDATE_PREIMAGE, UPDATE_POSTIMAGE, DELETE = "insert", "update_preimage", "update_postimage", "delete"
_RANK = {DELETE: 0, UPDATE_PREIMAGE: 1, UPDATE_POSTIMAGE: 2, INSERT: 3}


def feed_schema(table: TableDefinition) -> pa.Schema:
    """A table's columns, then the change type and the dataset version that made the change."""
    return table.schema.append(pa.field(CHANGE_TYPE, pa.string(), nullable=False)).append(
        pa.field(COMMIT_VERSION, pa.int64(), nullable=False)
    )


def feed_folder(table: str, version: int) -> str:
    """The folder of one table's feed for one version, relative to the dataset folder."""
    return f"{CHANGES_FOLDER}/{table}/v{version:05d}"


@dataclass(frozen=True)
class ChangeCounts:
    """How many rows a revision inserted, updated and deleted in one table."""

    inserts: int = 0
    updates: int = 0
    deletes: int = 0

    def __add__(self, other: ChangeCounts) -> ChangeCounts:
        return ChangeCounts(self.inserts + other.inserts, self.updates + other.updates, self.deletes + other.deletes)

    @classmethod
    def of(cls, feed: pa.Table) -> ChangeCounts:
        kinds = feed.column(CHANGE_TYPE).value_counts().to_pylist() if feed.num_rows else []
        count = {kind["values"]: kind["counts"] for kind in kinds}
        return cls(count.get(INSERT, 0), count.get(UPDATE_POSTIMAGE, 0), count.get(DELETE, 0))


def _repeated(text: str, n: int) -> pa.Array:
    """A string array holding `text` n times, built from two buffers (no Python objects per row)."""
    data = text.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(data)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data * n)])


def tagged(rows: pa.Table, change: str, version: int) -> pa.Table:
    """Rows with their change type and version appended."""
    n = rows.num_rows
    return rows.append_column(pa.field(CHANGE_TYPE, pa.string(), nullable=False), _repeated(change, n)).append_column(
        pa.field(COMMIT_VERSION, pa.int64(), nullable=False), pa.array(np.full(n, version, dtype=np.int64))
    )


def _distinct(a: pa.ChunkedArray, b: pa.ChunkedArray) -> pa.ChunkedArray:
    """Where two aligned columns differ, a null differing from a value and two nulls alike."""
    import pyarrow.compute as pc  # here, as in the other diff steps: a fresh run never loads it

    both = pc.and_(pc.is_valid(a), pc.is_valid(b))
    return pc.if_else(both, pc.not_equal(a, b), pc.not_equal(pc.is_null(a), pc.is_null(b)))


def diff(old: pa.Table, new: pa.Table, table: TableDefinition, version: int) -> pa.Table:
    """The feed that turns `old` into `new` (rows of one table, matched on its primary key), in key
    order, each update's pre-image before its post-image."""
    import pyarrow.compute as pc

    key = list(table.primary_key)
    old_index = old.select(key).append_column("_old", pa.array(np.arange(old.num_rows), pa.int64()))
    new_index = new.select(key).append_column("_new", pa.array(np.arange(new.num_rows), pa.int64()))
    joined = new_index.join(old_index, keys=key, join_type="full outer")
    old_rows, new_rows = joined.column("_old"), joined.column("_new")
    both = pc.and_(pc.is_valid(old_rows), pc.is_valid(new_rows))
    pairs = pa.table({"old": pc.filter(old_rows, both), "new": pc.filter(new_rows, both)}).sort_by("new")
    matched_old = old.take(pairs.column("old"))  # in key order on both sides: sequential reads
    matched_new = new.take(pairs.column("new"))
    changed = pa.array(np.zeros(matched_new.num_rows, dtype=bool))
    for column in table.schema.names:
        if column not in key:
            changed = pc.or_(changed, _distinct(matched_old.column(column), matched_new.column(column)))
    parts = [
        tagged(old.take(pc.filter(old_rows, pc.is_null(new_rows))), DELETE, version),
        tagged(matched_old.filter(changed), UPDATE_PREIMAGE, version),
        tagged(matched_new.filter(changed), UPDATE_POSTIMAGE, version),
        tagged(new.take(pc.filter(new_rows, pc.is_null(old_rows))), INSERT, version),
    ]
    return sort_feed(pa.concat_tables(parts), table)


def sort_feed(feed: pa.Table, table: TableDefinition) -> pa.Table:
    """A feed in primary-key order, a key's delete, pre-image, post-image and insert in that order."""
    import pyarrow.compute as pc

    rank = pc.cast(pc.index_in(feed.column(CHANGE_TYPE), pa.array(list(_RANK))), pa.int8())
    ordered = feed.append_column("_rank", rank).sort_by([(name, "ascending") for name in (*table.primary_key, "_rank")])
    return ordered.drop_columns(["_rank"])


def rows_in_range(dataset: pa_ds.Dataset, table: TableDefinition, low: int, high: int | None) -> pa.Table:
    """The rows of a dataset whose chunk column lies in [low, high) (no upper bound for None; every row
    of a table that is one chunk), as the table's schema."""
    import pyarrow.compute as pc

    if table.chunk_column is None:
        return dataset.to_table().select(table.schema.names).cast(table.schema)
    column = pc.field(table.chunk_column)
    condition = column >= low if high is None else (column >= low) & (column < high)
    return dataset.to_table(filter=condition).select(table.schema.names).cast(table.schema)


def previous_dataset(folder: Path, table: TableDefinition) -> pa_ds.Dataset:
    """The previous dataset's rows of one table, from the files its manifest lists (empty when it has
    none): what a revision diffs against. No Delta log is replayed, so worker processes never need
    deltalake."""
    manifest = read_manifest(folder)
    entry = manifest.tables.get(table.name)
    files = [str(folder / f.path) for f in entry.files] if entry is not None else []
    return files_dataset(files, "csv" if manifest.format == "csv" else "parquet", table)
