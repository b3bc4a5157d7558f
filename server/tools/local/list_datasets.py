"""list_datasets: the datasets under the data root and the client's roots, with their parameters and rows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread
from pydantic import BaseModel, Field

from server.tooling.definition import READS, ToolContext, ToolInput, tool

if TYPE_CHECKING:
    from generator.manifest import Manifest


class ListDatasetsInput(ToolInput):
    """Parameters of list_datasets."""

    under: str | None = Field(
        None, description="Folder to search (relative to the data root); null: the data root and the client's roots."
    )


class DatasetSummary(BaseModel):
    """A generated dataset found on disk."""

    path: str = Field(description="Absolute path of the dataset folder.")
    format: str = Field(description="parquet, csv, delta or duckdb.")
    database_file: str | None = Field(
        description="Absolute path of the DuckDB database file of a duckdb dataset; null for the other formats."
    )
    parameters: dict[str, object] = Field(description="scale, scale_factor, days, seed, start_date, end_date.")
    rows: dict[str, int] = Field(description="Rows per table.")
    total_rows: int = Field(description="Rows over all tables.")
    total_bytes: int = Field(description="Bytes over all tables.")


class DatasetListOutput(BaseModel):
    """Datasets under the searched folders."""

    searched: list[str] = Field(description="Folders searched (up to 4 levels deep).")
    datasets: list[DatasetSummary] = Field(description="Datasets found, at most 50.")
    truncated: bool = Field(description="True when the search stopped early (too many folders or datasets).")


@tool(title="List generated datasets", hints=READS, uses_roots=True)
async def list_datasets(args: ListDatasetsInput, tc: ToolContext) -> DatasetListOutput:
    """Datasets (folders with a _manifest.json) up to 4 levels under the data root and the client's
    roots, with their parameters and rows per table.

    Use it to find what was generated earlier, or a path for query_dataset and validate_dataset.
    Instant.
    """
    from server.adapters.datasets import find_datasets

    if args.under is not None:
        folders = [tc.resolve(args.under, field="under")]
    else:
        folders = [root for root in tc.roots.all if root.is_dir()]
    found = await anyio.to_thread.run_sync(find_datasets, folders)
    return DatasetListOutput(
        searched=[str(folder) for folder in folders],
        datasets=[
            DatasetSummary(
                path=str(folder),
                format=manifest.format,
                database_file=_database_file(folder, manifest),
                parameters=manifest.parameters,
                rows={name: table.rows for name, table in manifest.tables.items()},
                total_rows=manifest.total_rows,
                total_bytes=manifest.total_bytes,
            )
            for folder, manifest in found.datasets
        ],
        truncated=found.truncated,
    )


def _database_file(folder: Path, manifest: Manifest) -> str | None:
    """The one file all tables of a duckdb dataset are in, as its manifest records it."""
    if manifest.format != "duckdb":
        return None
    names = {entry.path for table in manifest.tables.values() for entry in table.files}
    return str(folder / names.pop()) if len(names) == 1 else None
