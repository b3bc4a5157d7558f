"""format="duckdb": one database file with the seven tables, their types and keys (enforced by DuckDB),
written beside the previous dataset and swapped in whole; readers, the validator and the CLI accept it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from generator.duckdb_dataset import parents_first
from generator.errors import GenerationCancelled
from generator.manifest import MANIFEST_NAME, read_manifest
from generator.readers import DatasetNotFoundError, connect_dataset, dataset_format, duckdb_column_types
from generator.runner import run
from generator.schema import ALL_TABLES, TABLES
from generator.spec import DatasetSpec
from generator.validation import validate_dataset

SPEC = DatasetSpec(scale="small", scale_factor=0.2, days=7)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same dataset as parquet and as duckdb (generated once for the module)."""
    base = tmp_path_factory.mktemp("duckdb-dataset")
    run(SPEC, base / "parquet", fmt="parquet", workers=1)
    run(SPEC, base / "duckdb", fmt="duckdb", workers=2)
    return {"parquet": base / "parquet", "duckdb": base / "duckdb"}


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def test_one_file_holds_the_tables_with_their_types_and_keys(made: dict[str, Path]) -> None:
    folder = made["duckdb"]
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST_NAME, "retail.duckdb"]
    manifest = read_manifest(folder)
    assert manifest.format == "duckdb" and "duckdb" in manifest.versions
    size = (folder / "retail.duckdb").stat().st_size
    assert manifest.total_bytes == size
    assert all([entry.path for entry in table.files] == ["retail.duckdb"] for table in manifest.tables.values())
    with duckdb.connect(str(folder / "retail.duckdb"), read_only=True) as con:
        for name, spec in TABLES.items():
            described = {row[0]: (row[1], row[2]) for row in con.execute(f"DESCRIBE {name}").fetchall()}
            expected = {f.name: (duckdb_column_types(spec)[f.name], "YES" if f.nullable else "NO") for f in spec.schema}
            assert described == expected, name
            constraints = con.execute(
                "SELECT constraint_type, constraint_column_names, referenced_table, referenced_column_names "
                "FROM duckdb_constraints() WHERE table_name = ? AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')",
                [name],
            ).fetchall()
            keys = {
                (kind, tuple(columns), parent, tuple(parent_columns or ()))
                for kind, columns, parent, parent_columns in constraints
            }
            wanted = {("PRIMARY KEY", spec.primary_key, None, ())} | {
                ("FOREIGN KEY", (column,), parent, (parent_column,))
                for column, (parent, parent_column) in spec.foreign_keys.items()
            }
            assert keys == wanted, name
            rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            assert rows == manifest.tables[name].rows


def test_the_rows_are_the_rows_of_the_files(made: dict[str, Path]) -> None:
    with connect_dataset(made["parquet"]) as files, connect_dataset(made["duckdb"]) as database:
        for name, spec in TABLES.items():
            order = ", ".join(spec.primary_key)
            query = f"SELECT * FROM {name} ORDER BY {order}"
            assert files.execute(query).fetchall() == database.execute(query).fetchall(), name


def test_duckdb_enforces_the_keys(made: dict[str, Path], tmp_path: Path) -> None:
    copy = Path(shutil.copy(made["duckdb"] / "retail.duckdb", tmp_path / "copy.duckdb"))
    with duckdb.connect(str(copy)) as con:
        with pytest.raises(duckdb.ConstraintException, match="PRIMARY KEY|primary key|Duplicate key"):
            con.execute("INSERT INTO order_items SELECT * FROM order_items LIMIT 1")
        with pytest.raises(duckdb.ConstraintException, match="foreign key"):
            con.execute(
                "INSERT INTO order_items SELECT order_id, 99, 999999, NULL, 1, 1.00, 1.00, 1.00 FROM orders LIMIT 1"
            )
        with pytest.raises(duckdb.ConstraintException, match="foreign key|referenced"):
            con.execute("DELETE FROM stores")
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("UPDATE orders SET order_ts = NULL")


def test_the_tables_are_created_parents_first() -> None:
    seen: set[str] = set()
    for spec in parents_first():
        assert {parent for parent, _ in spec.foreign_keys.values()} <= seen, spec.name
        seen.add(spec.name)
    assert seen == set(ALL_TABLES)


