"""The Databricks bundle under templates/databricks, checked without the Databricks CLI (it cannot be
installed here): the YAML parses, every path it names exists where the bundle resolves it, the job's
parameters match the job script and the pipeline's table, deploy.sh runs its flow against a stand-in
CLI, and the job script itself writes the seven tables as Delta on a local Spark session."""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from deltalake import DeltaTable
from spark_session import submit_args

from generator.runner import run
from generator.schema import TABLE_NAMES
from generator.spark.target import STATE_TABLE
from generator.spec import DatasetSpec
from tests.databricks_cli import JOB_KEY, fake_cli, run_now_request

PROJECT = Path(__file__).resolve().parents[2]
BUNDLE = PROJECT / "templates" / "databricks"
BUNDLE_FILE = BUNDLE / "databricks.yml"
JOB_SCRIPT = BUNDLE / "src" / "generate_data_job.py"
DEPLOY = BUNDLE / "deploy.sh"
#: The pipeline contract's parameter table (seeds/data_generation_pipeline.md).
PIPELINE_DEFAULTS = {"scale": "small", "days": "14", "overwrite": "true", "seed": "42"}


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return _load(BUNDLE_FILE)


@pytest.fixture(scope="module")
def resource_files(bundle: dict[str, Any]) -> list[Path]:
    files = [Path(p) for pattern in bundle["include"] for p in sorted(glob.glob(str(BUNDLE / pattern)))]
    assert files, "include matches no resource file"
    return files


@pytest.fixture(scope="module")
def job(resource_files: list[Path]) -> tuple[Path, dict[str, Any]]:
    """The data generation job and the file that defines it (its paths are relative to that file)."""
    for path in resource_files:
        jobs = _load(path).get("resources", {}).get("jobs", {})
        if JOB_KEY in jobs:
            return path, jobs[JOB_KEY]
    raise AssertionError(f"no resource file defines jobs.{JOB_KEY}")


@pytest.fixture(scope="module")
def job_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_data_job", JOB_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _task(job: dict[str, Any]) -> dict[str, Any]:
    (task,) = job["tasks"]
    return task


def _flag_pairs(parameters: list[str]) -> dict[str, str]:
    assert len(parameters) % 2 == 0, parameters
    pairs = dict(zip(parameters[0::2], parameters[1::2], strict=True))
    assert all(flag.startswith("--") for flag in pairs), parameters
    return pairs


def _resolve_vars(value: str, bundle: dict[str, Any]) -> str:
    return re.sub(r"\$\{var\.(\w+)\}", lambda m: str(bundle["variables"][m.group(1)]["default"]), value)


def _artifact_dist(bundle: dict[str, Any]) -> Path:
    (artifact,) = bundle["artifacts"].values()
    return (BUNDLE / artifact["path"]).resolve() / "dist"


def _merged_job(bundle: dict[str, Any], base: dict[str, Any], target: str) -> dict[str, Any]:
    """The job as the bundle deploys it for ``target``: the target's fields over the base job's, tasks
    merged by task_key (as the Databricks CLI merges target overrides)."""
    override = bundle["targets"][target].get("resources", {}).get("jobs", {}).get(JOB_KEY, {})
    merged = {**base, **{k: v for k, v in override.items() if k != "tasks"}}
    tasks = {task["task_key"]: dict(task) for task in base["tasks"]}
    for task in override.get("tasks", []):
        tasks[task["task_key"]] = {**tasks.get(task["task_key"], {}), **task}
    merged["tasks"] = list(tasks.values())
    return merged


# --- The YAML ----------------------------------------------------------------------------------


def test_bundle_basics(bundle: dict[str, Any]) -> None:
    assert bundle["bundle"]["name"]
    assert bundle["include"] == ["resources/*.yml"]
    assert bundle["variables"]["catalog"]["default"] == "main"
    assert bundle["variables"]["schema"]["default"] == "retail_demo"


