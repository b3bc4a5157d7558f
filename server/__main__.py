"""Entry points of `retail-datagen-mcp`, `retail-datagen mcp` and `python -m server`: the MCP server over stdio.

stdout carries the protocol, so nothing else may ever be written to it: logging goes to stderr
and is configured here, before anything else is imported.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags and environment, then serve MCP over stdin/stdout until the client disconnects."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from server.adapters.secrets import install_log_masking

    install_log_masking()  # secrets never reach the log, whatever a library logs at DEBUG
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
