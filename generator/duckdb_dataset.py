"""A dataset as one DuckDB database file: the seven tables with their types, NOT NULL, primary keys and
foreign keys (which DuckDB enforces), built at the end of a run from the Parquet parts the chunks staged.

Why from the parts, not from Arrow batches written straight into the file: the chunks are built in
parallel worker processes while a DuckDB file has one writer, so streaming would serialise generation
into one process (or ship every batch to it); loading the finished parts keeps generation parallel,
lets DuckDB read them with every core, and leaves the runner as it is but for this one step. On 2 cores
the two ways take the same time within the noise (medium/30 days: 6.0 s against 5.7 s), three quarters
of it building the key indexes, which neither way avoids; the file from the parts is 16 % smaller, and
only the parts scale with more cores (`python bench/duckdb_bench.py`). The parts are deleted once they
are in the file; the file is in the run's staging folder, so it is swapped in with the folder, whole.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

import duckdb

from generator.errors import GenerationCancelled, classify_os_error
from generator.manifest import FileEntry, TableManifest
from generator.readers import QueryWatchdog, duckdb_type, open_duckdb
from generator.schema import ALL_TABLES, TableDefinition

#: Memory for the load (DuckDB keeps its key indexes in its buffer pool and spills the rest).
MEMORY_LIMIT = "1GB"
_TEMP_FOLDER = ".duckdb-tmp"


def table_ddl(spec: TableDefinition, *, keys: bool = True) -> str:
    """CREATE TABLE with the DuckDB types of schema.py, NOT NULL, the primary key and the foreign keys
    (`keys=False` leaves the keys out: the bench's measure of what they cost)."""
    parts = [f"{f.name} {duckdb_type(f.type)}{'' if f.nullable else ' NOT NULL'}" for f in spec.schema]
    if keys:
        parts.append(f"PRIMARY KEY ({', '.join(spec.primary_key)})")
        parts += [
            f"FOREIGN KEY ({column}) REFERENCES {parent} ({parent_column})"
            for column, (parent, parent_column) in spec.foreign_keys.items()
        ]
    return f"CREATE TABLE {spec.name} ({', '.join(parts)})"


def parents_first(names: Iterable[str] = tuple(ALL_TABLES)) -> list[TableDefinition]:
    """The given tables in an order where every foreign key's parent comes before its child."""
    names = tuple(names)
    ordered: list[TableDefinition] = []
    pending = [ALL_TABLES[name] for name in names]
    while pending:
        placed = {o.name for o in ordered} | (set(ALL_TABLES) - set(names))
        ready = [t for t in pending if all(p in placed for p, _ in t.foreign_keys.values())]
        ordered += ready
        pending = [t for t in pending if t not in ready]
    return ordered


def build_database(
    staging: Path, tables: dict[str, TableManifest], file_name: str, threads: int, cancel: threading.Event
) -> dict[str, TableManifest]:
    """Load the staged parts of `tables` into `<staging>/<file_name>` with keys, delete the parts, and
    return the tables as the manifest records them (each table's bytes: its share of the file by data
    blocks). GenerationCancelled when `cancel` is set meanwhile, DiskFullError (and the other typed errors of
    generator.errors) when the disk refuses the file."""
    path = staging / file_name
    con = open_duckdb(path, memory_limit=MEMORY_LIMIT, threads=threads, temp_directory=staging / _TEMP_FOLDER)
    watchdog = QueryWatchdog(con, None, cancel)
    try:
        for spec in parents_first(tables):
            con.execute(table_ddl(spec))
            files = [str(staging / entry.path) for entry in tables[spec.name].files]
            if files:
                con.execute(
                    f"INSERT INTO {spec.name} SELECT {', '.join(spec.schema.names)} FROM read_parquet(?)", [files]
                )
        con.execute("CHECKPOINT")
        blocks = {
            name: con.execute(f"SELECT count(DISTINCT block_id) FROM pragma_storage_info('{name}')").fetchone()[0]  # type: ignore[index]
            for name in tables
        }
    except duckdb.InterruptException:
        raise GenerationCancelled("generation cancelled; the output folder was not touched.") from None
    except duckdb.Error as exc:  # a full or read-only disk comes as an IO or a commit error: typed by its text
        failure = classify_os_error(OSError(f"DuckDB could not write {path.name}: {' '.join(str(exc).split())}"))
        if failure is None:
            raise
        raise failure from exc
    finally:
        watchdog.stop()
        con.close()
    for name in tables:
        shutil.rmtree(staging / name, ignore_errors=True)
    shutil.rmtree(staging / _TEMP_FOLDER, ignore_errors=True)
    return _shares(tables, blocks, file_name, path.stat().st_size)


def _shares(
    tables: dict[str, TableManifest], blocks: dict[str, int], file_name: str, size: int
) -> dict[str, TableManifest]:
    """Per table: rows, and the file's bytes split by data blocks (the shares add up to the file's size)."""
    total_blocks = sum(blocks.values()) or 1
    shares = {name: size * blocks[name] // total_blocks for name in tables}
    largest = max(tables, key=lambda name: blocks[name])
    shares[largest] += size - sum(shares.values())
    return {
        name: TableManifest(
            rows=table.rows, bytes=shares[name], files=[FileEntry(path=file_name, rows=table.rows, bytes=shares[name])]
        )
        for name, table in tables.items()
    }
