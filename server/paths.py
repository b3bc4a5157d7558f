"""Where the server may read and write: the data root plus the client's MCP roots.

Every path a tool receives goes through `resolve_under_roots`: relative paths resolve under the
data root, `~` expands, symlinks and `..` are resolved, and the result must lie inside one of the
allowed roots. Nothing here touches the file system beyond `Path.resolve`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse


class PathNotAllowedError(ValueError):
    """A path lies outside every allowed root."""


@dataclass(frozen=True)
class AllowedRoots:
    """The data root (relative paths resolve under it) and any extra roots the client granted."""

    data_root: Path
    client_roots: tuple[Path, ...] = ()

    @property
    def all(self) -> tuple[Path, ...]:
        """Data root first, then the client's roots, without duplicates."""
        seen: list[Path] = []
        for root in (self.data_root, *self.client_roots):
            if root not in seen:
                seen.append(root)
        return tuple(seen)

    def describe(self) -> str:
        """The roots as one line for error messages."""
        return ", ".join(str(root) for root in self.all)


def roots_from_uris(uris: Iterable[str]) -> tuple[Path, ...]:
    """Local folders of the client's `file://` root URIs (other schemes are ignored)."""
    paths: list[Path] = []
    for uri in uris:
        parsed = urlparse(str(uri))
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            continue
        path = unquote(parsed.path)
        if not path:
            continue
        paths.append(Path(path).resolve())
    return tuple(paths)


def resolve_under_roots(path: str | os.PathLike[str], roots: AllowedRoots, *, field: str = "path") -> Path:
    """Absolute, symlink-resolved path, refused unless it lies inside an allowed root.

    `field` names the tool argument in the error so the caller knows what to change.
    """
    text = os.fspath(path)
    if not text.strip():
        raise PathNotAllowedError(f"{field} is empty; give a folder name relative to the data root")
    if "\x00" in text:
        raise PathNotAllowedError(f"{field}={text!r} contains a NUL character")
    candidate = Path(os.path.expanduser(text))
    if not candidate.is_absolute():
        candidate = roots.data_root / candidate
    resolved = candidate.resolve()
    if not is_within(resolved, roots.all):
        raise PathNotAllowedError(
            f"{field}={text!r} resolves to {resolved}, which is outside the allowed roots "
            f"({roots.describe()}). Use a path relative to the data root {roots.data_root}, "
            f"or an absolute path inside one of the allowed roots."
        )
    return resolved


def is_within(path: Path, roots: Sequence[Path]) -> bool:
    """True when `path` equals or lies below one of `roots` (both already resolved)."""
    return any(path == root or path.is_relative_to(root) for root in roots)


def templates_dir() -> Path:
    """The repository's `templates/` folder, which init_project copies into a project."""
    return Path(__file__).resolve().parents[1] / "templates"