@pytest.mark.parametrize("which", ["folder", "file"])
def test_the_validator_and_the_readers_accept_the_folder_or_the_file(made: dict[str, Path], which: str) -> None:
    path = made["duckdb"] if which == "folder" else made["duckdb"] / "retail.duckdb"
    assert dataset_format(path) == "duckdb"
    report = validate_dataset(path)
    assert report.passed, [c for c in report.checks if not c.passed]
    assert report.tables == {name: t.rows for name, t in read_manifest(made["duckdb"]).tables.items()}
    manifest_check = next(c for c in report.checks if c.name == "manifest_row_counts")
    assert manifest_check.description.startswith("SKIPPED") is (which == "file")
    with connect_dataset(path) as con:  # read-only and locked down, like the views over files
        for statement in ("DELETE FROM orders", "CREATE TABLE t AS SELECT 1", "COPY orders TO 'x.csv'"):
            with pytest.raises(duckdb.Error):
                con.execute(statement)
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            con.execute("ATTACH 'elsewhere.duckdb'")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")


def test_a_file_that_is_not_a_duckdb_database_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.duckdb"
    fake.write_text("not a database")
    with pytest.raises(DatasetNotFoundError, match="DuckDB cannot open it read-only"):
        connect_dataset(fake)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DatasetNotFoundError, match="nor a .duckdb database"):
        connect_dataset(tmp_path / "notes.txt")


def test_a_named_database_file_is_written_and_found(tmp_path: Path) -> None:
    manifest = run(SPEC, tmp_path / "named", fmt="duckdb", workers=1, duckdb_file="shop.duckdb")
    assert sorted(p.name for p in (tmp_path / "named").iterdir()) == [MANIFEST_NAME, "shop.duckdb"]
    assert validate_dataset(tmp_path / "named").passed
    assert all(table.files[0].path == "shop.duckdb" for table in manifest.tables.values())


def test_a_run_cancelled_while_the_file_is_written_leaves_the_previous_dataset(
    made: dict[str, Path], tmp_path: Path
) -> None:
    target = Path(shutil.copytree(made["duckdb"], tmp_path / "data"))
    before = digest(target)
    cancel = threading.Event()
    outcome: dict[str, BaseException] = {}

    def generate() -> None:
        try:
            run(DatasetSpec(scale="medium", days=7), target, fmt="duckdb", workers=1, cancel=cancel)
        except BaseException as exc:  # noqa: BLE001 - the assertion below reports it
            outcome["error"] = exc

    worker = threading.Thread(target=generate)
    worker.start()
    staged = tmp_path.glob(".data.staging-*/retail.duckdb")
    while worker.is_alive() and not any(staged):  # the database file is being written: cancel now
        worker.join(0.01)
        staged = tmp_path.glob(".data.staging-*/retail.duckdb")
    cancel.set()
    worker.join(120)
    assert isinstance(outcome.get("error"), GenerationCancelled), outcome
    assert digest(target) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".data.") and not p.name.endswith(".lock")] == []


def test_a_database_file_name_is_only_for_duckdb_and_must_be_a_file_name(tmp_path: Path) -> None:
    from generator.config import GenerateOptions, describe_validation_error

    for values, expected in [
        ({"format": "parquet", "duckdb_file": "x.duckdb"}, "duckdb_file='x.duckdb': format is 'parquet'"),
        ({"format": "duckdb", "duckdb_file": "../x.duckdb"}, "duckdb_file='../x.duckdb': must be a file name"),
        ({"format": "duckdb", "duckdb_file": "x.db"}, "duckdb_file='x.db'"),
    ]:
        with pytest.raises(ValueError) as refused:
            GenerateOptions(output_dir=tmp_path, **values)
        assert expected in describe_validation_error(refused.value)


def test_the_command_line_writes_a_duckdb_dataset(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "generator.cli", "generate", "--scale-factor", "0.1", "--days", "3", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=300)

    done = cli("--format", "duckdb", "--output-dir", str(tmp_path / "cli"), "--duckdb-file", "cli.duckdb")
    assert done.returncode == 0, done.stderr
    assert "(duckdb)" in done.stdout and (tmp_path / "cli" / "cli.duckdb").is_file()
    assert json.loads((tmp_path / "cli" / MANIFEST_NAME).read_text())["format"] == "duckdb"
    refused = cli("--output-dir", str(tmp_path / "other"), "--duckdb-file", "x.duckdb")
    assert refused.returncode == 2 and "duckdb_file='x.duckdb'" in refused.stderr
    assert not (tmp_path / "other").exists()
