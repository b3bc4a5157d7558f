"""Process start on the generate path: imports and pool start, the heaviest imports, and who imports what.

Two entry points, each in a fresh process on a tiny dataset (small, 1 day):
  - `retail-datagen generate` (the console script's `generator.cli.main`);
  - `templates/generate_data.py` (the script contract, which calls `generator.runner.run`).

Timing rounds (2 workers, interleaved, medians) report, from spawning the process: the moment the
pool is asked for (imports, validation and planning done), the moment it is ready (workers forked;
with forkserver, the server has started and preloaded), and the exit; next to `python -c pass` and a
bare `import numpy, pyarrow.parquet`. A small driver wraps `multiprocessing.pool.Pool.__init__` to
print those moments (importing `multiprocessing.pool` a little earlier than the real path does).
This machine sets PYTHONDONTWRITEBYTECODE=1, so the project's own modules are compiled at every
start; the CLI is also timed with a warm bytecode cache (PYTHONPYCACHEPREFIX) to show that share.

One more run per entry point, with 1 worker (everything in one process) under `-X importtime`,
lists the heaviest imports and, for pandas, faker, duckdb, rich and pydantic, the import time
(every import subtree rooted in the package) and the code that first imported them (a meta-path
hook records the Python stack; a Cython caller such as `pa.array` shows as the Python line calling it).

    python bench/startup.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from measure import REPO_ROOT, against_target, fresh_dir, interleaved, median, timed_run

WATCHED = ("pandas", "faker", "duckdb", "rich", "pydantic")
TEMPLATE = REPO_ROOT / "templates" / "generate_data.py"
#: Target of the speed issue: imports and pool start on the generate path.
TARGET_START_SECONDS = 0.3
TOP = 12

DRIVER = """
import json, os, sys, time, traceback
import multiprocessing.pool

_init = multiprocessing.pool.Pool.__init__

def _timed_init(self, *args, **kwargs):
    asked = time.monotonic()
    _init(self, *args, **kwargs)
    print("BENCH-POOL", asked, time.monotonic(), self._ctx.get_start_method(), file=sys.stderr, flush=True)

multiprocessing.pool.Pool.__init__ = _timed_init

class _Watch:
    def __init__(self, names):
        self.pending = set(names)

    def find_spec(self, name, path=None, target=None):
        if name in self.pending:
            self.pending.discard(name)
            stack = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith("<frozen")]
            frames = [[f.filename, f.lineno, f.name] for f in stack]
            print("BENCH-WHO", json.dumps({"module": name, "frames": frames}), file=sys.stderr, flush=True)
        return None

if os.environ.get("BENCH_WATCH"):
    sys.meta_path.insert(0, _Watch(os.environ["BENCH_WATCH"].split(",")))

entry, sys.argv = sys.argv[1], sys.argv[1:]
if entry == "cli":
    from generator.cli import main
    sys.exit(main(sys.argv[1:]))
import runpy
runpy.run_path(entry, run_name="__main__")
"""


@dataclass(frozen=True)
class StartTimes:
    """Seconds from spawn: pool asked for, pool ready, process exit; and the start method."""

    asked: float
    ready: float
    exit: float
    method: str


@dataclass(frozen=True)
class ImportRecord:
    """One line of `-X importtime`: module, nesting depth, self and cumulative microseconds."""

    name: str
    depth: int
    self_us: int
    cumulative_us: int


IMPORTTIME_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)")


def entry_command(entry: str, output: Path, workers: int) -> tuple[list[str], dict[str, str]]:
    """The driver's command line and environment for one entry point ('cli' or 'template')."""
    env = dict(os.environ)
    if entry == "cli":
        args = ["cli", "generate", "--scale=small", "--days=1", f"--workers={workers}", f"--output-dir={output}"]
        return [sys.executable, "-c", DRIVER, *args], env
    env.update(SCALE="small", DAYS="1", WORKERS=str(workers), OUTPUT_PATH=str(output))
    return [sys.executable, "-c", DRIVER, str(TEMPLATE)], env


