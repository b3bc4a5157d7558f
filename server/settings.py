"""Server settings from command-line flags and environment variables (flags win).

Kept free of heavy imports: it runs before the server answers its first request.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Every toolset the server knows, in registration order; each is the package `server/tools/<name>/`.
KNOWN_TOOLSETS: tuple[str, ...] = ("local", "databricks")
DEFAULT_DATA_ROOT = "~/retail-datagen"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

ENV_ROOT = "RETAIL_DATAGEN_ROOT"
ENV_READ_ONLY = "RETAIL_DATAGEN_READ_ONLY"
ENV_TOOLSETS = "RETAIL_DATAGEN_TOOLSETS"
ENV_LOG_LEVEL = "RETAIL_DATAGEN_LOG_LEVEL"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingsError(ValueError):
    """A flag or environment variable has a value the server cannot use."""


@dataclass(frozen=True)
class Settings:
    """How this server instance behaves: where it may write and which tools it shows."""

    data_root: Path
    read_only: bool = False
    toolsets: tuple[str, ...] = KNOWN_TOOLSETS
    log_level: str = "INFO"

    @classmethod
    def from_sources(cls, argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Parse flags (`argv`, without the program name) over environment variables."""
        env = os.environ if environ is None else environ
        args = _parser().parse_args(list(argv) if argv is not None else [])
        root = args.root if args.root is not None else env.get(ENV_ROOT) or DEFAULT_DATA_ROOT
        read_only = args.read_only or _parse_bool(ENV_READ_ONLY, env.get(ENV_READ_ONLY, ""))
        toolsets_text = args.toolsets if args.toolsets is not None else env.get(ENV_TOOLSETS, "")
        level = (args.log_level or env.get(ENV_LOG_LEVEL) or "INFO").upper()
        if level not in LOG_LEVELS:
            raise SettingsError(f"log level {level!r} is not one of {', '.join(LOG_LEVELS)}")
        return cls(
            data_root=resolve_data_root(root),
            read_only=read_only,
            toolsets=parse_toolsets(toolsets_text),
            log_level=level,
        )


def resolve_data_root(text: str) -> Path:
    """Absolute, symlink-free form of the data root (it need not exist yet)."""
    return Path(os.path.expandvars(text)).expanduser().resolve()


def parse_toolsets(text: str) -> tuple[str, ...]:
    """`local,databricks` -> ('local', 'databricks'); empty or `all` means every toolset."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names or names == ["all"]:
        return KNOWN_TOOLSETS
    unknown = [name for name in names if name not in KNOWN_TOOLSETS]
    if unknown:
        raise SettingsError(
            f"unknown toolset(s) {', '.join(unknown)}; choose from {', '.join(KNOWN_TOOLSETS)} (or 'all')"
        )
    return tuple(name for name in KNOWN_TOOLSETS if name in names)


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retail-datagen-mcp",
        description="MCP stdio server that generates, validates and queries synthetic retail datasets.",
    )
    parser.add_argument(
        "--root",
        default=None,
        help=f"Data root: every path the tools write is under it (or under the client's MCP roots). "
        f"Default: ${ENV_ROOT} or {DEFAULT_DATA_ROOT}.",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=False,
        help=f"Hide every tool that writes (also ${ENV_READ_ONLY}=1).",
    )
    parser.add_argument(
        "--toolsets",
        default=None,
        help=f"Comma-separated toolsets to expose: {', '.join(KNOWN_TOOLSETS)} or all "
        f"(default: ${ENV_TOOLSETS} or all).",
    )
    parser.add_argument(
        "--log-level",
        default=None,
        choices=LOG_LEVELS,
        type=str.upper,
        help=f"Log level of the stderr log (default: ${ENV_LOG_LEVEL} or INFO).",
    )
    return parser
