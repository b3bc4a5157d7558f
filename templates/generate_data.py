#!/usr/bin/env python3
"""Generate the retail dataset as Parquet: the retail-datagen script contract.

Environment:
  SCALE_FACTOR  multiplies the preset's volumes (default 1.0)
  OUTPUT_PATH   folder that receives <table>/part-NNNNN.parquet and _manifest.json (default ./data)
  SCALE         small | medium | large (default small)
  DAYS          days of order history, 1..365 (default 14)
  SEED          random seed, same seed same bytes (default 42)
  END_DATE      last day of the window, YYYY-MM-DD (default 2025-12-31)
  CUSTOMER_HISTORY  true to also write customers_history, every version of every customer
  MODE          overwrite (default) | incremental: append the days after the dataset's last day
                up to END_DATE (or DAYS more) | merge: bring the dataset to these settings; both take
                unset settings from the dataset in OUTPUT_PATH and write its change feed to _changes/
  WORKERS       worker processes (default: CPU cores; never changes the output)

Progress and errors go to stderr; the row counts per table go to stdout; the exit code is 0 on
success, 2 for a bad setting and 1 for any other failure. Edit freely: this file is yours.
"""

from __future__ import annotations

import os
import sys

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


def setting(name: str, default: str | None = None) -> str | None:
    """An environment setting, stripped; the default when unset or empty."""
    value = (os.environ.get(name) or "").strip()
    return value or default


def main() -> int:
    load_generator()
    try:
        from generator import rules
        from generator.errors import GenerationError, RevisionRefused
        from generator.runner import run
        from generator.spec import DatasetSpec
    except ImportError as exc:
        print(
            f"error: cannot import the retail-datagen generator ({exc}); install the project "
            "(pip install retail-datagen) or use the portable script (retail-datagen portable-script).",
            file=sys.stderr,
        )
        return 1

    output_path = setting("OUTPUT_PATH", "./data")
    try:
        names = ("scale", "scale_factor", "days", "seed", "end_date", "customer_history")
        values = {name: value for name in names if (value := setting(name.upper())) is not None}
        spec = DatasetSpec.parse(**values)
        options = {
            name: (rule, value)
            for name, rule in (("workers", rules.WORKERS), ("mode", rules.MODE))
            if (value := setting(name.upper())) is not None
        }
        checked = rules.check_all(**options)
    except rules.RuleErrors as exc:  # named as the environment variables that were set
        refused = "; ".join(f"{e.field.upper()}={rules.shown(e.value)}: {e.detail}" for e in exc.errors)
        print(f"error: {refused}", file=sys.stderr)
        return 2

    def report(event: object) -> None:
        print(f"progress: {event.message}", file=sys.stderr, flush=True)  # type: ignore[attr-defined]

    try:
        manifest = run(
            spec,
            output_path,
            fmt="parquet",
            overwrite=True,
            workers=checked.get("workers"),
            progress=report,
            mode=checked.get("mode", "overwrite"),
            given=set(values),
        )
    except RevisionRefused as exc:  # the settings do not fit the dataset already in OUTPUT_PATH
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for table, info in manifest.tables.items():
        print(f"{table:<22}{info.rows:>12,} rows  {len(info.files)} file(s)")
    print(f"wrote {manifest.total_rows:,} rows to {output_path} in {manifest.duration_sec:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
