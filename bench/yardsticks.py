"""Our generator against two reference generators, in one run: tpchgen-cli and DuckDB's dbgen.

Each command runs as its own subprocess (imports and start-up count), rounds interleaved, medians:
  - tpchgen-cli (the Rust TPC-H generator): Parquet, sf=1, 2 threads, snappy (its default);
  - DuckDB `CALL dbgen(sf=1)` then `EXPORT DATABASE ... (FORMAT parquet, COMPRESSION snappy)`, 2 threads;
  - `retail-datagen generate --scale large --days 14 --workers 2` (Parquet, snappy).
Rows and values (rows x columns) are counted from the Parquet footers of what each wrote. Each
run's CPU seconds (user + system) are printed too: on a busy machine they move far less than wall
time, and as all three keep 2 cores busy, values per CPU second compare them under load.

The yardsticks live in their own virtual environment (bench/results/yardsticks-venv), created and
filled from PyPI when missing: DuckDB's tpch extension is not built into the Python wheel and
`INSTALL tpch` downloads it from DuckDB's extension site, which this machine cannot reach, so the
extension comes from the PyPI package duckdb-extension-tpch, built for exactly duckdb 1.5.5 (the
project's own duckdb is newer, and an extension loads only into the version it was built for).

    python bench/yardsticks.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from measure import (
    RESULTS_DIR,
    Shape,
    against_target,
    children_cpu,
    fresh_dir,
    interleaved,
    median,
    ours_command,
    paired_ratio,
    parquet_shape,
    rounds_text,
    timed_run,
)

VENV = RESULTS_DIR / "yardsticks-venv"
PACKAGES = ("tpchgen-cli==4.0.0", "duckdb==1.5.5", "duckdb-extension-tpch==1.5.5")
THREADS = 2
#: Targets of the speed issue: ours over tpchgen-cli in values/s, ours over DuckDB in rows/s.
TARGET_OVER_TPCHGEN_VALUES = 1.5
TARGET_OVER_DUCKDB_ROWS = 5.0
OURS = "retail-datagen large/14"

DUCKDB_DBGEN = """
import sys, duckdb
extension, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect(config={"threads": threads, "autoinstall_known_extensions": False,
                             "autoload_known_extensions": False})
con.execute("SET enable_progress_bar = false")
con.execute(f"LOAD '{extension}'")
con.execute("CALL dbgen(sf=1)")
con.execute(f"EXPORT DATABASE '{out}' (FORMAT parquet, COMPRESSION snappy)")
"""

PROJECT_DUCKDB_TPCH = """
import duckdb
row = duckdb.sql("select installed, install_path from duckdb_extensions() where extension_name = 'tpch'").fetchall()[0]
print(duckdb.__version__, row[0], row[1] or "-")
"""


@dataclass(frozen=True)
class Yardsticks:
    """Paths of the installed yardsticks."""

    tpchgen: Path
    python: Path
    tpch_extension: Path


def _find_extension() -> Path | None:
    return next(VENV.glob("lib/python*/site-packages/duckdb_extension_tpch/extensions/*/tpch.duckdb_extension"), None)


def ensure_yardsticks() -> Yardsticks:
    """The yardsticks' venv, created and installed from PyPI on first use."""
    python, tpchgen = VENV / "bin" / "python", VENV / "bin" / "tpchgen-cli"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not tpchgen.exists() or _find_extension() is None:
        print(f"installing {' '.join(PACKAGES)} into {VENV}", file=sys.stderr, flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True)
    extension = _find_extension()
    assert extension is not None, "duckdb-extension-tpch installed no tpch.duckdb_extension"
    return Yardsticks(tpchgen, python, extension)


def project_duckdb_tpch() -> str:
    """Whether the project's own duckdb has the tpch extension available without a download."""
    version, installed, path = subprocess.run(
        [sys.executable, "-c", PROJECT_DUCKDB_TPCH], capture_output=True, text=True, check=True
    ).stdout.split()
    state = f"installed at {path}" if installed == "True" else "not built in, not installed (INSTALL downloads it)"
    return f"project duckdb {version}: tpch extension {state}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tools = ensure_yardsticks()
    print(project_duckdb_tpch())
    print(f"yardsticks: {', '.join(PACKAGES)}; {THREADS} threads / workers each; Parquet, snappy", flush=True)

    with tempfile.TemporaryDirectory(prefix="yardsticks-") as folder:
        root = Path(folder)
        commands: dict[str, Callable[[Path], list[str]]] = {
            "tpchgen-cli sf=1": lambda out: [
                str(tools.tpchgen), "parquet", "-s", "1", "-n", str(THREADS), "-c", "SNAPPY", "-q", "-o", str(out)
            ],
            "duckdb dbgen sf=1": lambda out: [
                str(tools.python), "-c", DUCKDB_DBGEN, str(tools.tpch_extension), str(out), str(THREADS)
            ],
            OURS: lambda out: ours_command("large", 14, THREADS, out),
        }  # fmt: skip
        shapes: dict[str, Shape] = {}
        cpu: dict[str, list[float]] = {name: [] for name in commands}

        def case(name: str) -> Callable[[], float]:
            def once() -> float:
                out = fresh_dir(root, "out")
                cpu_before = children_cpu()
                wall = timed_run(commands[name](out))
                cpu[name].append(children_cpu() - cpu_before)
                shapes.setdefault(name, parquet_shape(out))
                return wall

            return once

        times = interleaved({name: case(name) for name in commands}, args.rounds)

    header = f"{'generator':<25}{'rows':>12}{'values':>14}{'median s':>10}{'rows/s':>13}{'values/s':>14}{'CPU s':>8}"
    print(f"\n{header}  rounds")
    for name, walls in times.items():
        shape, wall = shapes[name], median(walls)
        print(
            f"{name:<25}{shape.rows:>12,}{shape.values:>14,}{wall:>10.2f}{shape.rows / wall:>13,.0f}"
            f"{shape.values / wall:>14,.0f}{median(cpu[name]):>8.2f}  {rounds_text(walls)}"
        )
    print("\nours / yardstick: ratio of the medians [median of each round's own ratio; ratio per CPU second]")
    for name, targeted, target in (
        ("tpchgen-cli sf=1", "values", TARGET_OVER_TPCHGEN_VALUES),
        ("duckdb dbgen sf=1", "rows", TARGET_OVER_DUCKDB_ROWS),
    ):
        for unit in (targeted, "rows" if targeted == "values" else "values"):
            size = getattr(shapes[OURS], unit) / getattr(shapes[name], unit)
            of_medians = size * median(times[name]) / median(times[OURS])
            label = f"ours / {name}, {unit}/s"
            text = (
                against_target(label, of_medians, target, True) if unit == targeted else f"{label}: {of_medians:.2f}x"
            )
            by_cpu = size * median(cpu[name]) / median(cpu[OURS])
            print(f"{text} [{size * paired_ratio(times[name], times[OURS]):.2f}x; {by_cpu:.2f}x]")


if __name__ == "__main__":
    main()
