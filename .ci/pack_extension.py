#!/usr/bin/env python3
"""Pack the Claude Desktop extension: an MCP Bundle (.mcpb) of the repository, built by the official
tool (@anthropic-ai/mcpb, from npm; Node 18+ and npx needed).

    python .ci/pack_extension.py [output.mcpb]      # default: dist/retail-datagen-<version>.mcpb

Only the files git tracks are packed (copied to a staging folder first), less those that .mcpbignore
names, so a local .venv, datasets or caches never end up in the bundle. The manifest (manifest.json at
the root, where mcpb and newcomers look for it) is validated first. The bundle is of type "uv": Claude
Desktop installs Python and the dependencies from pyproject.toml and runs `uv run retail-datagen-mcp`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The CLI major version this manifest (manifest_version 0.4) was validated with.
MCPB = "@anthropic-ai/mcpb@2"


def npx(*args: str) -> None:
    """Run the mcpb CLI through npx (stdin closed, output passed through)."""
    command = shutil.which("npx")
    if command is None:
        raise SystemExit("error: npx (Node.js 18+) is needed to validate and pack the bundle")
    subprocess.run([command, "-y", MCPB, *args], check=True, stdin=subprocess.DEVNULL)


def stage_tracked_files(stage: Path) -> int:
    """Copy every file git tracks (as it is in the work tree) into `stage`; returns how many."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    count = 0
    for name in filter(None, listed.decode("utf-8").split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is skipped
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, stage / name)
            count += 1
    return count


def main(argv: list[str]) -> int:
    version = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))["version"]
    output = Path(argv[0] if argv else ROOT / "dist" / f"retail-datagen-{version}.mcpb").resolve()
    with tempfile.TemporaryDirectory(prefix="retail-datagen-mcpb-") as folder:
        stage = Path(folder) / "retail-datagen"
        stage.mkdir()
        print(f"staged {stage_tracked_files(stage)} tracked files", file=sys.stderr)
        npx("validate", str(stage / "manifest.json"))
        output.parent.mkdir(parents=True, exist_ok=True)
        npx("pack", str(stage), str(output))
    print(output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
