"""Finding datasets on disk and summarising their manifests for tool results.

A dataset is a folder holding `_manifest.json`. Summaries keep results small: at most the first
20 files per table are listed (the manifest on disk has all of them).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from generator.manifest import MANIFEST_NAME, Manifest, read_manifest
from server.models import DatasetListOutput, DatasetSummary, FileList, GenerationResult

logger = logging.getLogger(__name__)

MAX_FILES_PER_TABLE = 20
MAX_DATASETS = 50
MAX_DEPTH = 4
MAX_FOLDERS_VISITED = 5_000


def summarize_manifest(manifest: Manifest, folder: Path) -> GenerationResult:
    """The manifest as a tool result, with each table's file list capped."""
    tables = {
        name: FileList(
            rows=table.rows,
            bytes=table.bytes,
            file_count=len(table.files),
            files=[entry.path for entry in table.files[:MAX_FILES_PER_TABLE]],
            files_truncated=len(table.files) > MAX_FILES_PER_TABLE,
        )
        for name, table in manifest.tables.items()
    }
    return GenerationResult(
        output_dir=str(folder),
        manifest_path=str(folder / MANIFEST_NAME),
        format=manifest.format,
        parameters=manifest.parameters,
        tables=tables,
        total_rows=manifest.total_rows,
        total_bytes=manifest.total_bytes,
        workers=manifest.workers,
        duration_sec=manifest.duration_sec,
    )


def list_datasets(folders: Sequence[Path]) -> DatasetListOutput:
    """Datasets found under `folders` (breadth-first, up to MAX_DEPTH levels, hidden folders skipped)."""
    found: list[DatasetSummary] = []
    seen: set[Path] = set()
    visited = 0
    truncated = False
    queue: list[tuple[Path, int]] = [(folder, 0) for folder in folders]
    while queue:
        folder, depth = queue.pop(0)
        if folder in seen:
            continue
        seen.add(folder)
        visited += 1
        if visited > MAX_FOLDERS_VISITED or len(found) >= MAX_DATASETS:
            truncated = True
            break
        if (folder / MANIFEST_NAME).is_file():
            summary = _summary(folder)
            if summary is not None:
                found.append(summary)
            continue  # a dataset's sub-folders are its tables
        if depth >= MAX_DEPTH:
            continue
        try:
            with os.scandir(folder) as entries:
                children = sorted(
                    Path(entry.path)
                    for entry in entries
                    if entry.is_dir(follow_symlinks=False) and not entry.name.startswith((".", "_"))
                )
        except OSError:
            continue
        queue.extend((child, depth + 1) for child in children)
    return DatasetListOutput(searched=[str(folder) for folder in folders], datasets=found, truncated=truncated)


def _summary(folder: Path) -> DatasetSummary | None:
    try:
        manifest = read_manifest(folder)
    except (OSError, ValueError) as exc:
        logger.info("Skipping %s: unreadable manifest (%s)", folder, exc)
        return None
    return DatasetSummary(
        path=str(folder),
        format=manifest.format,
        parameters=manifest.parameters,
        rows={name: table.rows for name, table in manifest.tables.items()},
        total_rows=manifest.total_rows,
        total_bytes=manifest.total_bytes,
    )
