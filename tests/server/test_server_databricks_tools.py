"""The Databricks tools through a real MCP client (in process and over stdio) against the stand-in
workspace of tests/databricks_standin.

The server under test builds its own client through the SDK's unified auth, exactly as for a user:
DATABRICKS_HOST / DATABRICKS_TOKEN / DATABRICKS_AUTH_TYPE=pat in its environment (monkeypatched for
the in-process server, passed with env= to the stdio subprocess).

Jobs: the bundle's real job script (templates/databricks/src/generate_data_job.py) needs Spark
and the installed retail-datagen wheel, which the stand-in's isolated "cluster" processes do not
have; the jobs here run tests/server/databricks/assets/job_generate.py (parses the same CLI and
writes a file per table into the Volume) and job_slow.py (runs until cancelled).
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import mcp
import pyarrow.parquet as pq
import pytest
from mcp import StdioServerParameters
from mcp.types import CallToolResult

from server.app import build_server
from tests.server.mcp_helpers import REPO, SMALL, error_text, make_settings, ok

ASSETS = REPO / "tests" / "server" / "databricks" / "assets"
TABLES = {"stores", "products", "customers", "promotions", "orders", "order_items", "inventory_snapshots"}
SCRIPT_PATH = "/Users/standin.user@example.com/retail_datagen/generate_data.py"

#: Annotations each tool must carry: (read_only, destructive, idempotent, open_world).
EXPECTED_HINTS = {
    "upload_to_volume": (False, True, True, True),
    "generate_and_upload": (False, True, False, True),
    "deploy_generation_script": (False, True, True, True),
    "execute_script_on_cluster": (False, True, False, True),
    "generate_and_upload_on_cluster": (False, True, False, True),
    "trigger_bundle_job": (False, True, False, True),
    "get_job_run": (True, False, True, True),
    "cancel_job_run": (False, False, True, True),
}
DATABRICKS_TOOLS = set(EXPECTED_HINTS)


# --------------------------------------------------------------------------- fixtures and helpers


def _clear_databricks_env(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(home / "no.databrickscfg"))


@pytest.fixture(autouse=True)
def fast_and_fresh(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Short backoff between the layer's own retries; no client cached from another test."""
    import server.databricks._common as common
    from server.databricks.auth import clear_client_cache

    monkeypatch.setattr(common, "RETRY_BASE_DELAY", 0.05)
    clear_client_cache()
    yield
    clear_client_cache()


