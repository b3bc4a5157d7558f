"""The wheel as users install it (`pip install retail_datagen-*.whl`, uvx, pipx, a Claude Desktop
extension): it holds every module and every template, and the MCP server started from a fresh virtual
environment, with no checkout on its path, writes a project, runs its script, generates a dataset,
copies a Databricks bundle that ships the core wheel built from the installed package, and submits a
one-time Databricks run whose uploads come from that package. Paths have spaces and non-ASCII letters."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import mcp
import yaml
from mcp import StdioServerParameters

from server.adapters.databricks.core_wheel import core_wheel_bytes
from tests.databricks_cli import fake_cli, run_now_request
from tests.packaging.conftest import REPO, clean_env, run, venv_bin
from tests.server.mcp_helpers import SMALL, ok

CODE_PACKAGES = ("generator", "server")


def wheel_files(wheel: Path) -> dict[str, bytes]:
    """Every entry of a wheel but its RECORD (which lists hashes, not content)."""
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith(".dist-info/RECORD")}


def test_the_wheel_holds_every_module_and_every_template(built_wheel: Path) -> None:
    names = set(wheel_files(built_wheel))
    modules = {
        path.relative_to(REPO).as_posix()
        for package in CODE_PACKAGES
        for path in (REPO / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    templates = {
        "retail_datagen_templates/" + path.relative_to(REPO / "templates").as_posix()
        for path in (REPO / "templates").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "retail_datagen_templates/databricks/databricks.yml" in templates
    assert modules <= names, f"missing from the wheel (setup.py finds the packages): {sorted(modules - names)}"
    assert templates <= names, sorted(templates - names)
    assert not {name for name in names if name.startswith(("tests/", "bench/", "templates/"))}
    with zipfile.ZipFile(built_wheel) as archive:
        mode = archive.getinfo("retail_datagen_templates/databricks/deploy.sh").external_attr >> 16
    assert mode & 0o111, "deploy.sh must stay executable"


def test_the_installed_package_is_not_the_checkout(installed_venv: Path, tmp_path: Path) -> None:
    code = (
        "import json, generator, server, generator.portable as p\n"
        "print(json.dumps([generator.__file__, server.__file__, str(p.TEMPLATES_DIR), p.SCRIPT_TEMPLATE.is_file()]))\n"
    )
    out = run([venv_bin(installed_venv, "python"), "-c", code], cwd=tmp_path).stdout
    generator_file, server_file, templates, script_found = json.loads(out)
    for path in (generator_file, server_file, templates):
        assert Path(path).resolve().is_relative_to(installed_venv.resolve()), path
    assert Path(templates).name == "retail_datagen_templates" and script_found


async def test_the_server_from_the_wheel_writes_a_project_runs_it_and_generates(
    installed_venv: Path, tmp_path: Path
) -> None:
    root = tmp_path / "Daten root ä"
    params = StdioServerParameters(
        command=str(venv_bin(installed_venv, "retail-datagen-mcp")),
        env=clean_env(RETAIL_DATAGEN_ROOT=str(root)),
        cwd=tmp_path,
    )
    async with mcp.Client(params) as client:
        project = ok(await client.call_tool("init_project", {"project_path": "Mein Projekt é"}))
        ran = ok(
            await client.call_tool(
                "execute_script", {"project_path": "Mein Projekt é", "scale_factor": 0.1, "env": {"DAYS": "3"}}
            )
        )
        generated = ok(await client.call_tool("generate_data", {**SMALL, "output_dir": "données 1"}))
        query = {"path": "données 1", "sql": "select count(*) from orders"}
        counted = ok(await client.call_tool("query_dataset", query))
        checked = ok(await client.call_tool("validate_dataset", {"path": "données 1"}))
    folder = root / "Mein Projekt é"
    core_name, core_bytes = core_wheel_bytes()
    assert project["project_path"] == str(folder)
    assert f"databricks/dist/{core_name}" in project["files"]
    assert ran["exit_code"] == 0 and (folder / "data" / "_manifest.json").is_file()
    assert json.loads((folder / "data" / "_manifest.json").read_text(encoding="utf-8"))["parameters"]["days"] == 3
    assert generated["status"] == "succeeded" and (root / "données 1" / "_manifest.json").is_file()
    assert counted["rows"][0][0] == generated["result"]["tables"]["orders"]["rows"]
    assert checked["passed"] is True
    check_the_bundle_ships_the_core_wheel(folder / "databricks", core_bytes, tmp_path / "cli")


def check_the_bundle_ships_the_core_wheel(bundle: Path, core_bytes: bytes, cli_folder: Path) -> None:
    """The copied bundle has nothing to build: every target installs the core wheel beside it, built
    from the installed package (the same bytes as from the checkout: the same sources), and deploy.sh
    deploys and runs without touching it."""
    config = yaml.safe_load((bundle / "databricks.yml").read_text(encoding="utf-8"))
    assert "artifacts" not in config and "sync" not in config
    wheels = []  # what each target installs: the serverless environments' dependency, the classic library
    for target in config["targets"].values():
        job = target["resources"]["jobs"]["retail_data_generation"]
        wheels += [d for e in job.get("environments", []) for d in e["spec"]["dependencies"]]
        wheels += [lib["whl"] for task in job["tasks"] for lib in task.get("libraries", [])]
    assert len(wheels) == len(config["targets"]) == 3 and all(w.startswith("./") for w in wheels), wheels
    shipped = {path for wheel in wheels for path in bundle.glob(wheel)}
    assert len(shipped) == 1 and next(iter(shipped)).read_bytes() == core_bytes
    env = fake_cli(cli_folder, {"resources": {}})
    run([bundle / "deploy.sh", "dev", "small", "7"], cwd=bundle, PATH=env["PATH"])
    calls, request = run_now_request(cli_folder)
    assert calls[0] == "bundle deploy -t dev" and request["job_id"] == 77
    assert next(iter(shipped)).is_file()
    assert os.access(bundle / "deploy.sh", os.X_OK)


async def test_submit_generation_run_from_the_wheel_uploads_the_installed_core(
    installed_venv: Path, standin: Any, tmp_path: Path
) -> None:
    """The one-time run's two uploads come from the installed package: the core wheel built from it and
    the bundle's job script from its package data (the run is held pending: no Spark here)."""
    standin.jobs.submit_pending_seconds = 120
    catalog = standin.create_catalog()
    databricks = {"DATABRICKS_HOST": standin.url, "DATABRICKS_TOKEN": standin.token, "DATABRICKS_AUTH_TYPE": "pat"}
    params = StdioServerParameters(
        command=str(venv_bin(installed_venv, "retail-datagen-mcp")),
        env=clean_env(RETAIL_DATAGEN_ROOT=str(tmp_path / "root"), HOME=str(tmp_path), **databricks),
        cwd=tmp_path,
    )
    async with mcp.Client(params) as client:
        handle = ok(await client.call_tool("submit_generation_run", {"catalog": catalog, "schema": "s", "days": 3}))
        cancelled = ok(await client.call_tool("cancel_job_run", {"run_id": handle["run_id"]}))
    assert handle["done"] is False and cancelled["result_state"] == "CANCELED"
    store = standin.workspace_store
    core_name, core_bytes = core_wheel_bytes()
    wheel, script = handle["uploaded"]["wheel"], handle["uploaded"]["job_script"]
    assert wheel.endswith("/" + core_name) and store.local(store.normalize(wheel)).read_bytes() == core_bytes
    job_script = REPO / "templates" / "databricks" / "src" / "generate_data_job.py"
    assert store.local(store.normalize(script)).read_bytes() == job_script.read_bytes()


