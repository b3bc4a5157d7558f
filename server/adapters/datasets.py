"""Finding datasets on disk: folders holding `_manifest.json`, searched breadth-first under some roots."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.manifest import MANIFEST_NAME, Manifest, read_manifest

logger = logging.getLogger(__name__)

MAX_DATASETS = 50
MAX_DEPTH = 4
MAX_FOLDERS_VISITED = 5_000


@dataclass(frozen=True)
class FoundDatasets:
    """The datasets found (folder and manifest), and whether the search stopped early."""

    datasets: list[tuple[Path, Manifest]]
    truncated: bool


def find_datasets(folders: Sequence[Path]) -> FoundDatasets:
    """Datasets under `folders` (breadth-first, up to MAX_DEPTH levels, hidden folders skipped)."""
    found: list[tuple[Path, Manifest]] = []
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
            try:
                found.append((folder, read_manifest(folder)))
            except (OSError, ValueError) as exc:
                logger.info("Skipping %s: unreadable manifest (%s)", folder, exc)
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
    return FoundDatasets(found, truncated)
