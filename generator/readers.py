"""Open a generated dataset (parquet, csv or delta) as a locked-down in-memory duckdb connection.

Every table folder becomes a view named like the table, backed by a lazy pyarrow dataset, so the
same SQL works over every format and user SQL cannot touch the file system (see `connect_dataset`).
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_ds

from generator.manifest import MANIFEST_NAME, read_manifest
from generator.schema import ALL_TABLES, TABLES, TableDefinition

if TYPE_CHECKING:
    import duckdb

FORMATS: tuple[str, ...] = ("parquet", "csv", "delta")
DELTA_LOG = "_delta_log"

_DATASET_LAYOUT = (
    f"a dataset folder holds {MANIFEST_NAME} and one sub-folder per table "
    f"({', '.join(TABLES)}) with part-NNNNN.parquet or part-NNNNN.csv files, or a Delta table "
    f"(a {DELTA_LOG} folder) per table"
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
    if not path.is_dir():
        raise _not_a_dataset(path, "it is a file, not a folder")
    return path


def dataset_format(path: str | Path) -> str:
    """parquet, csv or delta: from the manifest when there is one, else detected from the files."""
    path = _check_folder(Path(path))
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
    if not found:
        raise _not_a_dataset(path, f"it has no {MANIFEST_NAME} and no table folder with data files")
    if len(found) > 1:
        raise _not_a_dataset(path, f"it has no {MANIFEST_NAME} and its tables mix formats {sorted(found)}")
    return found.pop()


def table_paths(path: str | Path) -> dict[str, Path]:
    """Folder of each table present in the dataset (known tables only, in schema order; the change feed
    and the saved stock live in _changes and _state, which are not tables)."""
    path = _check_folder(Path(path))
    fmt = dataset_format(path)
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


def files_dataset(files: list[str], fmt: str, table: TableDefinition) -> pa_ds.Dataset:
    """A lazy pyarrow dataset over given data files of one table (a Delta table's are Parquet)."""
    if not files:
        return pa_ds.dataset(table.schema.empty_table())
    if fmt == "csv":
        # Types come from the schema, never from inference: decimals stay exact, timestamps parse
        # with a space or a 'T', and a header-only file is typed. An unquoted empty field is null
        # while a quoted "" stays an empty string, which is how pyarrow.csv writes the two.
        csv_format = pa_ds.CsvFileFormat(
            convert_options=pa_csv.ConvertOptions(
                column_types=table.schema, strings_can_be_null=True, quoted_strings_can_be_null=False
            )
        )
        return pa_ds.dataset(files, schema=table.schema, format=csv_format)
    dataset = pa_ds.dataset(files, format="parquet")
    if not any(pa.types.is_string_view(field.type) for field in dataset.schema):
        return dataset
    # deltalake's MERGE writes strings as string_view, which pyarrow's filters do not take: read them as string.
    plain = [field.with_type(pa.string()) if pa.types.is_string_view(field.type) else field for field in dataset.schema]
    return pa_ds.dataset(files, schema=pa.schema(plain), format="parquet")


def connect_dataset(
    path: str | Path,
    *,
    memory_limit: str = "256MB",
    threads: int = 2,
    temp_directory: str | Path | None = None,
    preserve_insertion_order: bool = True,
) -> duckdb.DuckDBPyConnection:
    """An in-memory duckdb connection with one view per table present, locked against file access.

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

    The views are temporary objects of this connection: `con.cursor()` does not see them, so open
    one connection per thread instead. Raises DatasetNotFoundError for a non-dataset folder.
    """
    import duckdb

    root = _check_folder(Path(path))
    fmt = dataset_format(root)
    folders = table_paths(root)
    if temp_directory is None:
        temp_directory = Path(tempfile.gettempdir()) / f"retail-datagen-duckdb-{uuid.uuid4().hex}"
    con = duckdb.connect(
        ":memory:",
        config={
            "memory_limit": memory_limit,
            "threads": threads,
            "temp_directory": str(temp_directory),
            "preserve_insertion_order": preserve_insertion_order,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    try:
        for name, folder in folders.items():
            con.register(name, arrow_dataset(folder, fmt, ALL_TABLES[name]))
        con.execute("SET python_enable_replacements = false")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except Exception:
        con.close()
        raise
    return con
