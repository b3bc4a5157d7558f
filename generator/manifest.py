"""The manifest written beside every dataset: parameters, row counts, files, bytes and versions."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

from generator import GENERATOR_NAME
from generator.writers import MANIFEST_NAME


class FileEntry(BaseModel):
    """One data file of a table."""

    path: str = Field(description="Path relative to the dataset folder, e.g. 'orders/part-00000.parquet'.")
    rows: int = Field(description="Rows in the file.")
    bytes: int = Field(description="Size of the file in bytes.")


class TableManifest(BaseModel):
    """Row count, size and files of one table."""

    rows: int = Field(description="Rows in the table.")
    bytes: int = Field(description="Bytes on disk over all of the table's files.")
    files: list[FileEntry] = Field(description="Data files in read order (for delta: the table's data files).")


class Manifest(BaseModel):
    """What a generation run produced, and from which parameters."""

    generator: str = Field(GENERATOR_NAME, description="Name of the tool that wrote the dataset.")
    generator_version: str = Field(description="Version of retail-datagen that wrote the dataset.")
    format: str = Field(description="parquet, csv or delta.")
    parameters: dict[str, object] = Field(
        description="Row-determining parameters: scale, scale_factor, days, seed, start_date, end_date."
    )
    tables: dict[str, TableManifest] = Field(description="Per table: rows, bytes and files.")
    total_rows: int = Field(description="Rows over all tables.")
    total_bytes: int = Field(description="Bytes over all tables.")
    workers: int = Field(description="Worker processes used (never changes the output).")
    chunks: int = Field(description="Generation tasks the run was split into.")
    duration_sec: float = Field(description="Wall time of the run in seconds.")
    versions: dict[str, str] = Field(description="Versions of Python and the data libraries used.")


def read_manifest(folder: Path) -> Manifest:
    """Read the manifest of a dataset folder (FileNotFoundError when it is not a dataset)."""
    return Manifest.model_validate(json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8")))
