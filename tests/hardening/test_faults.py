"""Faults, through the MCP layer, each with the state checked afterwards.

Local: a server killed with SIGKILL part-way through a generation, a disk that fills up during a
run, a read-only (or immutable) output folder, a script that hangs past its timeout (with a child
that ignores SIGTERM) or floods its output. Databricks (against the stand-in workspace): a Volume
upload that fails on some files and is retried, 429/503/500 answers, a workspace that stops
answering, job runs that fail or are cancelled, and a tool call cancelled by the client.

What is checked afterwards, every time: a clean isError (or a result that says what failed), the
previous dataset byte-identical, no staging leftovers, and the next run succeeds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import mcp
import pytest
from databricks_standin import ASSETS

from server.app import build_server
from tests.hardening.conftest import (
    TINY,
    RawStdioServer,
    assert_refused,
    generate_dataset,
    leftovers,
    refusal_problem,
    remount,
    snapshot,
    tally,
    tmpfs,
)
from tests.server.mcp_helpers import SMALL, make_settings, ok


def _fault(name: str, problem: str | None) -> None:
    """Count a fault case (the test asserts on its own; the tally is for the summary)."""
    tally("faults: injected faults", "left the state intact and the next run working").add(problem, name)


@contextlib.contextmanager
def counted(name: str) -> Iterator[None]:
    """Count the enclosed checks as one fault case, correct unless an assertion fails."""
    try:
        yield
    except BaseException as exc:
        _fault(name, f"{type(exc).__name__}: {str(exc)[:200]}")
        raise
    _fault(name, None)


async def _validate(client: mcp.Client, path: str) -> None:
    report = ok(await client.call_tool("validate_dataset", {"path": path}))
    assert report["passed"], [check for check in report["checks"] if not check["passed"]]


# --------------------------------------------------------------------------- SIGKILL


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("background", [True, False], ids=["background", "inline"])
def test_server_killed_with_sigkill_mid_generation_loses_nothing(tmp_path: Path, background: bool) -> None:
    with counted(f"SIGKILL of the stdio server mid generation ({'background' if background else 'inline'})"):
        root = tmp_path / "root"
        dataset = root / "sample_data"
        before = generate_dataset(dataset)
        with RawStdioServer(root, tmp_path / "stderr-1.log") as server:
            server.initialize()
            args = {"scale": "large", "days": 30, "workers": 2, "background": background, "output_dir": "sample_data"}
            request_id = server.request("generate_data", args)
            deadline = time.monotonic() + 60
            while not any(".staging-" in name for name in leftovers(dataset)):
                assert time.monotonic() < deadline, "the run never started writing"
                assert server.process.poll() is None, server.stderr_text()[-2000:]
                time.sleep(0.05)
            staging = next(dataset.parent.glob(".sample_data.staging-*"))
            while not any(staging.rglob("*.parquet")) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            if background:
                answer = server.response(request_id, timeout=30)
                assert answer is not None and answer["result"]["structuredContent"]["status"] == "running"
            pgid = server.process.pid
            server.kill_group()
            deadline = time.monotonic() + 10
            while _group_alive(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not _group_alive(pgid), "worker processes outlived the server"
        assert snapshot(dataset) == before, "the previous dataset changed"
        assert any(".staging-" in name for name in leftovers(dataset)), "expected the killed run's staging folder"

        with RawStdioServer(root, tmp_path / "stderr-2.log") as server:
            server.initialize()
            result = server.call("generate_data", {**SMALL, "seed": 9, "output_dir": "sample_data"})
            assert result["isError"] is False, result
            report = server.call("validate_dataset", {"path": "sample_data"})
            assert report["structuredContent"]["passed"] is True
        assert snapshot(dataset) != before
        assert leftovers(dataset) == [], "the next run did not clean up the killed run's staging folder"


# --------------------------------------------------------------------------- full disk


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data root on an 8 MiB tmpfs holding a small dataset. The capacity check is bypassed (it
    keeps 512 MiB free and would refuse every run here), as when another process fills the disk
    after the check: the run itself then meets ENOSPC."""
    import generator.preflight

    monkeypatch.setattr(generator.preflight, "capacity_problems", lambda *args: [])
    with tmpfs(tmp_path / "disk", "8m") as mount:
        root = mount / "root"
        generate_dataset(root / "sample_data")
        yield root


