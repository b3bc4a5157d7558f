"""Where the server may read and write: the data root plus the client's MCP roots.

Every path a tool receives goes through `resolve_under_roots`: relative paths resolve under the
data root, `~` expands, symlinks and `..` are resolved, and the result must lie inside one of the
allowed roots. Text that no path should hold (control characters, lone surrogates, names longer
than the file system takes) is refused first, so that it never reaches a file system call whose
error would read like a crash. Nothing here touches the file system beyond `Path.resolve`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

#: Longest file or folder name, and longest whole path, in bytes (Linux NAME_MAX and PATH_MAX).
NAME_MAX_BYTES = 255
PATH_MAX_BYTES = 4096
#: Characters of a refused path quoted back in an error.
_SHOWN_CHARS = 200


class PathNotAllowedError(ValueError):
    """A path lies outside every allowed root, or is not a usable path at all."""


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
    from urllib.request import url2pathname  # percent-decodes; on Windows /C:/Users/x becomes C:\Users\x

    paths: list[Path] = []
    for uri in uris:
        parsed = urlparse(str(uri))
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            continue
        path = url2pathname(parsed.path)
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
    check_path_text(text, field=field)
    candidate = Path(os.path.expanduser(text))
    if not candidate.is_absolute():
        candidate = roots.data_root / candidate
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise PathNotAllowedError(
            f"{field}={_shown(text)} cannot be resolved ({exc}); remove the symlink loop or choose another path"
        ) from None
    if len(os.fsencode(resolved)) > PATH_MAX_BYTES:
        raise PathNotAllowedError(
            f"{field}={_shown(text)} is too long: the full path has more than {PATH_MAX_BYTES} bytes; "
            "choose a shorter path"
        )
    if not is_within(resolved, roots.all):
        raise PathNotAllowedError(
            f"{field}={_shown(text)} resolves to {_shown(str(resolved))}, which is outside the allowed roots "
            f"({roots.describe()}). Use a path relative to the data root {roots.data_root}, "
            f"or an absolute path inside one of the allowed roots."
        )
    return resolved


def check_path_text(text: str, *, field: str = "path") -> None:
    """Refuse text that no file system path should hold: NUL and other control characters (a
    newline in a folder name is always a mistake, and breaks logs and listings), text that is not
    valid Unicode, and names longer than the file system accepts."""
    if "\x00" in text:
        raise PathNotAllowedError(f"{field}={_shown(text)} contains a NUL character")
    control = next((ch for ch in text if ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0), None)
    if control is not None:
        raise PathNotAllowedError(
            f"{field}={_shown(text)} contains the control character U+{ord(control):04X}; use printable characters only"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise PathNotAllowedError(
            f"{field}={_shown(text)} is not valid Unicode text (it holds a lone surrogate)"
        ) from None
    if len(text.encode("utf-8")) > PATH_MAX_BYTES:
        raise PathNotAllowedError(
            f"{field}={_shown(text)} is too long ({len(text):,} characters; a path has at most {PATH_MAX_BYTES} "
            "bytes); choose a shorter path"
        )
    longest = max(text.replace("\\", "/").split("/"), key=lambda part: len(part.encode("utf-8")))
    if len(longest.encode("utf-8")) > NAME_MAX_BYTES:
        raise PathNotAllowedError(
            f"{field}={_shown(text)} has a folder or file name of {len(longest.encode('utf-8')):,} bytes; "
            f"a name has at most {NAME_MAX_BYTES} bytes, choose a shorter one"
        )


def _shown(text: str) -> str:
    """`text` quoted for an error message, cut in the middle when long."""
    if len(text) <= _SHOWN_CHARS:
        return repr(text)
    half = _SHOWN_CHARS // 2
    return f"{text[:half]!r}...{text[-half:]!r} ({len(text):,} characters)"


def check_links_inside(folder: Path, roots: AllowedRoots, *, field: str = "path") -> None:
    """Refuse a folder (already resolved) holding symlinks that lead outside the allowed roots.

    `resolve_under_roots` checks the folder itself; a dataset whose table folder or file is a
    link to elsewhere would still make a reader (or an upload) read files outside the roots.
    Walked without following links; a tree of thousands of files takes milliseconds.
    """
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in (*dirnames, *filenames):
            entry = Path(dirpath) / name
            if not entry.is_symlink():
                continue
            try:
                target = entry.resolve()
            except (OSError, RuntimeError):
                target = None
            if target is None or not is_within(target, roots.all):
                raise PathNotAllowedError(
                    f"{field}: {_shown(str(entry))} is a symlink to {_shown(str(target or '?'))}, which is outside "
                    f"the allowed roots ({roots.describe()}); replace the link with the files themselves."
                )


def is_within(path: Path, roots: Sequence[Path]) -> bool:
    """True when `path` equals or lies below one of `roots` (both already resolved)."""
    return any(path == root or path.is_relative_to(root) for root in roots)
