"""The server as a subprocess over stdio, the way Claude Desktop and Cursor start it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import mcp
import pytest
from mcp.types import ListRootsResult, Root

from server.app import build_server
from tests.server.mcp_helpers import REPO, SMALL, error_text, make_settings, ok, stdio_params


async def test_stdio_lists_the_same_tools_as_in_process(tmp_path: Path) -> None:
    async with mcp.Client(stdio_params(tmp_path)) as client:
        over_stdio = (await client.list_tools()).tools
    async with mcp.Client(build_server(make_settings(tmp_path))) as client:
        in_process = (await client.list_tools()).tools
    assert [tool.model_dump() for tool in over_stdio] == [tool.model_dump() for tool in in_process]


async def test_generate_and_query_over_stdio_with_progress(tmp_path: Path) -> None:
    root = tmp_path / "root"
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with mcp.Client(stdio_params(root)) as client:
        generated = ok(await client.call_tool("generate_data", SMALL, progress_callback=on_progress))
        assert generated["output_dir"] == str(root.resolve() / "sample_data")
        counted = ok(await client.call_tool("query_dataset", {"sql": "select count(*) from orders"}))
        assert counted["rows"][0][0] == generated["result"]["tables"]["orders"]["rows"]
        bad = error_text(await client.call_tool("query_dataset", {"sql": "delete from orders"}))
        assert "DELETE" in bad
    assert progress and progress == sorted(progress)
    assert (root / "sample_data" / "_manifest.json").is_file()


async def test_read_only_flag_over_stdio(tmp_path: Path) -> None:
    async with mcp.Client(stdio_params(tmp_path, "--read-only")) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert "generate_data" not in names and "execute_script" not in names and "query_dataset" in names


async def test_retail_datagen_mcp_subcommand_serves_and_other_subcommands_stay_the_cli(tmp_path: Path) -> None:
    """`retail-datagen mcp` is what MCP Registry clients run (`uvx retail-datagen mcp`)."""
    params = stdio_params(tmp_path, "--read-only")
    entry = "from server.__main__ import command; command()"
    params = params.model_copy(update={"args": ["-c", entry, "mcp", "--read-only"]})
    async with mcp.Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert "query_dataset" in names and "generate_data" not in names
    cli = [sys.executable, "-c", entry]
    estimate = subprocess.run(
        [*cli, "estimate", "--days", "2"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert estimate.returncode == 0 and "total" in estimate.stdout, estimate.stderr
    missing = subprocess.run(cli, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert missing.returncode == 2 and "required: command" in missing.stderr


async def test_toolsets_env_over_stdio(tmp_path: Path) -> None:
    async with mcp.Client(stdio_params(tmp_path, RETAIL_DATAGEN_TOOLSETS="databricks")) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert "generate_data" not in names


async def test_cancellation_over_stdio_leaves_no_partial_output(tmp_path: Path) -> None:
    root = tmp_path / "root"
    args = {"scale": "medium", "days": 120, "workers": 1, "background": False, "output_dir": "big"}
    async with mcp.Client(stdio_params(root)) as client:
        with anyio.move_on_after(0.7) as scope:
            await client.call_tool("generate_data", args)
        assert scope.cancelled_caught
        # the server stops the run at its next chunk; wait (session open) until it cleaned up
        deadline = time.monotonic() + 30
        leftovers: list[str] = []
        while time.monotonic() < deadline:
            leftovers = [p.name for p in root.iterdir() if not p.name.endswith(".lock")] if root.exists() else []
            if not leftovers:
                break
            await anyio.sleep(0.2)
        assert leftovers == []
        assert ok(await client.call_tool("list_datasets", {}))["datasets"] == []


async def test_legacy_handshake_client_roots_are_honoured(tmp_path: Path) -> None:
    """Claude Desktop and Cursor speak the initialize handshake; roots arrive via roots/list (as
    percent-encoded file:// URIs: the folder's name has a space and non-ASCII letters)."""
    granted = tmp_path / "granted folder ü é"
    granted.mkdir()

    async def list_roots(_context: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=granted.as_uri())])

    async with mcp.Client(stdio_params(tmp_path / "root"), mode="legacy", list_roots_callback=list_roots) as client:
        result = ok(await client.call_tool("generate_data", {**SMALL, "output_dir": str(granted / "données")}))
    assert result["status"] == "succeeded"
    assert (granted / "données" / "_manifest.json").is_file()