@pytest.mark.parametrize(("workers", "background"), [(1, False), (2, True)], ids=["inline-1-worker", "background-2"])
async def test_a_disk_that_fills_up_during_a_run_loses_nothing(
    small_disk: Path, workers: int, background: bool
) -> None:
    with counted(f"disk full during a run ({workers} worker(s), {'background' if background else 'inline'})"):
        dataset = small_disk / "sample_data"
        before = snapshot(dataset)
        args = {
            "scale": "medium",
            "days": 30,
            "workers": workers,
            "background": background,
            "output_dir": "sample_data",
        }
        async with mcp.Client(build_server(make_settings(small_disk))) as client:
            result = await client.call_tool("generate_data", args)
            if background:
                job_id = ok(result)["job_id"]
                status: dict[str, Any] = {"state": "running"}
                with anyio.fail_after(120):
                    while status["state"] == "running":
                        await anyio.sleep(0.1)
                        status = ok(await client.call_tool("get_generation_status", {"job_id": job_id}))
                assert status["state"] == "failed", status
                text = status["error"]
            else:
                text = assert_refused(result, "generate_data")
            assert "No space left on device" in text and "is full" in text, text
            assert "smaller scale" in text and "unchanged" in text, text
            assert snapshot(dataset) == before, "the previous dataset changed"
            assert leftovers(dataset) == [], "the failed run left staging files on the full disk"
            # (The disk space of the deleted staging files comes back once the failed chunk's part
            # writers are released; the core leaves them open until the exception is collected, and
            # pytest's log capture keeps the exception, so the space is not checked here.)
            # the next run (one that fits) succeeds
            ok(await client.call_tool("generate_data", {**SMALL, "seed": 9, "output_dir": "sample_data"}))
            await _validate(client, "sample_data")
        assert snapshot(dataset) != before and leftovers(dataset) == []


async def test_a_disk_that_fills_up_while_the_duckdb_file_is_written_loses_nothing(small_disk: Path) -> None:
    """The Parquet parts of medium/7 days fit the 8 MiB disk, the DuckDB file with its key indexes does not."""
    with counted("disk full while a DuckDB file is written"):
        dataset = small_disk / "sample_data"
        before = snapshot(dataset)
        args = {"scale": "medium", "days": 7, "format": "duckdb", "background": False, "output_dir": "sample_data"}
        async with mcp.Client(build_server(make_settings(small_disk))) as client:
            text = assert_refused(await client.call_tool("generate_data", args), "generate_data")
            assert "No space left on device" in text and "is full" in text and "unchanged" in text, text
            assert snapshot(dataset) == before, "the previous dataset changed"
            assert leftovers(dataset) == [], "the failed run left staging files on the full disk"
            ok(await client.call_tool("generate_data", {**TINY, "format": "duckdb", "output_dir": "sample_data"}))
            await _validate(client, "sample_data")


# --------------------------------------------------------------------------- read-only and immutable folders


