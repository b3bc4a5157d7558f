"""Entry points of `retail-datagen-mcp`, `retail-datagen mcp` and `python -m server`: the MCP server over stdio.

stdout carries the protocol, so nothing else may ever be written to it: logging goes to stderr
and is configured here, before anything else is imported.
"""

from __future__ import annotations

import functools
import logging
import subprocess
import sys
from collections.abc import Sequence
from typing import Any


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags and environment, then serve MCP over stdin/stdout until the client disconnects."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from server.adapters.secrets import install_log_masking

    install_log_masking()  # secrets never reach the log, whatever a library logs at DEBUG
    close_stdin_of_children()
    from server.settings import Settings, SettingsError

    try:
        settings = Settings.from_sources(sys.argv[1:] if argv is None else argv)
    except SettingsError as exc:
        logging.getLogger("server").error("Invalid setting: %s", exc)
        raise SystemExit(2) from None
    logging.getLogger().setLevel(settings.log_level)

    from server.app import build_server

    server = build_server(settings)
    logging.getLogger("server").info(
        "retail-datagen MCP server: data root %s, toolsets %s%s",
        settings.data_root,
        ",".join(settings.toolsets),
        ", read-only" if settings.read_only else "",
    )
    server.run("stdio")


def close_stdin_of_children() -> None:
    """Start every child process of this server with stdin closed (/dev/null) unless the caller gives
    one: the server's own stdin is the MCP stream, and a child that inherits it hangs Claude Desktop on
    Windows (or reads protocol bytes). This project's own children pass stdin=DEVNULL already (a test
    checks the source); this also covers libraries that start programs, such as the Databricks SDK's
    `databricks auth token` and `az` credential helpers."""
    original = subprocess.Popen.__init__
    if getattr(original, "closes_stdin", False):
        return

    @functools.wraps(original)
    def init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
        if len(args) < 4 and kwargs.get("stdin") is None:  # stdin is Popen's fourth positional parameter
            kwargs["stdin"] = subprocess.DEVNULL
        original(self, *args, **kwargs)

    init.closes_stdin = True  # type: ignore[attr-defined]
    subprocess.Popen.__init__ = init  # type: ignore[method-assign]


#: `retail-datagen mcp [flags]` starts the server (see `command`).
MCP_SUBCOMMAND = "mcp"


def command(argv: Sequence[str] | None = None) -> None:
    """Entry point of `retail-datagen`: `retail-datagen mcp [flags]` serves MCP, any other subcommand
    is the generator's command line (generator.cli, which never imports the server).

    Why here: `uvx <package>` and the MCP Registry's clients run the command named like the package,
    so `uvx retail-datagen mcp` (server.json's package arguments) must reach the server.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == [MCP_SUBCOMMAND]:
        main(args[1:])
        return
    from generator.cli import main as generator_command

    raise SystemExit(generator_command(args))


if __name__ == "__main__":
    main()
