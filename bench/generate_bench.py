"""Speed and memory of the local generator: rows/s, wall time and peak memory per worker.

Each case runs in a fresh process (so peak memory is that run's own), writing to a temporary
folder; a naive per-row reference (bench/naive_reference.py) is timed on the same parameters
to print the speed-up. Targets on a 2-core machine: large/14 days Parquet <= 4 s, large/365 days
<= 60 s, peak memory < 300 MB per worker whatever `days` is.

    python bench/generate_bench.py            # all cases
    python bench/generate_bench.py --quick    # skip large/365 and the naive large run
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CASES = [
    ("large", 14, "parquet"),
    ("large", 365, "parquet"),
    ("medium", 14, "parquet"),
    ("medium", 14, "csv"),
    ("medium", 14, "delta"),
]

RUN_ONE = """
import json, resource, sys, time
from generator.config import GenerateOptions
from generator.runner import generate
scale, days, fmt, out, workers = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
started = time.perf_counter()
manifest = generate(GenerateOptions(scale=scale, days=days, format=fmt, output_dir=out, workers=workers))
wall = time.perf_counter() - started
peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
print(json.dumps({"rows": manifest.total_rows, "wall": wall, "peak_mb": peak / 1024, "bytes": manifest.total_bytes}))
"""

RUN_NAIVE = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from naive_reference import generate_naive
from generator.spec import DatasetSpec
started = time.perf_counter()
rows = generate_naive(DatasetSpec(scale=sys.argv[1], days=int(sys.argv[2])), Path(sys.argv[3]))
print(json.dumps({"rows": rows, "wall": time.perf_counter() - started}))
"""


def run(code: str, *args: str) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(f"{'case':<24}{'rows':>14}{'wall s':>9}{'rows/s':>13}{'MB':>9}{'peak MB/worker':>16}")
    for scale, days, fmt in CASES:
        if args.quick and days == 365:
            continue
        with tempfile.TemporaryDirectory() as folder:
            figures = run(RUN_ONE, scale, str(days), fmt, str(Path(folder) / "out"), str(args.workers))
        label = f"{scale}/{days}d {fmt}"
        print(
            f"{label:<24}{figures['rows']:>14,}{figures['wall']:>9.2f}{figures['rows'] / figures['wall']:>13,.0f}"
            f"{figures['bytes'] / 1e6:>9.1f}{figures['peak_mb']:>16.0f}"
        )
    print("\nnaive per-row reference (same parameters, one process):")
    for scale in ("medium",) if args.quick else ("medium", "large"):
        with tempfile.TemporaryDirectory() as folder:
            fast = run(RUN_ONE, scale, "14", "parquet", str(Path(folder) / "fast"), str(args.workers))
            naive = run(RUN_NAIVE, scale, "14", str(Path(folder) / "naive"), str(Path(__file__).parent))
        naive_rate = naive["rows"] / naive["wall"]
        print(
            f"{scale}/14d: naive {naive['rows']:,} rows in {naive['wall']:.1f} s ({naive_rate:,.0f} rows/s); "
            f"retail-datagen {fast['rows'] / fast['wall']:,.0f} rows/s: {naive['wall'] / fast['wall']:.1f}x faster"
        )


if __name__ == "__main__":
    main()
