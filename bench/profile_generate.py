"""Where the time of `retail-datagen generate --scale large --days 14 --workers 1` goes, under cProfile.

The CLI's `main` runs in a fresh process under cProfile (1 worker, so every chunk runs in the profiled
process), timed in CPU seconds (`time.process_time`), which other processes on a busy machine do not
inflate as they do wall time. Printed: the top functions by own time with their share of the run;
the cumulative share of the simulation's steps (generator/activity/), of the other builders, of
the writers and of imports; and for each simulation step what it calls directly, with the cumulative
seconds of the calls from that step. Numpy arithmetic (a + b, a[mask]) is no function call for
cProfile: it counts as the own time of the Python function doing it. Profiling inflates Python-heavy
code such as imports (bench/startup.py measures those unprofiled).

`--lines` adds a line-by-line profile (line_profiler, wall time, installed from PyPI when missing) of
the simulation's steps over every activity chunk, built in this process: the lines that take at
least `--min-share` of their function.

    python bench/profile_generate.py [--days 14] [--top 25] [--save profile.out] [--lines]
"""

from __future__ import annotations

import argparse
import importlib.util
import linecache
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import REPO_ROOT

Function = tuple[str, int, str]  # pstats' key: file, line, name

DEMAND, STOCK, ROWS = "generator/activity/demand.py", "generator/activity/stock.py", "generator/activity/rows.py"
#: Steps whose cumulative share is printed: (label, file suffix, function name).
STEPS = [
    ("activity: StoreGroupSimulation.__init__", STOCK, "__init__"),
    ("activity: StoreGroupSimulation.run (all of it)", STOCK, "run"),
    ("activity:   StoreGroupDemand.block (demand)", DEMAND, "block"),
    ("activity:     _orders (a block's orders)", DEMAND, "_orders"),
    ("activity:       _customers", DEMAND, "_customers"),
    ("activity:     _lines (per day)", DEMAND, "_lines"),
    ("activity:   _day (stock, per day)", STOCK, "_day"),
    ("activity:   served_orders", ROWS, "served_orders"),
    ("activity:   snapshot_table", ROWS, "snapshot_table"),
    ("activity:   activity_table", ROWS, "activity_table"),
    ("customers: build_customers", "generator/customers.py", "build_customers"),
    ("products: build_products", "generator/products.py", "build_products"),
    ("promotions: build_promotions", "generator/promotions.py", "build_promotions"),
    ("stores: build_stores", "generator/stores.py", "build_stores"),
    ("writers: write (pyarrow write_table)", "generator/writers.py", "write"),
    ("writers: close", "generator/writers.py", "close"),
    ("imports (importlib _find_and_load)", "<frozen importlib._bootstrap>", "_find_and_load"),
]
#: Simulation steps whose direct calls are broken down: (file suffix, function name).
BREAKDOWN = [
    (STOCK, "run"),
    (DEMAND, "block"),
    (DEMAND, "_orders"),
    (DEMAND, "_customers"),
    (DEMAND, "_lines"),
    (STOCK, "_day"),
    (ROWS, "served_orders"),
    (ROWS, "snapshot_table"),
]