async def test_a_read_only_file_system_refuses_writes_cleanly_and_still_serves_reads(tmp_path: Path) -> None:
    with counted("read-only output file system"), tmpfs(tmp_path / "ro", "1g") as mount:
        root = mount / "root"
        dataset = root / "sample_data"
        before = generate_dataset(dataset)
        (root / "proj").mkdir()
        (root / "proj" / "generate_data.py").write_text("print('hi')\n", encoding="utf-8")
        remount(mount, "ro")
        try:
            async with mcp.Client(build_server(make_settings(root))) as client:
                refusals = [
                    ("generate_data", {**TINY, "output_dir": "sample_data"}),
                    ("generate_data", {**TINY, "output_dir": "new/deeper/ds"}),
                    ("generate_data", {**TINY, "output_dir": "another"}),
                    ("init_project", {"project_path": "proj2"}),
                    ("init_project", {"project_path": "proj", "overwrite": True}),
                    ("execute_script", {"project_path": "proj"}),
                ]
                for name, args in refusals:
                    text = assert_refused(await client.call_tool(name, args), name)
                    assert "read-only" in text.lower() or "not writable" in text.lower(), text
                # reading still works
                counted_rows = ok(await client.call_tool("query_dataset", {"sql": "select count(*) from orders"}))
                assert counted_rows["rows"][0][0] > 0
                await _validate(client, "sample_data")
                assert ok(await client.call_tool("list_datasets", {}))["datasets"]
        finally:
            remount(mount, "rw")
        assert snapshot(dataset) == before and leftovers(dataset) == []
        async with mcp.Client(build_server(make_settings(root))) as client:
            ok(await client.call_tool("generate_data", {**SMALL, "seed": 9, "output_dir": "sample_data"}))
            await _validate(client, "sample_data")
        assert snapshot(dataset) != before and leftovers(dataset) == []


