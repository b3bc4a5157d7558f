"""The manifest written beside every dataset: parameters, row counts, files, bytes and versions.

Plain dataclasses (standard library only): the manifest is written by the runner, which also runs on
a bare cluster without pydantic, and read back by the readers, the validator and the server.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generator import GENERATOR_NAME

MANIFEST_NAME = "_manifest.json"
#: The change feed of the dataset's revisions: _changes/<table>/v<version>/part-NNNNN.<ext> (see generator.changes).
CHANGES_FOLDER = "_changes"
#: The saved stock an incremental run continues from (see generator.activity.stock).
STATE_FOLDER = "_state"


@dataclass(frozen=True)
class FileEntry:
    """One data file of a table: its path relative to the dataset folder, rows and bytes."""

    path: str
    rows: int
    bytes: int


@dataclass(frozen=True)
class TableManifest:
    """Row count, size and data files (in read order) of one table; for Delta, the table version."""

    rows: int
    bytes: int
    files: list[FileEntry]
    delta_version: int | None = None


@dataclass(frozen=True)
class TableChanges:
    """What one revision changed in one table, and the change-feed files that hold it."""

    inserts: int
    updates: int
    deletes: int
    files: list[FileEntry]


@dataclass(frozen=True)
class RevisionRecord:
    """One run that made or changed the dataset: its version, mode, the parameters it left and,
    for an incremental or merge run, its change feed per table."""

    version: int
    mode: str
    parameters: dict[str, Any]
    changes: dict[str, TableChanges]
    duration_sec: float


def _files(document: list[Any]) -> list[FileEntry]:
    return [FileEntry(str(f["path"]), int(f["rows"]), int(f["bytes"])) for f in document]


@dataclass(frozen=True)
class Manifest:
    """What a generation run produced, and from which parameters."""

    generator_version: str
    format: str
    #: Row-determining parameters: scale, scale_factor, days, seed, start_date, end_date, customer_history.
    parameters: dict[str, Any]
    tables: dict[str, TableManifest]
    workers: int
    chunks: int
    duration_sec: float
    versions: dict[str, str]
    generator: str = GENERATOR_NAME
    #: 0 for a fresh dataset, one more for each incremental or merge run that changed it.
    version: int = 0
    #: The runs that made the dataset, oldest first (the fresh run, then each revision).
    revisions: list[RevisionRecord] = field(default_factory=list)
    total_rows: int = field(init=False)
    total_bytes: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total_rows", sum(table.rows for table in self.tables.values()))
        object.__setattr__(self, "total_bytes", sum(table.bytes for table in self.tables.values()))

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON-ready values."""
        return asdict(self)

    def write(self, folder: Path) -> None:
        """Write `<folder>/_manifest.json`."""
        (Path(folder) / MANIFEST_NAME).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, document: object) -> Manifest:
        """A manifest from parsed JSON; ValueError saying what is missing or malformed."""
        try:
            assert isinstance(document, dict)
            tables = {
                str(name): TableManifest(
                    rows=int(table["rows"]),
                    bytes=int(table["bytes"]),
                    files=_files(table["files"]),
                    delta_version=None if table.get("delta_version") is None else int(table["delta_version"]),
                )
                for name, table in document["tables"].items()
            }
            revisions = [
                RevisionRecord(
                    version=int(record["version"]),
                    mode=str(record["mode"]),
                    parameters=dict(record["parameters"]),
                    changes={
                        str(name): TableChanges(
                            int(change["inserts"]),
                            int(change["updates"]),
                            int(change["deletes"]),
                            _files(change["files"]),
                        )
                        for name, change in record["changes"].items()
                    },
                    duration_sec=float(record["duration_sec"]),
                )
                for record in document.get("revisions", [])
            ]
            return cls(
                generator_version=str(document["generator_version"]),
                format=str(document["format"]),
                parameters=dict(document["parameters"]),
                tables=tables,
                workers=int(document["workers"]),
                chunks=int(document["chunks"]),
                duration_sec=float(document["duration_sec"]),
                versions={str(k): str(v) for k, v in dict(document["versions"]).items()},
                generator=str(document.get("generator", GENERATOR_NAME)),
                version=int(document.get("version", 0)),
                revisions=revisions,
            )
        except (AssertionError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a retail-datagen manifest ({type(exc).__name__}: {exc})") from None


def read_manifest(folder: Path) -> Manifest:
    """Read the manifest of a dataset folder (FileNotFoundError when it has none, ValueError when it is malformed)."""
    text = (Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{MANIFEST_NAME} is not JSON ({exc})") from None
    return Manifest.from_dict(document)
