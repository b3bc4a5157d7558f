"""All file output: streamed part files (Parquet, CSV) and the atomic folder swap (Delta commits: generator.delta)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa

#: Part files per format (a duckdb run stages Parquet parts and loads them into its database file).
EXTENSIONS = {"parquet": "parquet", "delta": "parquet", "duckdb": "parquet", "csv": "csv"}
PARQUET_COMPRESSION = "snappy"
#: Rows the CSV writer formats at a time (its default, 1024, spends a fifth of its time per batch).
CSV_BATCH_ROWS = 65_536
#: Integer and time columns whose values change from row to row (keys, times, stock levels): delta
#: encoding writes them in about half a dictionary's time and smaller. Every other column keeps the
#: dictionary (and its run lengths), which suits the low-cardinality ones.
DELTA_ENCODED = frozenset(
    {"order_id", "customer_id", "product_id", "order_ts", "signup_ts", "valid_from", "valid_to"}
    | {"on_hand", "safety_stock", "reorder_point"}
)

#: Text columns whose values all differ: plain (a dictionary would only grow as large as the column).
PLAIN_TEXT = frozenset({"email", "sku"})


def parquet_options(schema: pa.Schema) -> dict[str, object]:
    """ParquetWriter options for a table: snappy, delta-encoded DELTA_ENCODED integer columns, plain
    PLAIN_TEXT, a dictionary for the others, decimals stored as integers (cheaper to write; every
    reader knows them)."""
    delta = {
        f.name
        for f in schema
        if f.name in DELTA_ENCODED and (pa.types.is_integer(f.type) or pa.types.is_temporal(f.type))
    }
    return {
        "compression": PARQUET_COMPRESSION,
        "store_schema": True,
        "use_dictionary": [name for name in schema.names if name not in delta and name not in PLAIN_TEXT],
        "column_encoding": dict.fromkeys(sorted(delta), "DELTA_BINARY_PACKED") or None,
        "store_decimal_as_integer": True,
    }


@dataclass(frozen=True)
class WrittenFile:
    """A finished part file: its path relative to the dataset folder, rows and bytes."""

    path: str
    rows: int
    bytes: int


class PartWriter(Protocol):
    """Streams record batches of one table into one part file."""

    def write(self, table: pa.Table) -> None: ...

    def close(self) -> WrittenFile: ...

    def abort(self) -> None: ...


class _ArrowPartWriter:
    """A part file written batch by batch (one Parquet row group, or CSV rows, per write)."""

    def __init__(self, root: Path, stem: str, schema: pa.Schema, fmt: str) -> None:
        self.relative = f"{stem}.{EXTENSIONS[fmt]}"
        self.path = root / self.relative
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        if fmt == "csv":
            import pyarrow.csv as pacsv

            self._writer = pacsv.CSVWriter(
                str(self.path), schema, write_options=pacsv.WriteOptions(batch_size=CSV_BATCH_ROWS)
            )
        else:
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(str(self.path), schema, **parquet_options(schema))

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> WrittenFile:
        self._writer.close()
        return WrittenFile(path=self.relative, rows=self.rows, bytes=self.path.stat().st_size)

    def abort(self) -> None:
        """Close without finishing the file (it is deleted with the staging folder)."""
        with contextlib.suppress(Exception):  # the write error that got us here is the one to report
            self._writer.close()


def open_part(root: Path, stem: str, schema: pa.Schema, fmt: str) -> PartWriter:
    """Open `<root>/<stem>.<ext>` (stem such as `orders/part-00003`) for streaming writes in the given format."""
    return _ArrowPartWriter(root, stem, schema, fmt)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def swap_in(staging: Path, target: Path) -> None:
    """Make `staging` the dataset at `target`, replacing what was there in one atomic step where
    the OS allows it (else two renames); the previous dataset is deleted only afterwards."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the previous dataset
        return
    retired = target.with_name(f".{target.name}.retired-{os.getpid()}")
    os.rename(target, retired)
    os.rename(staging, target)
    shutil.rmtree(retired, ignore_errors=True)


def remove_tree(path: Path) -> None:
    """Delete a folder we created (staging or retired), ignoring what is already gone."""
    shutil.rmtree(path, ignore_errors=True)