def _chattr(flag: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["chattr", flag, str(path)], capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Any]:
    """`chattr +i` (ext4: not even root may create, rename or delete inside); always undone."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    marked: list[Path] = []

    def mark(path: Path) -> None:
        done = _chattr("+i", path)
        if done.returncode != 0:
            pytest.skip(f"chattr +i is not supported here: {done.stderr.strip()}")
        marked.append(path)

    try:
        yield mark
    finally:
        for path in reversed(marked):
            _chattr("-i", path)


async def test_an_immutable_output_folder_refuses_cleanly_and_keeps_the_dataset(tmp_path: Path, immutable: Any) -> None:
    with counted("immutable (chattr +i) output folder"):
        root = tmp_path / "root"
        dataset = root / "sample_data"
        before = generate_dataset(dataset)
        immutable(root)  # no new entry, rename or delete in the data root
        async with mcp.Client(build_server(make_settings(root))) as client:
            for name, args in [
                ("generate_data", {**TINY, "output_dir": "sample_data"}),
                ("generate_data", {**TINY, "output_dir": "fresh"}),
                ("init_project", {"project_path": "proj"}),
            ]:
                assert_refused(await client.call_tool(name, args), name)
            await _validate(client, "sample_data")
        assert snapshot(dataset) == before
        _chattr("-i", root)
        async with mcp.Client(build_server(make_settings(root))) as client:
            ok(await client.call_tool("generate_data", {**SMALL, "seed": 9, "output_dir": "sample_data"}))
        assert snapshot(dataset) != before and leftovers(dataset) == []


# --------------------------------------------------------------------------- scripts that hang or flood


def _project(root: Path, body: str) -> Path:
    project = root / "proj"
    project.mkdir(parents=True, exist_ok=True)
    (project / "generate_data.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return project


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_a_script_that_hangs_past_its_timeout_is_killed_with_its_children(tmp_path: Path) -> None:
    with counted("script hangs past its timeout (child ignores SIGTERM)"):
        root = tmp_path / "root"
        project = _project(
            root,
            f"""
            import subprocess, sys, time
            child = subprocess.Popen([sys.executable, "-c",
                "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
            open({str(tmp_path / "child.pid")!r}, "w").write(str(child.pid))
            print("started a child that ignores SIGTERM", flush=True)
            while True:
                time.sleep(0.1)
            """,
        )
        async with mcp.Client(build_server(make_settings(root))) as client:
            started = time.monotonic()
            result = await client.call_tool("execute_script", {"project_path": "proj", "timeout_sec": 2})
            elapsed = time.monotonic() - started
            text = assert_refused(result, "execute_script", "timeout_sec=2", "killed", quotes_output=True)
            assert "started a child" in text
            assert elapsed < 30, f"the timeout took {elapsed:.1f} s"
            child = int((tmp_path / "child.pid").read_text())
            deadline = time.monotonic() + 10
            while _alive(child) and time.monotonic() < deadline:
                await anyio.sleep(0.1)
            assert not _alive(child), "the script's child survived the timeout"
            log = (project / "generation.log").read_text(encoding="utf-8")
            assert "started a child" in log and "timeout" in log
            # the server keeps serving, and the next run of a working script succeeds
            _project(root, "print('fine now')\n")
            run = ok(await client.call_tool("execute_script", {"project_path": "proj"}))
            assert "fine now" in run["stdout"]


async def test_a_script_that_floods_until_its_timeout_gives_a_short_error_and_a_full_log(tmp_path: Path) -> None:
    with counted("script floods stdout and stderr until its timeout"):
        root = tmp_path / "root"
        project = _project(
            root,
            """
            import sys, time
            line = "flood " * 170 + "\\n"
            for i in range(20):
                sys.stdout.write(line * 1000)
                sys.stderr.write("err " + line)
                sys.stdout.flush()
            print("LAST WORDS", file=sys.stderr, flush=True)
            time.sleep(600)
            """,
        )
        async with mcp.Client(build_server(make_settings(root))) as client:
            result = await client.call_tool("execute_script", {"project_path": "proj", "timeout_sec": 3})
            text = assert_refused(result, "execute_script", "timeout_sec=3", quotes_output=True)
            assert "LAST WORDS" in text
            assert (project / "generation.log").stat().st_size > 20 * 1000 * 1000
            describe = ok(await client.call_tool("describe_schema", {"table": "orders"}))
            assert describe["tables"][0]["name"] == "orders"


async def test_a_script_that_floods_and_succeeds_returns_a_capped_result(tmp_path: Path) -> None:
    with counted("script floods 50 MB and exits 0"):
        root = tmp_path / "root"
        project = _project(
            root,
            """
            import sys
            chunk = ("x" * 1023 + "\\n") * 1024
            for i in range(50):
                sys.stdout.write(chunk)
            sys.stderr.write("e" * 3_000_000)
            print("done")
            """,
        )
        async with mcp.Client(build_server(make_settings(root))) as client:
            result = await client.call_tool("execute_script", {"project_path": "proj"})
            run = ok(result)
            assert run["truncated"] is True
            assert len(result.content[0].text) < 40_000, "the result is too big for an agent's context"
            assert run["stdout"].rstrip().endswith("done")
            assert (project / "generation.log").stat().st_size > 50 * 1024 * 1024


# --------------------------------------------------------------------------- Databricks faults


@pytest.fixture
def workspace(standin: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The stand-in workspace as the server's credentials (environment), with fast retries."""
    import server.adapters.databricks.calls as common
    from server.adapters.databricks.auth import clear_client_cache

    monkeypatch.setattr(common, "RETRY_BASE_DELAY", 0.05)
    monkeypatch.setenv("DATABRICKS_HOST", standin.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", standin.token)
    monkeypatch.setenv("DATABRICKS_AUTH_TYPE", "pat")
    clear_client_cache()
    yield standin
    clear_client_cache()


@pytest.fixture
def local_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    generate_dataset(root / "sample_data")
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _upload_args(volume: Any, **extra: Any) -> dict[str, Any]:
    return {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume, **extra}


async def test_a_volume_upload_that_fails_on_some_files_is_reported_then_retried(
    workspace: Any, local_root: Path
) -> None:
    with counted("Volume upload: some files fail, then the retry lands everything"):
        volume = workspace.create_volume()
        local = _files(local_root / "sample_data")
        broken = sorted(name for name in local if name.startswith("orders/"))[0]
        workspace.faults.fail_file(f"{volume.path}/incoming_data/{broken}", status=500)  # for ever
        async with mcp.Client(build_server(make_settings(local_root))) as client:
            first = ok(await client.call_tool("upload_to_volume", _upload_args(volume)))
            assert first["success"] is False
            assert any(line.startswith(broken) for line in first["errors"]), first["errors"]
            assert first["files_uploaded"] == len(local) - 2  # the broken file and the manifest held back
            landed = _files(workspace.local_path(f"{volume.path}/incoming_data"))
            assert broken not in landed and "_manifest.json" not in landed
            assert all(landed[name] == local[name] for name in landed)
            workspace.faults.clear()
            second = ok(await client.call_tool("upload_to_volume", _upload_args(volume)))
            assert second["success"] is True, second["errors"]
        assert _files(workspace.local_path(f"{volume.path}/incoming_data")) == local


@pytest.mark.parametrize("status", [429, 503, 500])
async def test_throttling_and_transient_errors_are_retried(workspace: Any, local_root: Path, status: int) -> None:
    with counted(f"Volume upload: the workspace answers {status} a few times"):
        volume = workspace.create_volume()
        if status == 500:
            workspace.faults.fail_path(r"/fs/files/.*\.parquet$", status=500, count=3, method="PUT")
        else:
            workspace.faults.throttle(r"/fs/files/.*\.parquet$", count=3, status=status, method="PUT")
        async with mcp.Client(build_server(make_settings(local_root))) as client:
            result = ok(await client.call_tool("upload_to_volume", _upload_args(volume)))
        assert result["success"] is True, result["errors"]
        assert status in {request.status for request in workspace.requests.find("PUT", r"\.parquet$")}
        assert _files(workspace.local_path(f"{volume.path}/incoming_data")) == _files(local_root / "sample_data")


async def test_a_persistent_500_on_the_folder_listing_is_a_clean_error(workspace: Any, local_root: Path) -> None:
    with counted("Volume upload: the folder listing fails with 500 every time"):
        volume = workspace.create_volume()
        workspace.faults.fail_path(r"/fs/directories/", status=500, count=None)
        async with mcp.Client(build_server(make_settings(local_root))) as client:
            result = await client.call_tool("upload_to_volume", _upload_args(volume))
            if result.is_error:
                assert_refused(result, "upload_to_volume")
            else:
                assert result.structured_content["success"] is False
            workspace.faults.clear()
            assert ok(await client.call_tool("upload_to_volume", _upload_args(volume)))["success"] is True


async def test_a_workspace_that_stops_answering_fails_fast_and_recovers(workspace: Any, local_root: Path) -> None:
    with counted("workspace stops answering, then answers again"):
        volume = workspace.create_volume()
        async with mcp.Client(build_server(make_settings(local_root))) as client:
            ok(await client.call_tool("upload_to_volume", _upload_args(volume)))  # the client is built and cached
            workspace.faults.stop_answering()
            started = time.monotonic()
            result = await client.call_tool("upload_to_volume", _upload_args(volume, remote_subfolder="again"))
            elapsed = time.monotonic() - started
            if result.is_error:
                text = assert_refused(result, "upload_to_volume")
            else:
                assert result.structured_content["success"] is False
                text = " ".join(result.structured_content["errors"])
            assert "reach" in text.lower() or "answer" in text.lower() or "connection" in text.lower(), text
            assert elapsed < 60, f"took {elapsed:.0f} s to give up"
            workspace.faults.resume_answering()
            result = ok(await client.call_tool("upload_to_volume", _upload_args(volume, remote_subfolder="again")))
            assert result["success"] is True


async def test_a_job_run_that_fails_is_reported_with_its_error(workspace: Any, tmp_path: Path) -> None:
    with counted("bundle job run fails"):
        job_id = workspace.register_job("retail_data_generation", ASSETS / "job_generate.py")
        workspace.faults.fail_job_runs(job_id, "catalog main does not exist")
        async with mcp.Client(build_server(make_settings(tmp_path / "root"))) as client:
            handle = ok(
                await client.call_tool("trigger_bundle_job", {"catalog": "main", "schema": "s", "wait_sec": 30})
            )
            assert handle["done"] is True and handle["success"] is False and handle["result_state"] == "FAILED"
            assert "get_job_run" in handle["message"]
            details = ok(await client.call_tool("get_job_run", {"run_id": handle["run_id"]}))
            assert details["success"] is False and "catalog main does not exist" in details["error"]
            again = ok(await client.call_tool("cancel_job_run", {"run_id": handle["run_id"]}))
            assert again["result_state"] == "FAILED"  # cancelling an ended run changes nothing


async def test_a_job_run_cancelled_with_the_tool_stops(workspace: Any, tmp_path: Path) -> None:
    with counted("bundle job run cancelled with cancel_job_run"):
        workspace.register_job("retail_data_generation", ASSETS / "job_slow.py", pending_seconds=0)
        async with mcp.Client(build_server(make_settings(tmp_path / "root"))) as client:
            handle = ok(await client.call_tool("trigger_bundle_job", {"catalog": "main", "schema": "s", "wait_sec": 1}))
            assert handle["done"] is False
            cancelled = ok(await client.call_tool("cancel_job_run", {"run_id": handle["run_id"]}))
            assert cancelled["done"] is True and cancelled["result_state"] == "CANCELED"
            details = ok(await client.call_tool("get_job_run", {"run_id": handle["run_id"]}))
            assert details["done"] is True and details["success"] is False


async def test_a_cancelled_tool_call_cancels_the_run_it_started(workspace: Any, tmp_path: Path) -> None:
    with counted("trigger_bundle_job call cancelled by the client"):
        workspace.register_job("retail_data_generation", ASSETS / "job_slow.py", pending_seconds=0)
        async with mcp.Client(build_server(make_settings(tmp_path / "root"))) as client:
            started = time.monotonic()
            with anyio.move_on_after(3) as scope:
                await client.call_tool("trigger_bundle_job", {"catalog": "main", "schema": "s", "wait_sec": 40})
            assert scope.cancelled_caught
            deadline = time.monotonic() + 30
            while not workspace.requests.find("POST", r"/jobs/runs/cancel$") and time.monotonic() < deadline:
                await anyio.sleep(0.1)
            assert workspace.requests.find("POST", r"/jobs/runs/cancel$"), "the run was not cancelled"
            assert time.monotonic() - started < 45
            runs = workspace.requests.find("POST", r"/jobs/run-now$")
            assert len(runs) == 1
            # the server still serves, and the run it started is cancelled
            listed = ok(await client.call_tool("describe_schema", {"table": "stores"}))
            assert listed["tables"]
            run_id = _last_run_id(workspace)
            details: dict[str, Any] = {"done": False}
            while not details["done"] and time.monotonic() < deadline:
                details = ok(await client.call_tool("get_job_run", {"run_id": run_id}))
                await anyio.sleep(0.2)
            assert details["result_state"] == "CANCELED", details


def _last_run_id(workspace: Any) -> int:
    gets = workspace.requests.find("GET", r"/jobs/runs/get$")
    ids = [int(request.query["run_id"]) for request in gets if "run_id" in request.query]
    assert ids, "no run was polled"
    return ids[-1]


async def test_a_cluster_script_that_raises_is_a_result_with_the_error(workspace: Any, tmp_path: Path) -> None:
    with counted("cluster script raises"):
        volume = workspace.create_volume()
        workspace.put_workspace_file("/Users/me/broken.py", "raise RuntimeError('the cluster script broke')\n")
        async with mcp.Client(build_server(make_settings(tmp_path / "root"))) as client:
            args = {
                "cluster_id": workspace.cluster_id,
                "workspace_path": "/Users/me/broken.py",
                "volume_output_path": f"{volume.path}/out",
                "timeout_sec": 60,
            }
            result = await client.call_tool("execute_script_on_cluster", args)
            if result.is_error:
                assert_refused(result, "execute_script_on_cluster", "the cluster script broke")
            else:
                run = result.structured_content
                assert run["success"] is False and "the cluster script broke" in run["error"]
            assert not workspace.open_contexts, "an execution context was left open"
            # a 500 on command submission is a clean error too
            workspace.faults.fail_path(r"/api/1\.2/commands/execute$", status=500, count=None)
            failed = await client.call_tool("execute_script_on_cluster", args)
            if failed.is_error:
                assert refusal_problem(failed, "execute_script_on_cluster") is None
            else:
                assert failed.structured_content["success"] is False
            assert not workspace.open_contexts
