"""How much of an agent's context the tool list costs before its first call, per tool and in total.

Two figures per tool, from the server's `tools/list` answer as a real MCP client receives it (in
process; the stdio answer is the same JSON, a test checks that):

- model: what the model reads to choose and call a tool: its name, description and input schema;
- full: the whole entry as sent (title, annotations and output schema included), which is what a
  client that forwards the raw list pays.

Sizes are compact JSON characters; tokens are estimated as characters / 4 (about right for English
text and JSON with Claude's and GPT's tokenizers; a real tokenizer differs by some 10-20 %).

Usage: python bench/tool_list_size.py [--toolsets local,databricks] [--read-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import mcp

from server.app import build_server
from server.settings import Settings, parse_toolsets

CHARS_PER_TOKEN = 4


def compact(value: Any) -> int:
    """Characters of `value` as compact JSON (how clients serialise it for the model)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


async def sizes(settings: Settings) -> list[tuple[str, int, int]]:
    """(name, model-facing characters, full characters) per tool, in listing order."""
    async with mcp.Client(build_server(settings)) as client:
        tools = (await client.list_tools()).tools
    rows = []
    for tool in tools:
        model = {"name": tool.name, "description": tool.description, "inputSchema": tool.input_schema}
        full = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
        rows.append((tool.name, compact(model), compact(full)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toolsets", default="", help="comma-separated toolsets (default: all)")
    parser.add_argument("--read-only", action="store_true", help="only the read-only tools")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="retail-datagen-bench-") as root:
        settings = Settings(data_root=Path(root), read_only=args.read_only, toolsets=parse_toolsets(args.toolsets))
        rows = asyncio.run(sizes(settings))
    rows.append((f"total ({len(rows)} tools)", sum(row[1] for row in rows), sum(row[2] for row in rows)))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'tool':<{width}}  {'model chars':>11}  {'~tokens':>7}  {'full chars':>10}  {'~tokens':>7}")
    for name, model, full in rows:
        model_tokens, full_tokens = model // CHARS_PER_TOKEN, full // CHARS_PER_TOKEN
        print(f"{name:<{width}}  {model:>11,}  {model_tokens:>7,}  {full:>10,}  {full_tokens:>7,}")
    print("model = name + description + input schema; full = the whole tools/list entry; tokens ~ chars / 4")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
