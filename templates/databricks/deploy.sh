#!/usr/bin/env bash
# Deploy the retail-datagen bundle and run its data generation job.
#
#   ./deploy.sh [target] [scale] [days] [overwrite] [seed] [scale_factor]
#
#   target        dev | prod | classic            (default dev; classic runs on a job cluster)
#   scale         small | medium | large          (default small)
#   days          days of order history, 1..365   (default 14)
#   overwrite     true | false                    (default true)
#   seed          random seed                     (default 42)
#   scale_factor  multiplies the scale's volumes  (default 1.0)
#
# Needs a current Databricks CLI (with `bundle`) authenticated to the workspace, and the python3
# of this project's environment (it builds the core wheel and reads the CLI's JSON). Extra
# catalog/schema settings go in databricks.yml or as BUNDLE_VAR_catalog / BUNDLE_VAR_schema.
set -euo pipefail

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
}

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    usage
    exit 0
fi
if [[ $# -gt 6 ]]; then
    echo "error: too many arguments" >&2
    usage >&2
    exit 2
fi

TARGET="${1:-dev}"
SCALE="${2:-small}"
DAYS="${3:-14}"
OVERWRITE="${4:-true}"
SEED="${5:-42}"
SCALE_FACTOR="${6:-1.0}"
JOB_KEY="retail_data_generation"

case "$TARGET" in dev|prod|classic) ;; *) echo "error: target '$TARGET': use dev, prod or classic" >&2; exit 2 ;; esac
# The job's name in the workspace: the classic target names its copy apart, so both can be deployed.
JOB_NAME="$JOB_KEY"
if [[ "$TARGET" == "classic" ]]; then JOB_NAME="${JOB_KEY}_classic"; fi
case "$SCALE" in small|medium|large) ;; *) echo "error: scale '$SCALE': use small, medium or large" >&2; exit 2 ;; esac
case "$OVERWRITE" in true|false) ;; *) echo "error: overwrite '$OVERWRITE': use true or false" >&2; exit 2 ;; esac
if ! [[ "$DAYS" =~ ^[0-9]+$ ]] || (( DAYS < 1 || DAYS > 365 )); then
    echo "error: days '$DAYS': use a whole number from 1 to 365" >&2
    exit 2
fi
if ! [[ "$SEED" =~ ^[0-9]+$ ]]; then
    echo "error: seed '$SEED': use a whole number >= 0" >&2
    exit 2
fi
if ! [[ "$SCALE_FACTOR" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    echo "error: scale_factor '$SCALE_FACTOR': use a positive number such as 0.5 or 10" >&2
    exit 2
fi

if ! command -v databricks >/dev/null 2>&1; then
    echo "error: the Databricks CLI is not installed; see https://docs.databricks.com/dev-tools/cli/install.html" >&2
    exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "error: python3 is required (it builds the core wheel and reads the CLI's JSON)" >&2
    exit 1
fi

# 1. The bundle root is this script's folder.
cd "$(dirname "${BASH_SOURCE[0]}")"

# 2. Deploy (builds the core wheel, uploads it with the job script, creates or updates the job).
rm -f ../../dist/retail_datagen*.whl  # one wheel only: the job installs every dist/*.whl
echo "deploying bundle to target '$TARGET'..."
databricks bundle deploy -t "$TARGET"

# 3. Find the job id and its deployed parameters (catalog and schema as resolved for the target).
SUMMARY="$(databricks bundle summary -t "$TARGET" -o json)"
summary_field() {  # $1 = id | params
    FIELD="$1" JOB_KEY="$JOB_KEY" python3 -c '
import json, os, sys
job = json.load(sys.stdin).get("resources", {}).get("jobs", {}).get(os.environ["JOB_KEY"], {})
params = []
for task in job.get("tasks", []):
    params = (task.get("spark_python_task") or {}).get("parameters") or params
print(job.get("id", "") if os.environ["FIELD"] == "id" else json.dumps(params))
' <<<"$SUMMARY"
}
JOB_ID="$(summary_field id)"
BASE_PARAMS="$(summary_field params)"

if [[ -z "${JOB_ID:-}" ]]; then
    # Fallback: look the job up by name; development mode prefixes it with "[dev <user>] ".
    JOB_ID="$(databricks jobs list -o json | JOB_NAME="$JOB_NAME" TARGET="$TARGET" python3 -c '
import json, os, sys
data = json.load(sys.stdin)
jobs = data.get("jobs", data) if isinstance(data, dict) else data
name = os.environ["JOB_NAME"]
def matches(job_name):
    if os.environ["TARGET"] != "prod":
        return job_name.startswith("[dev ") and job_name.endswith("] " + name)
    return job_name == name
ids = [str(j["job_id"]) for j in jobs if matches(j.get("settings", {}).get("name", ""))]
print(ids[0] if len(ids) == 1 else "")
')"
fi
if [[ -z "${JOB_ID:-}" ]]; then
    echo "error: could not find the deployed job '$JOB_NAME' for target '$TARGET'" >&2
    exit 1
fi

if [[ "${BASE_PARAMS:-[]}" == "[]" ]]; then
    # The summary had no parameters: read them from the deployed job itself.
    BASE_PARAMS="$(databricks jobs get "$JOB_ID" -o json | python3 -c '
import json, sys
params = []
for task in json.load(sys.stdin).get("settings", {}).get("tasks", []):
    params = (task.get("spark_python_task") or {}).get("parameters") or params
print(json.dumps(params))
')"
fi

# 4. Run it: python_params replace the task's parameters, so keep the deployed catalog and schema
#    and set the rest from this script's arguments.
REQUEST="$(JOB_ID="$JOB_ID" BASE_PARAMS="${BASE_PARAMS:-[]}" SCALE="$SCALE" DAYS="$DAYS" \
    OVERWRITE="$OVERWRITE" SEED="$SEED" SCALE_FACTOR="$SCALE_FACTOR" python3 -c '
import json, os
base = json.loads(os.environ["BASE_PARAMS"] or "[]")
values = dict(zip(base[0::2], base[1::2]))
values.setdefault("--catalog", "main")
values.setdefault("--schema", "retail_demo")
values.update({"--scale": os.environ["SCALE"], "--days": os.environ["DAYS"], "--overwrite": os.environ["OVERWRITE"],
               "--seed": os.environ["SEED"], "--scale-factor": os.environ["SCALE_FACTOR"]})
params = [item for pair in values.items() for item in pair]
print(json.dumps({"job_id": int(os.environ["JOB_ID"]), "python_params": params}))
')"

echo "running job $JOB_ID: scale=$SCALE days=$DAYS overwrite=$OVERWRITE seed=$SEED scale_factor=$SCALE_FACTOR"
# --json works with every version of the Go CLI (older ones have no --python-params flag).
databricks jobs run-now --json "$REQUEST"
