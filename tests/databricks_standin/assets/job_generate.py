"""Stand-in for the bundle's generation job: parses the pipeline CLI and writes a file per table."""

import argparse
import json
import os
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--catalog", required=True)
parser.add_argument("--schema", required=True)
parser.add_argument("--scale", choices=["small", "medium", "large"], default="small")
parser.add_argument("--days", type=int, default=14)
parser.add_argument("--overwrite", choices=["true", "false"], default="true")
parser.add_argument("--seed", type=int, default=42)
args = parser.parse_args()

root = Path(os.environ.get("STANDIN_VOLUMES_ROOT", "/Volumes"))
out = root / args.catalog / args.schema / "data" / "job_output"
out.mkdir(parents=True, exist_ok=True)
for table in ("stores", "orders"):
    (out / f"{table}.json").write_text(json.dumps({"table": table, **vars(args)}), encoding="utf-8")
print(f"generated {args.scale} data for {args.days} days into {args.catalog}.{args.schema}")