def _rpc(process: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert process.stdin is not None
    process.stdin.write((json.dumps(message) + "\n").encode())
    process.stdin.flush()


def _until_response(process: subprocess.Popen[bytes], request_id: int, seen: list[dict[str, Any]]) -> dict[str, Any]:
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        assert line, "the server closed stdout"
        message = json.loads(line)  # any non-JSON line on stdout fails here
        assert message.get("jsonrpc") == "2.0"
        seen.append(message)
        if message.get("id") == request_id:
            return message


def test_stdout_carries_only_protocol_messages(tmp_path: Path) -> None:
    """Worker processes and scripts that print must never reach the protocol stream."""
    root = tmp_path / "root"
    project = root / "proj"
    project.mkdir(parents=True)
    (project / "generate_data.py").write_text("print('hello from the script')\n", encoding="utf-8")
    env = {**os.environ, "RETAIL_DATAGEN_ROOT": str(root)}
    stderr_path = tmp_path / "stderr.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr_path.open("wb"),  # a file: a full stderr pipe would block the server
        env=env,
        cwd=REPO,
    )
    seen: list[dict[str, Any]] = []
    try:
        _rpc(
            process,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            },
        )
        _until_response(process, 1, seen)
        _rpc(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        calls = [
            ("generate_data", {**SMALL, "workers": 2}),
            ("execute_script", {"project_path": "proj"}),
            ("describe_schema", {}),
        ]
        for request_id, (name, arguments) in enumerate(calls, start=2):
            _rpc(
                process,
                {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "method": "tools/call",
                    "params": {"name": name, "arguments": arguments},
                },
            )
            response = _until_response(process, request_id, seen)
            assert response["result"]["isError"] is False, response
    finally:
        try:
            rest, _ = process.communicate(timeout=20)  # closes stdin: the server must exit cleanly
        except subprocess.TimeoutExpired:
            process.kill()
            rest, _ = process.communicate()
    stderr = stderr_path.read_bytes()
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
    for line in rest.splitlines():  # anything written after the last response must be protocol too
        assert json.loads(line)["jsonrpc"] == "2.0"
    script_result = next(m for m in seen if m.get("id") == 3)["result"]["structuredContent"]
    assert script_result["stdout"] == "hello from the script\n"  # captured, not leaked to stdout
    assert b"retail-datagen MCP server" in stderr  # the log goes to stderr


_CHILD_READS_STDIN = (
    "import subprocess, sys\n"
    "{guard}"
    "child = subprocess.run([sys.executable, '-c', 'import sys; print(repr(sys.stdin.read()))'],"
    " capture_output=True, text=True, timeout=30)\n"
    "print(child.stdout.strip())\n"
)


@pytest.mark.parametrize("guarded", [True, False])
def test_no_child_of_the_server_inherits_its_stdin(guarded: bool) -> None:
    """A library's child (the Databricks SDK's `databricks auth token`, say) started without stdin= gets
    /dev/null, not the MCP stream; without the guard it would read the protocol's bytes."""
    guard = "from server.__main__ import close_stdin_of_children; close_stdin_of_children()\n" if guarded else ""
    parent = subprocess.run(
        [sys.executable, "-c", _CHILD_READS_STDIN.format(guard=guard)],
        input='{"jsonrpc": "2.0"}',
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert parent.returncode == 0, parent.stderr
    assert parent.stdout.strip() == ("''" if guarded else repr('{"jsonrpc": "2.0"}'))


def test_every_child_process_in_the_source_is_started_with_its_own_stdin() -> None:
    """generator/ and server/ start children with stdin=DEVNULL (or input=) spelled out, so that they do
    not depend on the guard (the portable script and the CLI run without it)."""
    starters = {"Popen", "run", "call", "check_call", "check_output"}
    missing = []
    for path in sorted([*REPO.joinpath("generator").rglob("*.py"), *REPO.joinpath("server").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "subprocess"
                and node.func.attr in starters
                and not {keyword.arg for keyword in node.keywords} & {"stdin", "input"}
            ):
                missing.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert missing == []
    assert any("stdin=subprocess.DEVNULL" in p.read_text() for p in REPO.joinpath("server", "adapters").glob("*.py"))
