#!/usr/bin/env python3
"""Generate the retail dataset as Parquet: the retail-datagen script contract.

Environment:
  SCALE_FACTOR  multiplies the preset's volumes (default 1.0)
  OUTPUT_PATH   folder that receives <table>/part-NNNNN.parquet and _manifest.json (default ./data)
  SCALE         small | medium | large (default small)
  DAYS          days of order history, 1..365 (default 14)
  SEED          random seed, same seed same bytes (default 42)
  END_DATE      last day of the window, YYYY-MM-DD (default 2025-12-31)
  WORKERS       worker processes (default: CPU cores; never changes the output)

Progress and errors go to stderr; the row counts per table go to stdout; the exit code is 0 on
success, 2 for a bad setting and 1 for any other failure. Edit freely: this file is yours.
"""

from __future__ import annotations

import os
import sys
from datetime import date

# The portable build (for a cluster without retail-datagen installed) puts the generator
# package here as a base64 zip; the plain template imports the installed package.
EMBEDDED_GENERATOR: str | None = None


def load_generator() -> None:
    """Make `import generator` work: from the embedded copy when there is one, else installed."""
    if EMBEDDED_GENERATOR is None:
        return
    import base64
    import io
    import tempfile
    import zipfile

    target = tempfile.mkdtemp(prefix="retail_datagen_")
    zipfile.ZipFile(io.BytesIO(base64.b64decode(EMBEDDED_GENERATOR))).extractall(target)
    sys.path.insert(0, target)
    for name in [m for m in sys.modules if m == "generator" or m.startswith("generator.")]:
        del sys.modules[name]  # a different "generator" imported earlier must not shadow ours


def setting(name: str, default: str) -> str:
    """An environment setting, stripped; the default when unset or empty."""
    return (os.environ.get(name) or default).strip()


def main() -> int:
    load_generator()
    try:
        from generator.errors import GenerationError
        from generator.runner import run
        from generator.spec import DatasetSpec
    except ImportError as exc:
        print(
            f"error: cannot import the retail-datagen generator ({exc}); install the project "
            "(pip install -e <checkout>) or use the portable script (retail-datagen portable-script).",
            file=sys.stderr,
        )
        return 1

    output_path = setting("OUTPUT_PATH", "./data")
    try:
        spec = DatasetSpec(
            scale=setting("SCALE", "small").lower(),
            scale_factor=_number("SCALE_FACTOR", "1.0", float),
            days=_number("DAYS", "14", int),
            seed=_number("SEED", "42", int),
            end_date=_date("END_DATE", "2025-12-31"),
        )
        workers = _number("WORKERS", "0", int) or None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def report(event: object) -> None:
        print(f"progress: {event.message}", file=sys.stderr, flush=True)  # type: ignore[attr-defined]

    try:
        manifest = run(spec, output_path, fmt="parquet", overwrite=True, workers=workers, progress=report)
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for table, info in manifest["tables"].items():
        print(f"{table:<22}{info['rows']:>12,} rows  {len(info['files'])} file(s)")
    print(f"wrote {manifest['total_rows']:,} rows to {output_path} in {manifest['duration_sec']:.1f} s")
    return 0


def _number(name: str, default: str, kind: type) -> int | float:
    raw = setting(name, default)
    try:
        return kind(raw)
    except ValueError:
        accepted = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name}={raw!r}: must be {accepted}") from None


def _date(name: str, default: str) -> date:
    raw = setting(name, default)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: must be a date as YYYY-MM-DD") from None


if __name__ == "__main__":
    sys.exit(main())