def test_readme_commands_from_the_wheel(installed_venv: Path, tmp_path: Path) -> None:
    """The README's commands, run with the installed entry points from a folder that is not the checkout."""
    work = tmp_path / "Arbeits Ordner ö"
    work.mkdir()
    cli = venv_bin(installed_venv, "retail-datagen")
    summary = run([cli, "generate", "--scale", "small", "--days", "14", "--output-dir", "sample_data"], cwd=work)
    assert "order_items" in summary.stdout
    assert "rows" in run([cli, "estimate", "--scale", "large", "--days", "365"], cwd=work).stdout
    run([cli, "validate", "sample_data"], cwd=work)
    run([cli, "generate", "--mode", "incremental", "--days", "7", "--output-dir", "sample_data"], cwd=work)
    assert json.loads((work / "sample_data" / "_manifest.json").read_text(encoding="utf-8"))["version"] == 1
    run([cli, "portable-script", "-o", "generate_data.py"], cwd=work)
    run([venv_bin(installed_venv, "python"), "generate_data.py"], cwd=work, SCALE_FACTOR="0.1", DAYS="2")
    assert (work / "data" / "_manifest.json").is_file()
    usage = run([venv_bin(installed_venv, "retail-datagen-mcp"), "--help"], cwd=work).stdout
    assert "--root" in usage and "--read-only" in usage
    core = [venv_bin(installed_venv, "python"), "-m", "server.adapters.databricks.core_wheel", "--wheel-dir", "dist"]
    built = Path(run(core, cwd=work).stdout.strip())  # the bundle's build step, as the README names it
    assert (work / "dist" / built.name).read_bytes() == core_wheel_bytes()[1]
