"""Time from spawning the MCP server to its tools/list answer, over stdio, as a client does it.

Each round starts `python -m server` in a fresh process, sends `initialize` (the handshake that
Claude Desktop and Cursor use), `notifications/initialized` and `tools/list` as newline-delimited
JSON-RPC, and stops the clock when the tools/list result arrives. The figure printed is the median
of the rounds; it includes interpreter start-up and every import the server does before it answers.
For scale it also prints how long a bare `import mcp.server.mcpserver` takes in a fresh interpreter
(the SDK's own floor); the machine's load moves both figures together.

Usage: python bench/server_startup.py [--rounds 5] [--budget 1.5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import IO, Any

PROTOCOL_VERSION = "2025-06-18"
READ_TIMEOUT_SEC = 30.0


def _send(stream: IO[bytes], message: dict[str, Any]) -> None:
    stream.write((json.dumps(message) + "\n").encode())
    stream.flush()


def _read_response(stream: IO[bytes], request_id: int) -> dict[str, Any]:
    """The response to `request_id` (notifications and other messages are skipped)."""
    while True:
        line = stream.readline()
        if not line:
            raise RuntimeError("the server closed stdout before answering")
        message = json.loads(line)
        if message.get("id") == request_id:
            if "error" in message:
                raise RuntimeError(f"request {request_id} failed: {message['error']}")
            return message["result"]


def one_round(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds to the initialize result, seconds to the tools/list result, and the tool count."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        _send(
            process.stdin,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": PROTOCOL_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "startup-bench", "version": "1"},
                },
            },
        )
        _read_response(process.stdout, 1)
        initialized = time.perf_counter() - started
        _send(process.stdin, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _send(process.stdin, {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        tools = _read_response(process.stdout, 2)["tools"]
        listed = time.perf_counter() - started
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return initialized, listed, len(tools)


def sdk_floor(env: dict[str, str]) -> float:
    """Seconds for a fresh interpreter to import the MCP SDK alone: the part no server code can save."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import mcp.server.mcpserver"], check=True, env=env)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="server starts to time (default 5)")
    parser.add_argument("--budget", type=float, default=1.5, help="seconds the median must stay under")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="retail-datagen-bench-") as root:
        env = dict(os.environ, RETAIL_DATAGEN_ROOT=root)
        command = [sys.executable, "-m", "server"]
        results = [one_round(command, env) for _ in range(args.rounds)]
        floor = statistics.median(sdk_floor(env) for _ in range(args.rounds))
    init_median = statistics.median(r[0] for r in results)
    list_median = statistics.median(r[1] for r in results)
    rounds = ", ".join(f"{r[1]:.3f}" for r in results)
    print(f"server start -> initialize result: median {init_median:.3f} s")
    print(f"server start -> tools/list result: median {list_median:.3f} s ({results[0][2]} tools; rounds: {rounds})")
    print(f"python -c 'import mcp.server.mcpserver' alone: median {floor:.3f} s (the SDK's share)")
    print(f"budget {args.budget:.2f} s: {'ok' if list_median < args.budget else 'OVER'}")
    return 0 if list_median < args.budget else 1


if __name__ == "__main__":
    raise SystemExit(main())
