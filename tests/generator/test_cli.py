"""The retail-datagen command as a user runs it: exit codes, one-line errors, summary on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main

Rows = dict[str, list[dict[str, Any]]]


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
    assert "days='400': must be a whole number from 1 to 365" in lines[0]
    assert "scale='huge': must be one of small, medium, large" in lines[0]
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
    assert "PASSED: all checks hold." in validate.stdout
    missing = cli("validate", "nowhere", cwd=tmp_path)
    assert missing.returncode == 2


def test_the_validate_command_prints_checks_and_sets_exit_code(
    rows: Rows, make_dataset: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_dataset(rows, "csv")
    assert main(["validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "inventory_flow" in out

    rows["orders"][2]["order_total"] = Decimal("28.40")
    bad = make_dataset(rows, "delta")
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "order_total" in out and "order_id=10030001" in out

    assert main(["validate", str(bad), "--json"]) == 1
    assert '"passed": false' in capsys.readouterr().out

    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "not a dataset" in capsys.readouterr().err


def test_incremental_and_merge_modes_on_the_command_line(tmp_path: Path) -> None:
    first = cli("generate", "--scale-factor", "0.3", "--days", "5", "--output-dir", "out", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    grown = cli("generate", "--mode", "incremental", "--days", "3", "--output-dir", "out", cwd=tmp_path)
    assert grown.returncode == 0, grown.stderr
    assert "version 1" in grown.stdout and "inserted" in grown.stdout and "_changes" in grown.stdout
    manifest = json.loads((tmp_path / "out" / "_manifest.json").read_text())
    assert manifest["parameters"]["days"] == 8 and manifest["parameters"]["end_date"] == "2026-01-03"
    again = cli("generate", "--mode", "incremental", "--end-date", "2026-01-03", "--output-dir", "out", cwd=tmp_path)
    assert again.returncode == 0 and "nothing to add" in again.stdout
    gap = cli("generate", "--mode", "incremental", "--end-date", "2025-12-01", "--output-dir", "out", cwd=tmp_path)
    assert gap.returncode == 2
    assert "end_date='2025-12-01'" in gap.stderr and "must be on or after 2026-01-03" in gap.stderr
    merged = cli("generate", "--mode", "merge", "--customer-history", "--output-dir", "out", cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert (tmp_path / "out" / "customers_history").is_dir() and "merge run" in merged.stdout
    bad = cli("generate", "--mode", "sideways", "--output-dir", "out", cwd=tmp_path)
    assert bad.returncode == 2 and "mode='sideways'" in bad.stderr


#: Runs `generate` in a fresh process; prints the pool's start method and which heavy modules got imported.
GENERATE_AND_REPORT = """
import multiprocessing.pool, sys
from generator.cli import main
methods = []
init = multiprocessing.pool.Pool.__init__
def recording(self, *args, **kwargs):
    init(self, *args, **kwargs)
    methods.append(self._ctx.get_start_method())
multiprocessing.pool.Pool.__init__ = recording
code = main(["generate", "--scale=small", "--days=3", "--customer-history", "--workers=2", "--output-dir=out"])
watched = ("pandas", "faker", "duckdb", "deltalake", "pyarrow.compute", "rich.progress")
heavy = sorted(name for name in watched if name in sys.modules)
print("REPORT", code, methods, heavy, file=sys.__stdout__)
"""


def _report(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("REPORT"))


def test_generate_forks_its_pool_and_imports_no_pandas_faker_compute_or_database_library(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", GENERATE_AND_REPORT], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert _report(result.stdout) == "REPORT 0 ['fork'] []"


def test_on_a_terminal_generate_draws_a_bar_and_still_forks(tmp_path: Path) -> None:
    import os
    import pty

    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-c", GENERATE_AND_REPORT], cwd=tmp_path, stdout=subprocess.PIPE, stderr=follower, text=True
    ) as process:
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            drawn += chunk
        stdout = process.stdout.read() if process.stdout else ""
    os.close(leader)
    assert process.returncode == 0
    assert _report(stdout) == "REPORT 0 ['fork'] ['rich.progress']"
    assert b"generating" in drawn and b"chunks" in drawn