def run_driver(command: list[str], env: Mapping[str, str]) -> tuple[float, float, str]:
    """Spawn the driver; (spawn time, exit time, stderr), on the monotonic clock the driver also reads."""
    spawned = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=dict(env))
    exited = time.monotonic()
    if result.returncode != 0:
        raise RuntimeError(f"{command[3:]} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return spawned, exited, result.stderr


def start_times(command: list[str], env: Mapping[str, str]) -> StartTimes:
    """One timed start: the driver's BENCH-POOL line against the spawn time."""
    spawned, exited, stderr = run_driver(command, env)
    line = next(line for line in stderr.splitlines() if line.startswith("BENCH-POOL "))
    _, asked, ready, method = line.split()
    return StartTimes(float(asked) - spawned, float(ready) - spawned, exited - spawned, method)


def parse_importtime(stderr: str) -> list[ImportRecord]:
    """The `-X importtime` records in the order Python printed them (children before parents)."""
    records = []
    for line in stderr.splitlines():
        match = IMPORTTIME_LINE.match(line)
        if match:
            self_us, cumulative, indent, name = match.groups()
            records.append(ImportRecord(name, len(indent) // 2, int(self_us), int(cumulative)))
    return records


def package_cost(records: list[ImportRecord], package: str) -> int:
    """Microseconds of every import subtree rooted in `package` (its modules and what they pulled in)."""
    total, ancestors = 0, []
    for record in reversed(records):  # parents now come before their children
        del ancestors[record.depth :]
        if _inside(record.name, package) and not any(_inside(a, package) for a in ancestors):
            total += record.cumulative_us
        ancestors.append(record.name)
    return total


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def who_imports(stderr: str) -> dict[str, list[tuple[str, int, str]]]:
    """For each watched module its first importing stack, innermost frame last."""
    found = {}
    for line in stderr.splitlines():
        if line.startswith("BENCH-WHO "):
            record = json.loads(line.removeprefix("BENCH-WHO "))
            found[record["module"]] = [tuple(frame) for frame in record["frames"]]
    return found


def _short(filename: str) -> str:
    for marker in ("site-packages/", f"{REPO_ROOT}/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.rsplit("/", 1)[-1]


def _import_path(frames: list[tuple[str, int, str]]) -> str:
    """The project's frames that led to an import, then the frame that imported (innermost)."""
    project = [f for f in frames if f[0].startswith(str(REPO_ROOT)) and "/.venv/" not in f[0]]
    shown = project[-3:] if project else []
    if frames and frames[-1] not in shown:
        shown.append(frames[-1])
    return " -> ".join(f"{_short(name)}:{line} {function}" for name, line, function in shown)


def print_imports(label: str, entry: str, scratch: Path) -> None:
    """Heaviest imports and who imports the watched modules, for one entry point run with 1 worker."""
    command, env = entry_command(entry, fresh_dir(scratch, "imports"), workers=1)
    env["BENCH_WATCH"] = ",".join(WATCHED)
    _, _, stderr = run_driver([command[0], "-X", "importtime", *command[1:]], env)
    records = parse_importtime(stderr)
    print(f"\n{label} (1 worker, -X importtime): {len(records)} modules, {sum(r.self_us for r in records) / 1e6:.2f} s")
    roots = sorted((r for r in records if r.depth == 0), key=lambda r: -r.cumulative_us)[:TOP]
    print(
        "  heaviest top-level imports (cumulative ms): "
        + ", ".join(f"{r.name} {r.cumulative_us / 1e3:.0f}" for r in roots)
    )
    heaviest = sorted(records, key=lambda r: -r.self_us)[:TOP]
    print("  heaviest modules (self ms): " + ", ".join(f"{r.name} {r.self_us / 1e3:.0f}" for r in heaviest))
    stacks = who_imports(stderr)
    for name in WATCHED:
        if name not in stacks:
            print(f"  {name:<9} not imported")
            continue
        cost = package_cost(records, name) / 1e3
        print(f"  {name:<9} {cost:5.0f} ms  {_import_path(stacks[name])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="startup-") as folder:
        scratch = Path(folder)
        cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached_env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
        runs: dict[str, tuple[list[str], dict[str, str]]] = {
            "retail-datagen generate": entry_command("cli", scratch / "cli", 2),
            "  same, warm .pyc cache": (entry_command("cli", scratch / "cached", 2)[0], cached_env),
            "templates/generate_data.py": entry_command("template", scratch / "template", 2),
        }
        timed_run(*runs["  same, warm .pyc cache"])  # fills the bytecode cache
        details: dict[str, list[StartTimes]] = {name: [] for name in runs}

        def start_case(name: str) -> Callable[[], float]:
            def once() -> float:
                command, env = runs[name]
                fresh_dir(scratch, name.strip())
                details[name].append(start_times(command, env))
                return details[name][-1].exit

            return once

        cases: dict[str, Callable[[], float]] = {
            "python -c pass": lambda: timed_run([sys.executable, "-c", "pass"]),
            "import numpy, pyarrow.parquet": lambda: timed_run([sys.executable, "-c", "import pyarrow.parquet"]),
        }
        cases.update({name: start_case(name) for name in runs})
        times = interleaved(cases, args.rounds)

        print(f"\nprocess start, small/1 day, 2 workers; seconds from spawn, medians of {args.rounds} rounds")
        print(f"{'':<32}{'pool asked':>11}{'pool ready':>11}{'exit':>8}  start method")
        for name in ("python -c pass", "import numpy, pyarrow.parquet"):
            print(f"{name:<32}{'':>22}{median(times[name]):>8.3f}")
        for name, starts in details.items():
            asked, ready = median([s.asked for s in starts]), median([s.ready for s in starts])
            methods = ",".join(sorted({s.method for s in starts}))
            print(f"{name:<32}{asked:>11.3f}{ready:>11.3f}{median(times[name]):>8.3f}  {methods}")
        ready = median([s.ready for s in details["retail-datagen generate"]])
        print(against_target("generate path, imports and pool start", ready, TARGET_START_SECONDS, False, unit=" s"))

        print_imports("retail-datagen generate", "cli", scratch)
        print_imports("templates/generate_data.py", "template", scratch)


if __name__ == "__main__":
    main()