def test_the_targets_exist(bundle: dict[str, Any]) -> None:
    targets = bundle["targets"]
    assert targets["dev"]["mode"] == "development"
    assert targets["dev"]["default"] is True
    assert targets["prod"]["mode"] == "production"
    assert targets["classic"]["mode"] == "development"


def test_the_artifact_is_the_slim_core_wheel(bundle: dict[str, Any], tmp_path: Path) -> None:
    """The build command really builds a wheel of the generator package that needs only numpy and pyarrow,
    unpinned, so that installing it replaces none of the runtime's libraries."""
    import zipfile

    (artifact,) = bundle["artifacts"].values()
    assert artifact["type"] == "whl"
    root = (BUNDLE / artifact["path"]).resolve()
    assert root == PROJECT and (root / "pyproject.toml").is_file()
    command = artifact["build"].split()
    assert command[:3] == ["python3", "-m", "server.adapters.databricks.core_wheel"]
    assert command[3:] == ["--wheel-dir", "dist"]
    subprocess.run([sys.executable, *command[1:4], str(tmp_path)], cwd=root, check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.startswith("retail_datagen_core-0.1.0+g") and wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert {n.split("/")[0] for n in names} - {"generator"} == {wheel.name.rsplit("-", 3)[0] + ".dist-info"}
    assert "generator/name_pools.json" in names and "generator/spark/run.py" in names  # no Faker needed
    requires = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
    assert requires == ["numpy", "pyarrow"]


@pytest.mark.parametrize("target", ["dev", "prod", "classic"])
def test_every_target_gives_the_task_exactly_one_compute_and_the_wheel(
    bundle: dict[str, Any], job: tuple[Path, dict[str, Any]], target: str
) -> None:
    _, base = job
    merged = _merged_job(bundle, base, target)
    task = _task(merged)
    computes = [key for key in ("environment_key", "job_cluster_key", "existing_cluster_id") if key in task]
    assert len(computes) == 1, (target, computes)
    dist = _artifact_dist(bundle)
    if target == "classic":
        (cluster,) = merged["job_clusters"]
        assert task["job_cluster_key"] == cluster["job_cluster_key"] and "environments" not in merged
        new = cluster["new_cluster"]
        assert re.fullmatch(r"\d+\.\d+\.x-scala2\.1[23]", new["spark_version"])
        assert 1 <= new["autoscale"]["min_workers"] <= new["autoscale"]["max_workers"] <= 8
        assert new["node_type_id"] == "${var.node_type_id}"
        assert merged["name"] == f"{JOB_KEY}_classic"  # deployable beside dev: trigger_bundle_job finds it by name
        (library,) = task["libraries"]
        wheel_glob = (BUNDLE / library["whl"]).resolve()
    else:
        (environment,) = merged["environments"]
        assert task["environment_key"] == environment["environment_key"] and "libraries" not in task
        assert "job_clusters" not in merged and merged["name"] == JOB_KEY
        spec = environment["spec"]
        assert _resolve_vars(str(spec["environment_version"]), bundle).isdigit()
        (dependency,) = spec["dependencies"]
        wheel_glob = (BUNDLE / dependency).resolve()
    assert wheel_glob.name == "*.whl" and wheel_glob.parent == dist  # the artifact's output folder


def test_every_named_path_exists(
    bundle: dict[str, Any], job: tuple[Path, dict[str, Any]], resource_files: list[Path]
) -> None:
    dist = _artifact_dist(bundle)
    for entry in bundle["sync"]["paths"]:
        path = (BUNDLE / entry).resolve()
        assert path.exists() or path == dist, f"sync path {entry} does not exist (and is not the wheel's dist)"
    resource_file, definition = job
    task = _task(definition)
    script = (resource_file.parent / task["spark_python_task"]["python_file"]).resolve()
    assert script == JOB_SCRIPT.resolve() and script.is_file()
    assert not {"environment_key", "job_cluster_key", "libraries"} & set(task)  # compute comes from the target


def test_job_parameters_match_the_script_and_the_pipeline(
    bundle: dict[str, Any], job: tuple[Path, dict[str, Any]], job_script: ModuleType
) -> None:
    _, definition = job
    params = _flag_pairs(_task(definition)["spark_python_task"]["parameters"])
    parser: argparse.ArgumentParser = job_script.build_parser()
    script_flags = {
        option: action
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    assert set(params) == set(script_flags)
    parsed = parser.parse_args([_resolve_vars(item, bundle) for pair in params.items() for item in pair])
    assert vars(parsed) == vars(parser.parse_args([]))  # the job's values are the script's defaults
    assert params["--catalog"] == "${var.catalog}"
    assert params["--schema"] == "${var.schema}"
    assert {name: params[f"--{name}"] for name in PIPELINE_DEFAULTS} == PIPELINE_DEFAULTS
    assert params["--scale-factor"] == "1.0"
    assert params["--end-date"] == "2025-12-31"
    assert (params["--mode"], params["--customer-history"]) == ("overwrite", "false")


# --- deploy.sh ---------------------------------------------------------------------------------


def test_deploy_script_is_executable_and_parses() -> None:
    assert DEPLOY.stat().st_mode & stat.S_IXUSR
    subprocess.run(["bash", "-n", str(DEPLOY)], check=True)
    text = DEPLOY.read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    usage = subprocess.run([str(DEPLOY), "--help"], capture_output=True, text=True, check=True).stdout
    assert "./deploy.sh [target] [scale] [days] [overwrite] [seed] [scale_factor] [mode] [customer_history]" in usage


def test_deploy_flow_with_a_stand_in_cli(
    tmp_path: Path, bundle: dict[str, Any], job: tuple[Path, dict[str, Any]], job_script: ModuleType
) -> None:
    _, definition = job
    deployed = [_resolve_vars(p, bundle) for p in _task(definition)["spark_python_task"]["parameters"]]
    deployed[deployed.index("--catalog") + 1] = "team_catalog"  # as a target's variables would set it
    summary = {
        "resources": {"jobs": {JOB_KEY: {"id": "123", "tasks": [{"spark_python_task": {"parameters": deployed}}]}}}
    }
    env = fake_cli(tmp_path / "bin", summary)
    deploy = [str(DEPLOY), "prod", "medium", "30", "false", "7", "1.0", "incremental", "true"]
    subprocess.run(deploy, env=env, check=True, capture_output=True)
    calls, request = run_now_request(tmp_path / "bin")
    assert calls[0] == "bundle deploy -t prod"
    assert request["job_id"] == 123
    args = job_script.build_parser().parse_args(request["python_params"])
    assert (args.catalog, args.schema, args.scale, args.days, args.overwrite, args.seed, args.scale_factor) == (
        "team_catalog",
        "retail_demo",
        "medium",
        30,
        False,
        7,
        1.0,
    )
    assert (args.mode, args.customer_history) == ("incremental", True)
    assert "--end-date" not in request["python_params"]  # an increment adds `days` to the tables' last day
    assert job_script.given_parameters(request["python_params"]) == {  # what the job takes as given
        "scale", "days", "seed", "scale_factor", "customer_history"
    }  # fmt: skip


def test_deploy_finds_the_dev_job_by_name_when_the_summary_has_no_id(tmp_path: Path) -> None:
    env = fake_cli(tmp_path / "bin", {"resources": {}})
    subprocess.run([str(DEPLOY)], env=env, check=True, capture_output=True)
    calls, request = run_now_request(tmp_path / "bin")
    assert "jobs list -o json" in calls
    assert request["job_id"] == 77
    assert request["python_params"][:2] == ["--catalog", "c9"]  # read back from the deployed job
    assert request["python_params"][request["python_params"].index("--scale") + 1] == "small"


def test_deploy_runs_the_classic_targets_job_cluster_copy(tmp_path: Path) -> None:
    env = fake_cli(tmp_path / "bin", {"resources": {}})
    subprocess.run([str(DEPLOY), "classic", "small", "3"], env=env, check=True, capture_output=True)
    calls, request = run_now_request(tmp_path / "bin")
    assert calls[0] == "bundle deploy -t classic"
    assert request["job_id"] == 78  # [dev someone] retail_data_generation_classic, not the serverless copy
    assert request["python_params"][request["python_params"].index("--days") + 1] == "3"


@pytest.mark.parametrize(
    "args",
    [
        ["staging"],
        ["dev", "huge"],
        ["dev", "small", "0"],
        ["dev", "small", "14", "maybe"],
        ["dev", "small", "14", "true", "-1"],
        ["dev", "small", "14", "true", "42", "1.0", "append"],
        ["dev", "small", "14", "true", "42", "1.0", "merge", "maybe"],
    ],
)
def test_deploy_refuses_bad_arguments(args: list[str], tmp_path: Path) -> None:
    env = fake_cli(tmp_path / "bin", {})
    result = subprocess.run([str(DEPLOY), *args], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert not (tmp_path / "bin" / "calls.log").exists()  # nothing deployed


def test_deploy_says_when_the_cli_is_missing(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    if any(Path(d, "databricks").exists() for d in ("/usr/bin", "/bin")):
        pytest.skip("a databricks CLI is installed system-wide")
    result = subprocess.run([str(DEPLOY)], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "Databricks CLI is not installed" in result.stderr


# --- The job script ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "days=0"),
        (["--schema", "bad.name"], "schema='bad.name': contains a dot"),
        (["--catalog", "has space"], "catalog='has space'"),
        (["--scale-factor", "0"], "scale_factor=0.0"),
        (["--overwrite", "maybe"], "must be true or false"),
        (["--scale", "huge"], "invalid choice"),
        (["--mode", "append"], "invalid choice"),
        (["--end-date", "2025-02-30"], "end_date='2025-02-30'"),
        (["--customer-history", "sometimes"], "must be true or false"),
        (["--da", "3"], "unrecognized arguments: --da"),  # no abbreviations: `given` sees every flag as typed
    ],
)
def test_job_script_refuses_bad_parameters_before_spark(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, str(JOB_SCRIPT), *args], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2
    assert message in result.stdout + result.stderr
    assert "SparkSession" not in result.stdout + result.stderr


def test_job_script_passes_the_parameters_given_as_given(job_script: ModuleType) -> None:
    """An incremental or merge run takes the parameters not on the command line from the tables."""
    argv = ["--catalog", "main", "--days", "2", "--mode", "incremental", "--end-date=2026-01-03", "--seed", "7"]
    assert job_script.given_parameters(argv) == {"days", "end_date", "seed"}
    assert job_script.given_parameters(["--mode", "merge", "--customer-history", "true"]) == {"customer_history"}


def test_job_script_writes_the_seven_tables_on_local_spark(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    # Delta's jars, extension and catalog reach the script's own Spark through PYSPARK_SUBMIT_ARGS.
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_SUBMIT_ARGS": submit_args(warehouse)}
    args = ["--catalog", "spark_catalog", "--schema", "retail_job", "--scale", "small", "--days", "2"]
    args += ["--overwrite", "true", "--seed", "42", "--scale-factor", "0.1"]
    result = subprocess.run(
        [sys.executable, str(JOB_SCRIPT), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    manifest = run(DatasetSpec(scale="small", scale_factor=0.1, days=2, seed=42), tmp_path / "local", workers=1)
    for table in TABLE_NAMES:
        rows = manifest.tables[table].rows
        assert f"{table}: {rows:,} rows written into " in result.stdout
        assert re.search(rf"{table}\s+{rows:,} rows", result.stdout), table
        # Read the table's folder back as the Delta table it is (its log, not a folder listing).
        assert DeltaTable(warehouse / "retail_job.db" / table).to_pyarrow_table().num_rows == rows
    assert "summary (delta tables" in result.stdout
    assert sorted(p.name for p in (warehouse / "retail_job.db").iterdir()) == sorted([*TABLE_NAMES, STATE_TABLE])
