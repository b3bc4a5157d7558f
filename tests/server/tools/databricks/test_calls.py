"""How the Databricks tools reach a workspace: credentials from the environment or a profile, a token
that never leaks (in process and over stdio), a fast failure without credentials or a reachable host."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import mcp
import pytest
from databricks_standin import ASSETS
from mcp import StdioServerParameters
from mcp.types import CallToolResult

from server.app import build_server
from tests.server.mcp_helpers import (
    REPO,
    SMALL,
    assert_no_secret,
    error_text,
    files_under,
    make_settings,
    ok,
)
from tests.server.tools.databricks.conftest import SCRIPT_PATH
from tests.server.tools.databricks.test_toolset import DATABRICKS_TOOLS


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


async def test_without_credentials_every_tool_says_what_to_set_and_local_tools_work(
    no_credentials: Path, data_root: Path, dataset_copy: Path
) -> None:
    calls = {
        "upload_to_volume": {"catalog": "c", "schema": "s", "volume": "v"},
        "create_tables_from_volume": {"catalog": "c", "schema": "s", "volume": "v"},
        "submit_generation_run": {"catalog": "c", "schema": "s"},
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
        "load_to_lakebase": {"instance_name": "retail-lakebase", "path": "sample_data"},
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
        assert_no_secret(standin.token, result)
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
    assert_no_secret(wrong, result)


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
        assert "catalog=" in error_text(bad) and "must be" in error_text(bad)
        results.append(bad)
    assert files_under(volume.local / "incoming_data") == files_under(root / "sample_data")
    assert_no_secret(standin.token, *results)
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
    from server.tools.databricks.calls import DEFAULT_RETRY_SEC, ENV_RETRY_SEC, retry_seconds

    monkeypatch.delenv(ENV_RETRY_SEC, raising=False)
    assert retry_seconds() == DEFAULT_RETRY_SEC == 30
    monkeypatch.setenv(ENV_RETRY_SEC, "7")
    assert retry_seconds() == 7
    for bad in ("0", "-3", "abc", "100000"):
        monkeypatch.setenv(ENV_RETRY_SEC, bad)
        assert retry_seconds() == DEFAULT_RETRY_SEC
