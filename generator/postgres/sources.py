"""The tables of a dataset as the loader reads them: row counts up front, then record batches.

Why here: the loader needs every table checked (present, readable, with the schema's columns) before it
connects, and then only streams batches; the dataset's format stays behind ``TableSource.batches``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pa_ds

from generator.manifest import read_manifest
from generator.postgres.masking import one_line
from generator.readers import DatasetNotFoundError, arrow_dataset, dataset_format, table_paths
from generator.schema import TABLES, TableDefinition


@dataclass(frozen=True)
class TableSource:
    """One table of a dataset to load: its definition, its rows as a lazy Arrow dataset, its row count."""

    spec: TableDefinition
    dataset: pa_ds.Dataset
    rows: int

    def batches(self, batch_rows: int) -> Iterator[pa.RecordBatch | pa.Table]:
        """The table's rows in the schema's column order and types (nullable), at most ``batch_rows`` at a time."""
        wanted = pa.schema([f.with_nullable(True) for f in self.spec.schema])
        scanner = self.dataset.scanner(columns=wanted.names, batch_size=batch_rows, use_threads=False)
        for batch in scanner.to_batches():
            if batch.num_rows:
                yield batch if batch.schema.equals(wanted) else pa.Table.from_batches([batch]).cast(wanted)


def open_dataset(dataset_dir: str | Path) -> dict[str, TableSource]:
    """Every table of the dataset as a lazy Arrow dataset with its row count; DatasetNotFoundError otherwise."""
    folder = Path(dataset_dir).expanduser()
    fmt = dataset_format(folder)
    folders = table_paths(folder)
    missing = [name for name in TABLES if name not in folders]
    if missing:
        raise DatasetNotFoundError(
            f"{folder} is not a complete dataset: the table folders {', '.join(missing)} are missing; "
            "generate it again (retail-datagen generate) or point at another folder."
        )
    try:
        recorded = {name: info.rows for name, info in read_manifest(folder).tables.items()}
    except (OSError, ValueError):
        recorded = {}
    sources = {}
    for name, spec in TABLES.items():
        try:
            dataset = arrow_dataset(folders[name], fmt, spec)
            absent = [f.name for f in spec.schema if f.name not in dataset.schema.names]
        except (OSError, pa.ArrowException, ValueError) as exc:
            raise DatasetNotFoundError(f"{folders[name]} cannot be read as table {name}: {one_line(exc)}") from None
        if absent:
            raise DatasetNotFoundError(
                f"{folders[name]} is not table {name} of a retail-datagen dataset: it lacks the columns "
                f"{', '.join(absent)}."
            )
        rows = recorded.get(name)
        sources[name] = TableSource(spec, dataset, rows if rows is not None else dataset.count_rows())
    return sources
