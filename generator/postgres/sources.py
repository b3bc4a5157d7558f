"""The tables of a dataset as the loader reads them: row counts up front, then record batches.

Why here: the loader needs every table checked (present, readable, with the schema's columns) before it
connects, and then only streams batches; the dataset's format (files, or a DuckDB database) stays behind
``TableSource.batches``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as pa_ds

from generator.manifest import read_manifest
from generator.postgres.masking import one_line
from generator.readers import (
    DatasetNotFoundError,
    arrow_dataset,
    attach_read_only,
    dataset_format,
    duckdb_database,
    open_duckdb,
    table_paths,
)
from generator.schema import ALL_TABLES, TABLES, TableDefinition

#: ``scan(columns, batch_rows)``: the table's rows, at most ``batch_rows`` a batch.
Scan = Callable[[list[str], int], Iterator[pa.RecordBatch]]


@dataclass(frozen=True)
class TableSource:
    """One table of a dataset to load: its definition, its row count and how to read its rows."""

    spec: TableDefinition
    rows: int
    scan: Scan

    def batches(self, batch_rows: int) -> Iterator[pa.RecordBatch | pa.Table]:
        """The table's rows in the schema's column order and types (nullable), at most ``batch_rows`` at a time."""
        wanted = pa.schema([f.with_nullable(True) for f in self.spec.schema])
        for batch in self.scan(wanted.names, batch_rows):
            if batch.num_rows:
                yield batch if batch.schema.equals(wanted) else pa.Table.from_batches([batch]).cast(wanted)


def open_dataset(dataset_dir: str | Path) -> dict[str, TableSource]:
    """Every table of the dataset with its row count, checked; DatasetNotFoundError otherwise."""
    folder = Path(dataset_dir).expanduser()
    fmt = dataset_format(folder)
    try:
        recorded = {name: info.rows for name, info in read_manifest(folder).tables.items()}
    except (OSError, ValueError):
        recorded = {}
    sources = _duckdb_tables(duckdb_database(folder)) if fmt == "duckdb" else _file_tables(folder, fmt)
    missing = [name for name in TABLES if name not in sources]
    if missing:
        raise DatasetNotFoundError(
            f"{folder} is not a complete dataset: the tables {', '.join(missing)} are missing; "
            "generate it again (retail-datagen generate) or point at another folder."
        )
    for name, (columns, _, _) in sources.items():
        absent = [f.name for f in ALL_TABLES[name].schema if f.name not in columns]
        if absent:
            raise DatasetNotFoundError(
                f"{folder} is not a retail-datagen dataset: its table {name} lacks the columns {', '.join(absent)}."
            )
    return {
        name: TableSource(ALL_TABLES[name], recorded[name] if name in recorded else count(), scan)
        for name, (_, count, scan) in sources.items()
    }


def _file_tables(folder: Path, fmt: str) -> dict[str, tuple[list[str], Callable[[], int], Scan]]:
    """(columns, row count, scan) of each table folder, as lazy Arrow datasets."""
    found = {}
    for name, table_folder in table_paths(folder).items():
        try:
            dataset = arrow_dataset(table_folder, fmt, ALL_TABLES[name])
        except (OSError, pa.ArrowException, ValueError) as exc:
            raise DatasetNotFoundError(f"{table_folder} cannot be read as table {name}: {one_line(exc)}") from None

        def scan(columns: list[str], batch_rows: int, dataset: pa_ds.Dataset = dataset) -> Iterator[pa.RecordBatch]:
            yield from dataset.scanner(columns=columns, batch_size=batch_rows, use_threads=False).to_batches()

        found[name] = (dataset.schema.names, dataset.count_rows, scan)
    return found


def _duckdb_tables(database: Path) -> dict[str, tuple[list[str], Callable[[], int], Scan]]:
    """(columns, row count, scan) of each table of a DuckDB file; each scan reads on its own connection."""

    def connection() -> duckdb.DuckDBPyConnection:
        con = open_duckdb(":memory:", memory_limit="256MB", threads=1)
        try:
            attach_read_only(con, database)
        except DatasetNotFoundError:
            con.close()
            raise
        return con

    with connection() as con:
        rows = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'dataset'")
        columns: dict[str, list[str]] = {}
        for table, column in rows.fetchall():
            columns.setdefault(table, []).append(column)

    def count(name: str) -> int:
        with connection() as con:
            return int(con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # type: ignore[index]

    def scan(name: str, wanted: list[str], batch_rows: int) -> Iterator[pa.RecordBatch]:
        with connection() as con:
            yield from con.sql(f'SELECT {", ".join(wanted)} FROM "{name}"').to_arrow_reader(batch_rows)

    return {
        name: (columns[name], lambda name=name: count(name), lambda c, b, name=name: scan(name, c, b))
        for name in ALL_TABLES
        if name in columns
    }