def label(function: Function) -> str:
    """file:line(name), the file relative to the repository or site-packages."""
    filename, line, name = function
    for marker in ("site-packages/", f"{REPO_ROOT}/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    return f"{filename}:{line}({name})" if line else name


PROFILED = """
import cProfile, sys, time
profiler = cProfile.Profile(time.process_time)
profiler.enable()
from generator.cli import main
code = main(sys.argv[2:])
profiler.disable()
profiler.dump_stats(sys.argv[1])
sys.exit(code)
"""


def profile(days: int, output: Path) -> None:
    """Run the CLI under cProfile into `output`."""
    with tempfile.TemporaryDirectory(prefix="profile-") as folder:
        args = ["generate", "--scale=large", f"--days={days}", "--workers=1", f"--output-dir={Path(folder) / 'out'}"]
        subprocess.run([sys.executable, "-c", PROFILED, str(output), *args], check=True, capture_output=True)


def line_profile(days: int, min_share: float) -> None:
    """Line-by-line wall time of the simulation's steps over every activity chunk of large/`days`."""
    if importlib.util.find_spec("line_profiler") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "line_profiler"], check=True)
    from line_profiler import LineProfiler

    from generator.activity import rows
    from generator.activity.demand import StoreGroupDemand
    from generator.activity.stock import StoreGroupSimulation
    from generator.chunks import build_chunk
    from generator.plan import plan
    from generator.spec import DatasetSpec

    spec = DatasetSpec(scale="large", days=days)
    profiler = LineProfiler(
        StoreGroupSimulation.__init__,
        StoreGroupSimulation._day,
        StoreGroupDemand.block,
        StoreGroupDemand._orders,
        StoreGroupDemand._customers,
        StoreGroupDemand._lines,
        rows.served_orders,
        rows.snapshot_table,
    )
    profiler.enable_by_count()
    for chunk in plan(spec):
        if chunk.kind == "activity":
            for _ in build_chunk(chunk, spec):
                pass
    profiler.disable_by_count()
    stats = profiler.get_stats()
    print(f"\nline by line (wall ms, all activity chunks of large/{days} in one process; lines >= {min_share:.0%})")
    for (filename, _, name), lines in stats.timings.items():
        total = sum(t for _, _, t in lines) * stats.unit
        print(f"  {name}: {total * 1e3:.0f} ms")
        for line, hits, ticks in lines:
            seconds = ticks * stats.unit
            if seconds >= min_share * total:
                code = linecache.getline(filename, line).strip()[:90]
                print(f"    {line:>4}{seconds * 1e3:>8.0f} ms{seconds / total:>6.0%}{hits:>6}x  {code}")


def find(stats: dict[Function, tuple], suffix: str, name: str) -> list[Function]:
    """Functions of that name in files ending with `suffix` (several for a name defined twice)."""
    return [f for f in stats if f[0].endswith(suffix) and f[2] == name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", type=Path, help="keep the cProfile output here")
    parser.add_argument("--lines", action="store_true", help="also profile the simulation line by line")
    parser.add_argument("--min-share", type=float, default=0.03, help="with --lines: smallest share shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profile-stats-") as folder:
        output = Path(folder) / "profile.out"
        profile(args.days, output)
        if args.save:
            shutil.copy(output, args.save)
        stats = pstats.Stats(str(output))
    raw: dict[Function, tuple] = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"large/{args.days} days, 1 worker, under cProfile: {total:.2f} CPU s profiled")

    print(f"\ntop {args.top} functions by own time")
    print(f"{'own s':>7}{'share':>7}{'cum s':>8}{'calls':>10}  function")
    for function, (_, calls, own, cumulative, _) in sorted(raw.items(), key=lambda kv: -kv[1][2])[: args.top]:
        print(f"{own:>7.2f}{own / total:>7.1%}{cumulative:>8.2f}{calls:>10,}  {label(function)}")

    print("\nsteps, cumulative (nested steps are inside their parent's figure)")
    for text, suffix, name in STEPS:
        cumulative = sum(raw[f][3] for f in find(raw, suffix, name))
        own = sum(raw[f][2] for f in find(raw, suffix, name))
        print(f"{cumulative:>7.2f} s {cumulative / total:>6.1%}  (own {own:5.2f} s)  {text}")

    print("\nsimulation steps: own s, then what each calls directly (cumulative s of the calls from that step)")
    for suffix, name in BREAKDOWN:
        for caller in find(raw, suffix, name):
            called = sorted(
                ((callers[caller][3], callee) for callee, (*_, callers) in raw.items() if caller in callers),
                reverse=True,
            )
            parts = ", ".join(f"{callee[2]} {seconds:.2f}" for seconds, callee in called[:7])
            print(f"  {name:<18} own {raw[caller][2]:5.2f}; {parts}")
    if args.lines:
        line_profile(args.days, args.min_share)


if __name__ == "__main__":
    main()
