"""templates/generate_data.py: the script contract, installed and portable (numpy and pyarrow only)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from generator.portable import SCRIPT_TEMPLATE, portable_script
from tests.generator.conftest import dataset_rows

# Runs a script with faker, pydantic, pandas and this project unimportable, like a bare cluster.
BARE_CLUSTER = """
import builtins, runpy, sys
sys.path = [p for p in sys.path if p and ("{root}" not in p or "site-packages" in p)]
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
real_import = builtins.__import__
def guarded(name, *args, **kwargs):
    if name.split(".")[0] in ("faker", "pydantic", "pandas", "server"):
        raise ImportError("not on this cluster: " + name)
    return real_import(name, *args, **kwargs)
builtins.__import__ = guarded
runpy.run_path(sys.argv[1], run_name="__main__")
"""


def run_script(script: Path, env: dict[str, str], cwd: Path, bare: bool = False) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    full_env.pop("PYTHONPATH", None)
    if bare:
        root = str(Path(__file__).resolve().parents[2])
        command = [sys.executable, "-c", BARE_CLUSTER.format(root=root), str(script)]
    else:
        command = [sys.executable, str(script)]
    return subprocess.run(
        command, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )


def hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.parquet"))
    }


def test_script_writes_parquet_tables_from_the_environment(tmp_path: Path) -> None:
    result = run_script(
        SCRIPT_TEMPLATE, {"SCALE_FACTOR": "0.3", "OUTPUT_PATH": str(tmp_path / "data"), "DAYS": "5"}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    for table in ("stores", "products", "customers", "promotions", "orders", "order_items", "inventory_snapshots"):
        assert list((tmp_path / "data" / table).glob("*.parquet")), table
    assert "order_items" in result.stdout
    assert "progress:" in result.stderr


def test_default_output_path_is_data_under_the_working_folder(tmp_path: Path) -> None:
    result = run_script(SCRIPT_TEMPLATE, {"SCALE_FACTOR": "0.1", "DAYS": "2"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "orders").is_dir()


def test_bad_settings_exit_2_with_the_reason_on_stderr(tmp_path: Path) -> None:
    result = run_script(SCRIPT_TEMPLATE, {"SCALE_FACTOR": "lots", "OUTPUT_PATH": str(tmp_path / "x")}, tmp_path)
    assert result.returncode == 2
    assert "SCALE_FACTOR='lots'" in result.stderr
    result = run_script(SCRIPT_TEMPLATE, {"DAYS": "0", "SCALE": "tiny", "OUTPUT_PATH": str(tmp_path / "x")}, tmp_path)
    assert result.returncode == 2
    assert "DAYS='0': must be a whole number from 1 to 365" in result.stderr and "SCALE='tiny'" in result.stderr
    assert not (tmp_path / "x").exists()


def test_portable_script_runs_without_the_project_faker_or_pydantic_and_writes_the_same_bytes(tmp_path: Path) -> None:
    portable = tmp_path / "generate_data.py"
    portable.write_text(portable_script())
    env = {"SCALE_FACTOR": "0.3", "DAYS": "4", "SEED": "5"}
    bare = run_script(portable, {**env, "OUTPUT_PATH": str(tmp_path / "bare")}, tmp_path, bare=True)
    assert bare.returncode == 0, bare.stderr
    installed = run_script(SCRIPT_TEMPLATE, {**env, "OUTPUT_PATH": str(tmp_path / "installed")}, tmp_path)
    assert installed.returncode == 0, installed.stderr
    assert hashes(tmp_path / "bare") == hashes(tmp_path / "installed")
    assert len(hashes(tmp_path / "bare")) == 7


def test_the_plain_template_says_what_to_do_on_a_bare_machine(tmp_path: Path) -> None:
    result = run_script(SCRIPT_TEMPLATE, {"OUTPUT_PATH": str(tmp_path / "x")}, tmp_path, bare=True)
    assert result.returncode == 1
    assert "pip install" in result.stderr and "portable" in result.stderr


def test_the_portable_script_extends_a_dataset_on_a_bare_machine(tmp_path: Path) -> None:
    """MODE=incremental needs only numpy and pyarrow: a cluster can grow the dataset it wrote."""
    portable = tmp_path / "generate_data.py"
    portable.write_text(portable_script())
    out = {"OUTPUT_PATH": str(tmp_path / "grown")}
    first = run_script(
        portable, {**out, "SCALE_FACTOR": "0.3", "DAYS": "4", "END_DATE": "2025-12-30"}, tmp_path, bare=True
    )
    assert first.returncode == 0, first.stderr
    grown = run_script(portable, {**out, "MODE": "incremental", "DAYS": "3"}, tmp_path, bare=True)
    assert grown.returncode == 0, grown.stderr
    env = {"SCALE_FACTOR": "0.3", "DAYS": "7", "END_DATE": "2026-01-02", "OUTPUT_PATH": str(tmp_path / "once")}
    once = run_script(SCRIPT_TEMPLATE, env, tmp_path)
    assert once.returncode == 0, once.stderr
    grown_rows, once_rows = dataset_rows(tmp_path / "grown"), dataset_rows(tmp_path / "once")
    assert grown_rows.keys() == once_rows.keys()
    assert all(grown_rows[name].equals(once_rows[name]) for name in once_rows)
    refused = run_script(portable, {**out, "MODE": "incremental", "SEED": "9"}, tmp_path, bare=True)
    assert refused.returncode == 2 and "seed=9" in refused.stderr
