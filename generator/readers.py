"""Open a generated dataset (parquet, csv, delta or duckdb) as a locked-down duckdb connection.

Every table folder becomes a view named like the table, backed by a lazy pyarrow dataset; a DuckDB
dataset's file is opened read-only and its tables are the tables. The same SQL works over every
format and user SQL cannot touch the file system (see `connect_dataset`).
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as pa_ds

from generator.manifest import MANIFEST_NAME, read_manifest
from generator.schema import ALL_TABLES, TABLES, TableDefinition
from generator.table_files import files_dataset

FORMATS: tuple[str, ...] = ("parquet", "csv", "delta", "duckdb")
DELTA_LOG = "_delta_log"
DUCKDB_SUFFIX = ".duckdb"

_DATASET_LAYOUT = (
    f"a dataset folder holds {MANIFEST_NAME} and one sub-folder per table "
    f"({', '.join(TABLES)}) with part-NNNNN.parquet or part-NNNNN.csv files, or a Delta table "
    f"(a {DELTA_LOG} folder) per table, or one <name>{DUCKDB_SUFFIX} file; a {DUCKDB_SUFFIX} file holding "
    "the tables is a dataset too"
)


class DatasetNotFoundError(ValueError):
    """The path is missing or is not a retail-datagen dataset folder."""


def _not_a_dataset(path: Path, reason: str) -> DatasetNotFoundError:
    return DatasetNotFoundError(f"{path} is not a dataset: {reason}; {_DATASET_LAYOUT}.")


def _data_files(folder: Path, suffix: str) -> list[Path]:
    """Data files of one table folder in name order (hidden, '_'-prefixed and empty files skipped)."""
    return sorted(
        p
        for p in folder.glob(f"*.{suffix}")
        if p.is_file() and not p.name.startswith((".", "_")) and p.stat().st_size > 0
    )


def _detect_table_format(folder: Path) -> str | None:
    """The format of one table folder from its contents, or None when it holds no data."""
    if (folder / DELTA_LOG).is_dir():
        return "delta"
    for fmt in ("parquet", "csv"):
        if any(folder.glob(f"*.{fmt}")):
            return fmt
    return None


def _check_folder(path: Path) -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise _not_a_dataset(path, "the folder does not exist")
    if not path.is_dir() and path.suffix != DUCKDB_SUFFIX:
        raise _not_a_dataset(path, f"it is a file, not a folder (nor a {DUCKDB_SUFFIX} database)")
    return path


def duckdb_database(path: str | Path) -> Path:
    """The database file of a DuckDB dataset: the path itself, the file its manifest names, or the folder's
    only .duckdb file; DatasetNotFoundError otherwise."""
    path = _check_folder(Path(path))
    if path.is_file():
        return path
    try:
        named = {entry.path for table in read_manifest(path).tables.values() for entry in table.files}
    except (OSError, ValueError):
        named = {p.name for p in path.glob(f"*{DUCKDB_SUFFIX}")}
    files = [path / name for name in sorted(named) if (path / name).is_file()]
    if len(files) != 1:
        raise _not_a_dataset(path, f"it holds {len(files)} {DUCKDB_SUFFIX} files of its dataset, not one")
    return files[0]


def dataset_format(path: str | Path) -> str:
    """parquet, csv, delta or duckdb: from the manifest when there is one, else detected from the files."""
    path = _check_folder(Path(path))
    if path.is_file():
        return "duckdb"
    manifest_path = path / MANIFEST_NAME
    if manifest_path.is_file():
        try:
            fmt = str(read_manifest(path).format).strip().lower()
        except (ValueError, OSError) as exc:  # json and pydantic errors are ValueErrors
            raise _not_a_dataset(path, f"{MANIFEST_NAME} cannot be read ({exc})") from exc
        if fmt not in FORMATS:
            raise _not_a_dataset(path, f"{MANIFEST_NAME} names an unknown format {fmt!r}")
        return fmt
    found = {
        fmt for name in TABLES if (path / name).is_dir() and (fmt := _detect_table_format(path / name)) is not None
    }
    if not found and len(list(path.glob(f"*{DUCKDB_SUFFIX}"))) == 1:
        return "duckdb"
    if not found:
        raise _not_a_dataset(path, f"it has no {MANIFEST_NAME} and no table folder with data files")
    if len(found) > 1:
        raise _not_a_dataset(path, f"it has no {MANIFEST_NAME} and its tables mix formats {sorted(found)}")
    return found.pop()


def table_paths(path: str | Path) -> dict[str, Path]:
    """Folder of each table present in a dataset of files (known tables only, in schema order; the change
    feed and the saved stock live in _changes and _state, which are not tables)."""
    path = _check_folder(Path(path))
    fmt = dataset_format(path)
    if fmt == "duckdb":
        raise _not_a_dataset(path, "it is a DuckDB database, whose tables are not folders")
    present: dict[str, Path] = {}
    for name in ALL_TABLES:
        folder = path / name
        if not folder.is_dir():
            continue
        if fmt == "delta" and not (folder / DELTA_LOG).is_dir():
            continue
        present[name] = folder
    if not present:
        raise _not_a_dataset(path, "none of the table folders exists")
    return present


def duckdb_type(type_: pa.DataType) -> str:
    """The duckdb SQL type an Arrow type of schema.py reads as (e.g. decimal128(10, 2) -> DECIMAL(10,2))."""
    if pa.types.is_decimal(type_):
        return f"DECIMAL({type_.precision},{type_.scale})"
    if pa.types.is_timestamp(type_):
        return "TIMESTAMP" if type_.tz is None else "TIMESTAMP WITH TIME ZONE"
    simple = {
        pa.int8(): "TINYINT",
        pa.int16(): "SMALLINT",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.float32(): "FLOAT",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
        pa.string(): "VARCHAR",
        pa.large_string(): "VARCHAR",
    }
    if type_ in simple:
        return simple[type_]
    raise ValueError(f"no duckdb type for Arrow type {type_}")


def duckdb_column_types(table: TableDefinition) -> dict[str, str]:
    """Column name -> duckdb SQL type for one table (what a correct dataset's view reports)."""
    return {f.name: duckdb_type(f.type) for f in table.schema}


def arrow_dataset(folder: Path, fmt: str, table: TableDefinition) -> pa_ds.Dataset:
    """A lazy pyarrow dataset over one table folder; CSV is parsed with the table's Arrow types."""
    if fmt == "delta":
        from deltalake import DeltaTable

        return DeltaTable(str(folder)).to_pyarrow_dataset()
    return files_dataset([str(p) for p in _data_files(folder, fmt)], fmt, table)


def open_duckdb(
    database: str | Path,
    *,
    memory_limit: str,
    threads: int,
    temp_directory: str | Path | None = None,
    preserve_insertion_order: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A duckdb connection (to a file, or ":memory:") that installs and loads no extension by itself and
    spills to `temp_directory` (default: a fresh folder under the system temp folder, made on demand)."""
    if temp_directory is None:
        temp_directory = Path(tempfile.gettempdir()) / f"retail-datagen-duckdb-{uuid.uuid4().hex}"
    config = {
        "memory_limit": memory_limit,
        "threads": threads,
        "temp_directory": str(temp_directory),
        "preserve_insertion_order": preserve_insertion_order,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    return duckdb.connect(str(database), config=config)


def connect_dataset(
    path: str | Path,
    *,
    memory_limit: str = "256MB",
    threads: int = 2,
    temp_directory: str | Path | None = None,
    preserve_insertion_order: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A duckdb connection over the dataset's tables, locked against file access: an in-memory one with one
    view per table present, or, for a DuckDB dataset, its file opened read-only (its tables are the tables).

    Each table is registered with `con.register` as a lazy pyarrow dataset (the folder's
    `*.parquet` files, its `*.csv` files parsed with the schema's Arrow types, or
    `DeltaTable(folder).to_pyarrow_dataset()`; the format comes from the manifest), so
    pyarrow streams the files and duckdb pushes projections and filters into the scan. Native
    `read_parquet` views are not used: they stop working once external access is off, and the
    `allowed_directories`/`allowed_paths` escape hatch also lets `COPY ... TO` overwrite the data
    files. After registration the connection runs `SET python_enable_replacements = false` (no
    scans of Python variables), `SET enable_external_access = false` (no COPY, ATTACH, read_csv,
    INSTALL/LOAD of new extensions) and `SET lock_configuration = true` (none of it can be undone).
    Large queries spill to `temp_directory` (default: a fresh folder under the system temp folder
    that duckdb creates on demand and removes on close; never the dataset folder).

    A DuckDB dataset's file is attached read-only (as catalog `dataset`, made the default) to the
    in-memory connection rather than opened directly: duckdb shares one instance per open file, and
    callers with other memory limits or temporary folders could then not open it at the same time.

    The views are temporary objects of this connection: `con.cursor()` does not see them, so open
    one connection per thread instead. Raises DatasetNotFoundError for a non-dataset folder.
    """
    root = _check_folder(Path(path))
    fmt = dataset_format(root)
    database = duckdb_database(root) if fmt == "duckdb" else None
    folders = table_paths(root) if database is None else {}
    con = open_duckdb(
        ":memory:",
        memory_limit=memory_limit,
        threads=threads,
        temp_directory=temp_directory,
        preserve_insertion_order=preserve_insertion_order,
    )
    try:
        if database is not None:
            attach_read_only(con, database)
        for name, folder in folders.items():
            con.register(name, arrow_dataset(folder, fmt, ALL_TABLES[name]))
        con.execute("SET python_enable_replacements = false")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except Exception:
        con.close()
        raise
    return con


def attach_read_only(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Attach a DuckDB file read-only as catalog `dataset` and make it the default; DatasetNotFoundError when
    duckdb cannot read it."""
    literal = str(database).replace("'", "''")
    try:
        con.execute(f"ATTACH '{literal}' AS dataset (READ_ONLY)")
    except duckdb.Error as exc:
        raise _not_a_dataset(database, f"DuckDB cannot open it read-only ({str(exc).splitlines()[0]})") from None
    con.execute("USE dataset")


class QueryWatchdog:
    """Interrupts a duckdb connection once `cancel` is set or `timeout_sec` passed (polled every 0.1 s);
    `reason` says which. Stop it when the statement ended, before the connection closes."""

    def __init__(
        self, connection: duckdb.DuckDBPyConnection, timeout_sec: float | None, cancel: threading.Event | None
    ) -> None:
        self.reason: str | None = None
        self._connection = connection
        self._deadline = None if timeout_sec is None else time.monotonic() + timeout_sec
        self._cancel = cancel
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stopped.wait(0.1):
            if self._cancel is not None and self._cancel.is_set():
                self.reason = "cancelled"
            elif self._deadline is not None and time.monotonic() >= self._deadline:
                self.reason = "timeout"
            else:
                continue
            self._connection.interrupt()
            return
