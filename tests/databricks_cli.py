"""A stand-in for the Databricks CLI, for running the bundle's deploy.sh (the real CLI cannot be
installed here): a `databricks` script put first on PATH that logs its arguments and answers
`bundle deploy`, `bundle summary`, `jobs list`, `jobs get` and `jobs run-now` in the real JSON shapes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

JOB_KEY = "retail_data_generation"


def fake_cli(folder: Path, summary: dict[str, Any]) -> dict[str, str]:
    """Write the stand-in into `folder` (created) and return an environment that finds it first.

    `summary` is what `databricks bundle summary -o json` prints; `jobs list` knows the development-mode
    copies of the job (id 77) and of its classic target's job (id 78); the deployed parameters of job 77
    start with `--catalog c9`.
    """
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    jobs = [
        {"job_id": 77, "settings": {"name": f"[dev someone] {JOB_KEY}"}},
        {"job_id": 78, "settings": {"name": f"[dev someone] {JOB_KEY}_classic"}},
    ]
    settings = {"job_id": 77, "settings": {"tasks": [{"spark_python_task": {"parameters": ["--catalog", "c9"]}}]}}
    script = folder / "databricks"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "$*" >> "{folder / "calls.log"}"\n'
        'case "$1 $2" in\n'
        '  "bundle deploy") echo "Deployment complete!" ;;\n'
        f'  "bundle summary") cat "{folder / "summary.json"}" ;;\n'
        f"  \"jobs list\") echo '{json.dumps(jobs)}' ;;\n"
        f"  \"jobs get\") echo '{json.dumps(settings)}' ;;\n"
        '  "jobs run-now") echo \'{"run_id": 1}\' ;;\n'
        "esac\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def run_now_request(folder: Path) -> tuple[list[str], dict[str, Any]]:
    """Every CLI call the stand-in in `folder` logged, and the JSON that `jobs run-now --json` got."""
    calls = (folder / "calls.log").read_text(encoding="utf-8").splitlines()
    (run_now,) = [c for c in calls if c.startswith("jobs run-now --json ")]
    return calls, json.loads(run_now[len("jobs run-now --json ") :])
