"""The retail-datagen command as a user runs it: exit codes, one-line errors, summary on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_generate_writes_the_dataset_and_prints_a_summary(tmp_path: Path) -> None:
    result = cli(
        "generate", "--scale", "small", "--days", "7", "--scale-factor", "0.5", "--output-dir", "out", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "order_items" in result.stdout and "total" in result.stdout
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert manifest["parameters"]["days"] == 7
    assert f"{manifest['total_rows']:,}" in result.stdout


def test_bad_arguments_exit_2_with_one_line_naming_each_field(tmp_path: Path) -> None:
    result = cli("generate", "--days", "400", "--scale", "huge", "--output-dir", "out", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "days='400'" in lines[0] and "365" in lines[0]
    assert "scale='huge'" in lines[0] and "'small', 'medium' or 'large'" in lines[0]
    assert not (tmp_path / "out").exists()


def test_no_overwrite_refuses_an_existing_dataset(tmp_path: Path) -> None:
    assert cli("generate", "--scale-factor", "0.1", "--days", "2", "--output-dir", "out", cwd=tmp_path).returncode == 0
    result = cli("generate", "--no-overwrite", "--output-dir", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "already holds a dataset" in result.stderr


def test_estimate_and_validate(tmp_path: Path) -> None:
    estimate = cli("estimate", "--scale", "large", "--days", "365", cwd=tmp_path)
    assert estimate.returncode == 0
    assert "inventory_snapshots" in estimate.stdout and "MB per worker" in estimate.stdout
    cli("generate", "--scale-factor", "0.1", "--days", "3", "--output-dir", "out", cwd=tmp_path)
    validate = cli("validate", "out", cwd=tmp_path)
    assert validate.returncode == 0, validate.stdout
    assert "all checks passed" in validate.stdout
    missing = cli("validate", "nowhere", cwd=tmp_path)
    assert missing.returncode == 2