@pytest.fixture
def credentials(standin: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The server's environment points at the stand-in, as a user's would at their workspace."""
    home = tmp_path / "home"
    home.mkdir()
    _clear_databricks_env(monkeypatch, home)
    env = {
        "DATABRICKS_HOST": standin.url,
        "DATABRICKS_TOKEN": standin.token,
        "DATABRICKS_AUTH_TYPE": "pat",
        "RETAIL_DATAGEN_DATABRICKS_RETRY_SEC": "5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    home = tmp_path / "empty-home"
    home.mkdir()
    _clear_databricks_env(monkeypatch, home)
    return home


@pytest.fixture
def volume(standin: Any) -> Any:
    return standin.create_volume()


def _texts(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


def _assert_no_token(token: str, *results: CallToolResult) -> None:
    for result in results:
        assert token not in _texts(result)
        assert token not in json.dumps(result.structured_content)


class Progress:
    def __init__(self) -> None:
        self.events: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, done: float, total: float | None, message: str | None) -> None:
        self.events.append((done, total, message))

    def assert_increasing(self) -> None:
        assert self.events, "no progress notifications arrived"
        values = [done for done, _, _ in self.events]
        assert values == sorted(values) and len(set(values)) == len(values), values
        assert all(message for _, _, message in self.events)


def _files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- tools/list


async def _tools(root: Path, **kwargs: Any) -> dict[str, Any]:
    async with mcp.Client(build_server(make_settings(root, **kwargs))) as client:
        return {tool.name: tool for tool in (await client.list_tools()).tools}


async def test_databricks_tools_are_listed_with_truthful_annotations(tmp_path: Path) -> None:
    tools = await _tools(tmp_path, toolsets=("databricks",))
    assert set(tools) == DATABRICKS_TOOLS
    for name, tool in tools.items():
        hints = tool.annotations
        got = (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint)
        assert got == EXPECTED_HINTS[name], name
        assert tool.title and len(tool.description) > 150, name
        assert "Use it" in tool.description and "Cost" in tool.description, name
        for prop_name, prop in tool.input_schema["properties"].items():
            assert prop.get("description"), f"{name}.{prop_name}"
        for prop_name, prop in tool.output_schema["properties"].items():
            if "$ref" in prop:  # a nested model: its class docstring is the description
                prop = tool.output_schema["$defs"][prop["$ref"].rsplit("/", 1)[-1]]
            assert prop.get("description"), f"{name} output {prop_name}"
        assert "ctx" not in tool.input_schema["properties"] and "client_roots" not in tool.input_schema["properties"]
    upload = tools["upload_to_volume"].input_schema
    assert list(upload["properties"]) == [
        "catalog",
        "schema",
        "volume",
        "local_data_dir",
        "remote_subfolder",
        "clean",
        "max_files",
        "profile",
    ]
    assert upload["required"] == ["catalog", "schema", "volume"]
    assert tools["trigger_bundle_job"].input_schema["properties"]["wait_sec"]["maximum"] == 45


async def test_read_only_keeps_only_get_job_run_and_local_toolset_hides_all(tmp_path: Path) -> None:
    read_only = await _tools(tmp_path, read_only=True)
    assert set(read_only) & DATABRICKS_TOOLS == {"get_job_run"}
    local_only = await _tools(tmp_path, toolsets=("local",))
    assert not set(local_only) & DATABRICKS_TOOLS
    everything = await _tools(tmp_path)
    assert set(everything) >= DATABRICKS_TOOLS


# --------------------------------------------------------------------------- upload_to_volume


async def test_upload_generated_dataset_lands_with_the_same_bytes(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    progress = Progress()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        ok(await client.call_tool("generate_data", SMALL))
        result = await client.call_tool(
            "upload_to_volume",
            {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume},
            progress_callback=progress,
        )
    uploaded = ok(result)
    local = _files_under(data_root / "sample_data")
    remote_base = f"{volume.path}/incoming_data"
    assert uploaded["success"] is True and uploaded["errors"] == [] and uploaded["errors_omitted"] == 0
    assert uploaded["remote_base"] == remote_base
    assert uploaded["files_uploaded"] == len(local)
    assert uploaded["uploaded_paths"] == sorted(f"{remote_base}/{name}" for name in local)
    assert {name.split("/")[0] for name in local if "/" in name} == TABLES
    assert _files_under(volume.local / "incoming_data") == local  # same files, same bytes
    assert "spark.read.parquet" in uploaded["message"]
    progress.assert_increasing()
    _assert_no_token(standin.token, result)
    assert standin.token not in caplog.text


async def test_upload_caps_the_listed_paths_and_cleans_the_old_folder(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import server.tools.databricks as tools_module

    monkeypatch.setattr(tools_module, "MAX_LISTED_PATHS", 3)
    folder = data_root / "many"
    folder.mkdir(parents=True)
    for i in range(10):
        (folder / f"file_{i:02d}.txt").write_text(f"line {i}\n")
    stale = volume.local / "runs" / "old" / "stale.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier run")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        args = {
            "catalog": volume.catalog.upper(),  # stored lower-case, as Unity Catalog does
            "schema": volume.schema,
            "volume": volume.volume,
            "local_data_dir": "many",
            "remote_subfolder": "runs",
        }
        uploaded = ok(await client.call_tool("upload_to_volume", args))
        assert uploaded["files_uploaded"] == 10
        assert len(uploaded["uploaded_paths"]) == 3 and uploaded["uploaded_paths_omitted"] == 7
        assert not stale.exists()
        limited = ok(await client.call_tool("upload_to_volume", {**args, "max_files": 2, "clean": False}))
        assert limited["files_uploaded"] == 2 and limited["success"] is True
        missing = error_text(await client.call_tool("upload_to_volume", {**args, "local_data_dir": "nope"}))
        assert "local_data_dir='nope'" in missing and "does not exist" in missing
        outside = error_text(await client.call_tool("upload_to_volume", {**args, "local_data_dir": "/etc"}))
        assert "local_data_dir" in outside


async def test_a_failing_file_is_reported_and_the_others_arrive(
    credentials: dict[str, str], standin: Any, volume: Any, dataset_copy: Path, data_root: Path
) -> None:
    broken = f"{volume.path}/incoming_data/orders/part-00000.parquet"
    assert (dataset_copy / "orders" / "part-00000.parquet").is_file()
    standin.faults.fail_file(broken, status=500)  # every attempt
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        result = ok(
            await client.call_tool(
                "upload_to_volume", {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
            )
        )
    assert result["success"] is False
    assert any(line.startswith("orders/part-00000.parquet:") for line in result["errors"]), result["errors"]
    assert any("_manifest.json" in line for line in result["errors"])  # held back: the dataset is incomplete
    assert not (volume.local / "incoming_data" / "orders" / "part-00000.parquet").exists()
    assert (volume.local / "incoming_data" / "stores" / "part-00000.parquet").is_file()
    assert result["files_uploaded"] == len(_files_under(dataset_copy)) - 2
    assert "did not arrive" in result["message"]


async def test_missing_volume_is_a_clear_error(credentials: dict[str, str], standin: Any, dataset_copy: Path) -> None:
    async with mcp.Client(build_server(make_settings(dataset_copy.parent))) as client:
        text = error_text(
            await client.call_tool("upload_to_volume", {"catalog": "nocatalog", "schema": "s", "volume": "v"})
        )
    assert "/Volumes/nocatalog/s/v does not exist" in text and "CREATE VOLUME" in text


async def test_cancelling_the_call_stops_the_upload(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    folder = data_root / "many"
    folder.mkdir(parents=True)
    for i in range(80):
        (folder / f"file_{i:02d}.txt").write_text(f"line {i}\n")
    (data_root / "one").mkdir()
    (data_root / "one" / "warm.txt").write_text("warm-up")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        args = {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume, "local_data_dir": "many"}
        # warm up (imports, client) so that the cancelled call is busy uploading, not starting
        ok(await client.call_tool("upload_to_volume", {**args, "local_data_dir": "one", "remote_subfolder": "w"}))
        standin.faults.throttle(r"^/api/2\.0/fs/files/", count=10, status=429, retry_after=1, method="PUT")
        with anyio.move_on_after(0.8) as scope:
            await client.call_tool("upload_to_volume", args)
        assert scope.cancelled_caught, "the upload finished before it could be cancelled"
        await anyio.sleep(3)  # in-flight uploads finish (throttled ones retry after 1 s)
        sent = len(standin.requests.find("PUT", r"^/api/2\.0/fs/files/"))
        await anyio.sleep(1.5)
        assert len(standin.requests.find("PUT", r"^/api/2\.0/fs/files/")) == sent, "uploads went on after cancel"
        arrived = list((volume.local / "incoming_data").rglob("*.txt"))
        assert 0 < len(arrived) < 80, len(arrived)
        # the session still works
        assert ok(await client.call_tool("describe_schema", {"table": "stores"}))["tables"][0]["name"] == "stores"


# --------------------------------------------------------------------------- generate_and_upload (local)


async def test_generate_and_upload_runs_the_project_script_then_uploads(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    progress = Progress()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        ok(await client.call_tool("init_project", {"project_path": "proj"}))
        args = {
            "project_path": "proj",
            "catalog": volume.catalog,
            "schema": volume.schema,
            "volume": volume.volume,
            "scale_factor": 0.1,
            "remote_subfolder": "local_run",
        }
        result = ok(await client.call_tool("generate_and_upload", args, progress_callback=progress))
        assert result["success"] is True, result
        assert result["generation"]["exit_code"] == 0 and "wrote" in result["generation"]["stdout"]
        assert result["upload"]["success"] is True
        local = _files_under(data_root / "proj" / "data")
        assert _files_under(volume.local / "local_run") == local
        assert {name.split("/")[0] for name in local if "/" in name} == TABLES
        progress.assert_increasing()

        (data_root / "proj" / "generate_data.py").write_text(
            "import sys\nprint('broken', file=sys.stderr)\nsys.exit(3)\n"
        )
        failed = ok(await client.call_tool("generate_and_upload", {**args, "remote_subfolder": "other"}))
        assert failed["success"] is False and failed["upload"] is None
        assert failed["generation"]["exit_code"] == 3 and "broken" in failed["generation"]["stderr"]
        assert "nothing was uploaded" in failed["message"]
        assert not (volume.local / "other").exists()

        missing = error_text(await client.call_tool("generate_and_upload", {**args, "project_path": "nothing_here"}))
        assert "init_project" in missing


# --------------------------------------------------------------------------- cluster


async def test_deploy_then_execute_on_cluster_writes_the_seven_tables(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    """The portable script runs in the stand-in's cluster process, which cannot import this project."""
    progress = Progress()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        deployed = ok(await client.call_tool("deploy_generation_script", {"workspace_path": SCRIPT_PATH}))
        assert deployed["workspace_path"] == SCRIPT_PATH and deployed["bytes"] > 50_000
        assert standin.workspace_object(SCRIPT_PATH)["object_type"] == "FILE"
        kept = error_text(
            await client.call_tool("deploy_generation_script", {"workspace_path": SCRIPT_PATH, "overwrite": False})
        )
        assert "overwrite" in kept and SCRIPT_PATH in kept
        out = f"{volume.path}/cluster_run"
        args = {
            "cluster_id": standin.cluster_id,
            "workspace_path": SCRIPT_PATH,
            "volume_output_path": out,
            "scale_factor": 0.1,
            "days": 7,
            "seed": 7,
        }
        result = ok(await client.call_tool("execute_script_on_cluster", args, progress_callback=progress))
        assert result["success"] is True, result
        assert result["error"] is None and result["cluster_started"] is False
        assert f"to {out}" in result["output"]
        local_copy = data_root / "local_same"
        ok(await client.call_tool("generate_data", {**SMALL, "seed": 7, "output_dir": "local_same"}))
    written = standin.local_path(out)
    assert {p.name for p in written.iterdir() if p.is_dir()} == TABLES
    for table in TABLES:
        parts = sorted((written / table).glob("*.parquet"))
        assert parts, table
        assert sum(pq.read_metadata(p).num_rows for p in parts) > 0
    manifest = json.loads((written / "_manifest.json").read_text())
    assert manifest["parameters"]["days"] == 7 and manifest["parameters"]["seed"] == 7  # DAYS and SEED arrived
    # the cluster wrote what the local generator writes for the same parameters
    for table in TABLES:
        assert _files_under(written / table) == _files_under(local_copy / table), table
    progress.assert_increasing()
    assert standin.open_contexts == []


async def test_execute_reports_script_errors_and_bad_arguments(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    broken = "/Users/standin.user@example.com/broken.py"
    standin.put_workspace_file(broken, f"print('about to fail')\nraise ValueError('no good: {standin.token}')\n")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        base = {"cluster_id": standin.cluster_id, "workspace_path": broken, "volume_output_path": f"{volume.path}/x"}
        result = await client.call_tool("execute_script_on_cluster", base)
        failed = ok(result)
        assert failed["success"] is False
        assert "ValueError" in failed["error"] and "no good" in failed["error"] and "[REDACTED]" in failed["error"]
        _assert_no_token(standin.token, result)

        standin.requests.clear()
        for field, value, expected in [
            ("volume_output_path", f"{volume.path}", "points at the volume root"),
            ("volume_output_path", "/tmp/out", "does not start with /Volumes/"),
            ("volume_output_path", "/Volumes/a.b/s/v/x", "contains a dot"),
            ("workspace_path", "relative/path.py", "not an absolute path"),
            ("cluster_id", "bad id!", "cluster id"),
        ]:
            text = error_text(await client.call_tool("execute_script_on_cluster", {**base, field: value}))
            assert field in text and expected in text, text
        bad_days = error_text(await client.call_tool("execute_script_on_cluster", {**base, "days": 400}))
        assert "days=400" in bad_days
        bad_scale = error_text(await client.call_tool("execute_script_on_cluster", {**base, "scale": "huge"}))
        assert "scale='huge'" in bad_scale
        assert len(standin.requests) == 0

        missing = error_text(
            await client.call_tool("execute_script_on_cluster", {**base, "workspace_path": "/Users/x/none.py"})
        )
        assert "does not exist" in missing and "none.py" in missing


async def test_generate_and_upload_on_cluster(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    stale = volume.local / "cluster_data" / "old_table" / "stale.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        ok(await client.call_tool("deploy_generation_script", {"workspace_path": SCRIPT_PATH}))
        args = {
            "cluster_id": standin.cluster_id,
            "workspace_path": SCRIPT_PATH,
            "catalog": volume.catalog,
            "schema": volume.schema,
            "volume": volume.volume,
            "scale_factor": 0.1,
            "remote_subfolder": "cluster_data",
            "days": 3,
        }
        result = ok(await client.call_tool("generate_and_upload_on_cluster", args))
        assert result["success"] is True, result
        assert result["volume_path"] == f"{volume.path}/cluster_data"
        assert "files are now in" in result["output"]
        written = volume.local / "cluster_data"
        assert {p.name for p in written.iterdir() if p.is_dir()} == TABLES  # old_table was cleaned
        assert json.loads((written / "_manifest.json").read_text())["parameters"]["days"] == 3

        standin.put_workspace_file("/Users/standin.user@example.com/lazy.py", "print('I write nothing')\n")
        lazy = ok(
            await client.call_tool(
                "generate_and_upload_on_cluster",
                {**args, "workspace_path": "/Users/standin.user@example.com/lazy.py", "remote_subfolder": "lazy"},
            )
        )
        assert lazy["success"] is False and "OUTPUT_PATH" in lazy["error"]


# --------------------------------------------------------------------------- bundle job


async def test_trigger_get_and_cancel_job_runs(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    job_id = standin.register_job("retail_data_generation", ASSETS / "job_generate.py")
    slow_id = standin.register_job("slow_generation", ASSETS / "job_slow.py")
    progress = Progress()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        handle = ok(
            await client.call_tool(
                "trigger_bundle_job",
                {"catalog": volume.catalog, "schema": volume.schema, "scale": "medium", "days": 30, "seed": 7},
                progress_callback=progress,
            )
        )
        assert handle["job_id"] == job_id
        assert handle["done"] is True and handle["success"] is True, handle
        assert handle["life_cycle_state"] == "TERMINATED" and handle["result_state"] == "SUCCESS"
        written = json.loads((volume.local / "job_output" / "orders.json").read_text())
        assert written["scale"] == "medium" and written["days"] == 30 and written["seed"] == 7
        progress.assert_increasing()

        details = ok(await client.call_tool("get_job_run", {"run_id": handle["run_id"]}))
        assert details["success"] is True and details["error"] is None
        (task,) = details["tasks"]
        assert "generated medium data for 30 days" in task["logs"]

        slow = ok(
            await client.call_tool(
                "trigger_bundle_job",
                {"catalog": volume.catalog, "schema": volume.schema, "job_id": slow_id, "wait_sec": 0},
            )
        )
        assert slow["done"] is False and slow["success"] is False
        assert f"get_job_run(run_id={slow['run_id']})" in slow["message"]
        cancelled = ok(await client.call_tool("cancel_job_run", {"run_id": slow["run_id"]}))
        assert cancelled["done"] is True and cancelled["result_state"] == "CANCELED" and cancelled["success"] is False

        unknown = error_text(await client.call_tool("get_job_run", {"run_id": 987654}))
        assert "987654" in unknown
        no_job = error_text(
            await client.call_tool(
                "trigger_bundle_job", {"catalog": "c", "schema": "s", "job_name": "not_deployed", "wait_sec": 0}
            )
        )
        assert "databricks bundle deploy" in no_job
        too_long = error_text(
            await client.call_tool("trigger_bundle_job", {"catalog": "c", "schema": "s", "wait_sec": 50})
        )
        assert "wait_sec=50" in too_long


async def test_a_failing_run_is_reported_with_its_error(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    job_id = standin.register_job("retail_data_generation", ASSETS / "job_generate.py")
    standin.faults.fail_job_runs(job_id, "Catalog does not exist: nowhere")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        handle = ok(await client.call_tool("trigger_bundle_job", {"catalog": "nowhere", "schema": "s"}))
        assert handle["done"] is True and handle["success"] is False and handle["result_state"] == "FAILED"
        assert "get_job_run" in handle["message"]
        details = ok(await client.call_tool("get_job_run", {"run_id": handle["run_id"]}))
    assert details["success"] is False
    assert "Catalog does not exist: nowhere" in details["error"]
    assert details["tasks"][0]["error_trace"] and "\x1b[" not in details["tasks"][0]["error_trace"]


async def test_cancelling_the_trigger_call_cancels_its_run(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path
) -> None:
    standin.register_job("retail_data_generation", ASSETS / "job_slow.py")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        async with anyio.create_task_group() as group:
            group.start_soon(
                client.call_tool, "trigger_bundle_job", {"catalog": volume.catalog, "schema": volume.schema}
            )
            deadline = time.monotonic() + 30
            while not standin.requests.find("GET", r"/api/2\.2/jobs/runs/get$") and time.monotonic() < deadline:
                await anyio.sleep(0.05)  # until the run started and is being waited for
            await anyio.sleep(0.5)
            group.cancel_scope.cancel()
        (run_now,) = standin.requests.find("POST", r"/api/2\.2/jobs/run-now$")
        assert run_now.status == 200
        deadline = time.monotonic() + 30
        while not standin.requests.find("POST", r"/api/2\.2/jobs/runs/cancel$") and time.monotonic() < deadline:
            await anyio.sleep(0.2)
        assert standin.requests.find("POST", r"/api/2\.2/jobs/runs/cancel$"), "the run was not cancelled"
        runs = standin.requests.find("GET", r"/api/2\.2/jobs/runs/get$")
        run_id = int(runs[-1].query["run_id"])
        deadline = time.monotonic() + 20
        while True:
            details = ok(await client.call_tool("get_job_run", {"run_id": run_id}))
            if details["done"] or time.monotonic() > deadline:
                break
            await anyio.sleep(0.3)
    assert details["done"] is True and details["result_state"] == "CANCELED"


# --------------------------------------------------------------------------- validation and credentials


BAD_NAMES = [("a.b", "contains a dot"), ("a b", "contains a space"), ("a`b", "contains a backtick"), ("", "empty")]


@pytest.mark.parametrize(("value", "why"), BAD_NAMES)
async def test_bad_unity_catalog_names_are_refused_before_any_request(
    credentials: dict[str, str], standin: Any, volume: Any, dataset_copy: Path, data_root: Path, value: str, why: str
) -> None:
    good = {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
    calls: list[tuple[str, dict[str, Any], str]] = []
    for field in ("catalog", "schema", "volume"):
        bad = {**good, field: value}
        calls.append(("upload_to_volume", bad, field))
        calls.append(("generate_and_upload", {**bad, "project_path": "sample_data"}, field))
        calls.append(
            (
                "generate_and_upload_on_cluster",
                {**bad, "cluster_id": standin.cluster_id, "workspace_path": SCRIPT_PATH},
                field,
            )
        )
    (data_root / "sample_data" / "generate_data.py").write_text("print('never run')\n")
    for field in ("catalog", "schema"):
        calls.append(("trigger_bundle_job", {"catalog": "c", "schema": "s", field: value}, field))
    calls.append(("upload_to_volume", {**good, "remote_subfolder": "a/../b"}, "remote_subfolder"))
    standin.requests.clear()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        for tool, args, field in calls:
            text = error_text(await client.call_tool(tool, args))
            assert f"Invalid {field}" in text and "Accepted" in text, (tool, text)
            if field != "remote_subfolder":
                assert repr(value) in text and why in text, (tool, text)
    assert len(standin.requests) == 0, [r.path for r in standin.requests]
    assert not (data_root / "sample_data" / "generation.log").exists()  # the script never ran


async def test_without_credentials_every_tool_says_what_to_set_and_local_tools_work(
    no_credentials: Path, data_root: Path, dataset_copy: Path
) -> None:
    calls = {
        "upload_to_volume": {"catalog": "c", "schema": "s", "volume": "v"},
        "generate_and_upload": {"project_path": "sample_data", "catalog": "c", "schema": "s", "volume": "v"},
        "deploy_generation_script": {"workspace_path": SCRIPT_PATH},
        "execute_script_on_cluster": {
            "cluster_id": "0123-456789-abcdef01",
            "workspace_path": SCRIPT_PATH,
            "volume_output_path": "/Volumes/c/s/v/out",
        },
        "generate_and_upload_on_cluster": {
            "cluster_id": "0123-456789-abcdef01",
            "workspace_path": SCRIPT_PATH,
            "catalog": "c",
            "schema": "s",
            "volume": "v",
        },
        "trigger_bundle_job": {"catalog": "c", "schema": "s"},
        "get_job_run": {"run_id": 1},
        "cancel_job_run": {"run_id": 1},
    }
    assert set(calls) == DATABRICKS_TOOLS
    (dataset_copy / "generate_data.py").write_text("print('never run')\n")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        for tool, args in calls.items():
            started = time.monotonic()
            text = error_text(await client.call_tool(tool, args))
            assert time.monotonic() - started < 5, tool
            for needed in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "~/.databrickscfg", "profile"):
                assert needed in text, (tool, text)
        unknown_profile = error_text(await client.call_tool("get_job_run", {"run_id": 1, "profile": "work"}))
        assert "'work' not found" in unknown_profile
        # the local tools are unaffected in the same session
        assert ok(await client.call_tool("query_dataset", {"sql": "select count(*) from stores"}))["rows"][0][0] > 0
        assert ok(await client.call_tool("generate_data", {**SMALL, "output_dir": "again"}))["status"] == "succeeded"
    assert not (dataset_copy / "generation.log").exists()


async def test_profile_from_databrickscfg(
    standin: Any, no_credentials: Path, volume: Any, data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = no_credentials / ".databrickscfg"
    config.write_text(f"[standin]\nhost = {standin.url}\ntoken = {standin.token}\nauth_type = pat\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config))
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        result = await client.call_tool(
            "deploy_generation_script", {"workspace_path": SCRIPT_PATH, "profile": "standin"}
        )
        assert ok(result)["workspace_path"] == SCRIPT_PATH
        _assert_no_token(standin.token, result)
        text = error_text(await client.call_tool("deploy_generation_script", {"workspace_path": SCRIPT_PATH}))
        assert "DATABRICKS_HOST" in text


async def test_a_rejected_token_is_named_but_never_shown(
    credentials: dict[str, str], standin: Any, volume: Any, dataset_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "dapi-wrong-token-0123456789"
    monkeypatch.setenv("DATABRICKS_TOKEN", wrong)
    async with mcp.Client(build_server(make_settings(dataset_copy.parent))) as client:
        result = await client.call_tool(
            "upload_to_volume", {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
        )
    text = error_text(result)
    assert "DATABRICKS_TOKEN" in text
    _assert_no_token(wrong, result)


# --------------------------------------------------------------------------- over stdio


def _stdio_server(root: Path, stderr_log: Path, env: dict[str, str], *args: str) -> StdioServerParameters:
    """The server as a client starts it, with its stderr kept in a file for inspection."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABRICKS_", "RETAIL_DATAGEN_")) and k not in ("PYTHONPATH",)
    }
    environment.update(env)
    environment["RETAIL_DATAGEN_ROOT"] = str(root)
    command = " ".join(shlex.quote(part) for part in [sys.executable, "-m", "server", *args])
    return StdioServerParameters(
        command="/bin/sh", args=["-c", f"exec {command} 2>>{shlex.quote(str(stderr_log))}"], env=environment, cwd=REPO
    )


async def test_databricks_tools_over_stdio_never_leak_the_token(
    credentials: dict[str, str], standin: Any, volume: Any, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    stderr_log = tmp_path / "server-stderr.log"
    standin.register_job("retail_data_generation", ASSETS / "job_generate.py")
    results: list[CallToolResult] = []
    params = _stdio_server(root, stderr_log, credentials, "--log-level", "DEBUG")
    async with mcp.Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names >= DATABRICKS_TOOLS
        results.append(await client.call_tool("generate_data", SMALL))
        upload = await client.call_tool(
            "upload_to_volume", {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
        )
        results.append(upload)
        assert ok(upload)["success"] is True
        handle = await client.call_tool("trigger_bundle_job", {"catalog": volume.catalog, "schema": volume.schema})
        results.append(handle)
        assert ok(handle)["success"] is True
        results.append(await client.call_tool("get_job_run", {"run_id": ok(handle)["run_id"]}))
        bad = await client.call_tool("upload_to_volume", {"catalog": "a.b", "schema": "s", "volume": "v"})
        assert "Invalid catalog" in error_text(bad)
        results.append(bad)
    assert _files_under(volume.local / "incoming_data") == _files_under(root / "sample_data")
    _assert_no_token(standin.token, *results)
    log = stderr_log.read_text()
    assert "Databricks client ready" in log  # the log was captured
    assert standin.token not in log


async def test_stdio_without_credentials_fails_fast_and_local_tools_work(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "DATABRICKS_CONFIG_FILE": str(home / "none.cfg")}
    async with mcp.Client(_stdio_server(tmp_path / "root", tmp_path / "stderr.log", env)) as client:
        started = time.monotonic()
        text = error_text(await client.call_tool("get_job_run", {"run_id": 5}))
        assert time.monotonic() - started < 10
        assert "DATABRICKS_HOST" in text and "DATABRICKS_TOKEN" in text
        assert ok(await client.call_tool("describe_schema", {"table": "orders"}))["tables"][0]["name"] == "orders"


async def test_an_unreachable_workspace_is_a_clear_error_within_the_retry_budget(
    credentials: dict[str, str], standin: Any, volume: Any, dataset_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETAIL_DATAGEN_DATABRICKS_RETRY_SEC", "1")
    standin.faults.stop_answering()
    async with mcp.Client(build_server(make_settings(dataset_copy.parent))) as client:
        started = time.monotonic()
        text = error_text(
            await client.call_tool(
                "upload_to_volume", {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
            )
        )
        assert time.monotonic() - started < 20
    assert "DATABRICKS_HOST" in text


def test_retry_budget_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.tools.databricks import DEFAULT_RETRY_SEC, ENV_RETRY_SEC, retry_seconds

    monkeypatch.delenv(ENV_RETRY_SEC, raising=False)
    assert retry_seconds() == DEFAULT_RETRY_SEC == 30
    monkeypatch.setenv(ENV_RETRY_SEC, "7")
    assert retry_seconds() == 7
    for bad in ("0", "-3", "abc", "100000"):
        monkeypatch.setenv(ENV_RETRY_SEC, bad)
        assert retry_seconds() == DEFAULT_RETRY_SEC
