"""upload_to_volume through a real MCP client against the stand-in workspace."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import mcp
import pytest

from generator.manifest import STATE_FOLDER
from generator.schema import TABLE_NAMES
from server.app import build_server
from tests.server.mcp_helpers import (
    SMALL,
    ProgressLog,
    assert_no_secret,
    error_text,
    files_under,
    make_settings,
    ok,
)


async def test_upload_generated_dataset_lands_with_the_same_bytes(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    progress = ProgressLog()
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        ok(await client.call_tool("generate_data", SMALL))
        result = await client.call_tool(
            "upload_to_volume",
            {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume},
            progress_callback=progress,
        )
    uploaded = ok(result)
    local = files_under(data_root / "sample_data")
    remote_base = f"{volume.path}/incoming_data"
    assert uploaded["success"] is True and uploaded["errors"] == [] and uploaded["errors_omitted"] == 0
    assert uploaded["remote_base"] == remote_base
    assert uploaded["files_uploaded"] == len(local)
    remote = sorted(f"{remote_base}/{name}" for name in local)
    assert uploaded["uploaded_paths"] == remote[:20] and uploaded["uploaded_paths_omitted"] == max(0, len(remote) - 20)
    assert uploaded["uploaded_per_folder"] == Counter(name.split("/")[0] for name in local)
    assert {name.split("/")[0] for name in local if "/" in name} == {*TABLE_NAMES, STATE_FOLDER}
    assert files_under(volume.local / "incoming_data") == local  # same files, same bytes
    assert "spark.read.parquet" in uploaded["message"]
    progress.assert_increasing()
    assert_no_secret(standin.token, result)
    assert standin.token not in caplog.text


async def test_upload_caps_the_listed_paths_and_cleans_the_old_folder(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import server.tools.databricks.upload_to_volume as tools_module

    monkeypatch.setattr(tools_module, "MAX_LISTED_PATHS", 3)
    monkeypatch.setattr(tools_module, "MAX_LISTED_FOLDERS", 4)
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
        per_folder = uploaded["uploaded_per_folder"]  # ten files at the top: four listed, six summed
        assert len(per_folder) == 5 and per_folder["(other folders)"] == 6 and sum(per_folder.values()) == 10
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
    assert result["files_uploaded"] == len(files_under(dataset_copy)) - 2
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


async def test_an_explicit_profile_wins_over_the_environment_and_the_result_names_its_host(
    credentials: dict[str, str], standin: Any, volume: Any, data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fuzzing defect: profile="other" uploaded to the environment's workspace with the environment's token."""
    config = data_root.parent / "databrickscfg"
    config.write_text(f"[other]\nhost = {standin.url}\ntoken = {standin.token}\n", encoding="utf-8")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config))
    monkeypatch.setenv("DATABRICKS_HOST", "http://127.0.0.1:9")  # the environment names a workspace that is gone
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-environment-token-never-sent")
    folder = data_root / "few"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("a\n", encoding="utf-8")
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        result = ok(
            await client.call_tool(
                "upload_to_volume",
                {**volume_args(volume), "local_data_dir": "few", "profile": "other"},
            )
        )
    assert result["success"] is True
    assert result["workspace_host"] == standin.url
    assert standin.url in result["message"]
    assert (volume.local / "incoming_data" / "a.txt").read_text(encoding="utf-8") == "a\n"


def volume_args(volume: Any) -> dict[str, str]:
    return {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume}
