"""Validation of Unity Catalog names, Volume paths, workspace paths and other identifiers.

Everything here runs before any HTTP call, so a bad value costs nothing and the error says
which field was wrong, what was given and what is accepted.

Unity Catalog names (catalog, schema, volume): 1 to 255 characters, none of ``.``, space,
``/``, backtick, ASCII control characters (0x00-0x1F) or DEL (0x7F). Unity Catalog stores
names lower-case, so they are returned lower-cased: ``Main`` and ``main`` are the same
catalog, and the ``/Volumes/main/...`` path is the canonical one.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .errors import InvalidNameError, InvalidParameterError

MAX_UC_NAME_LENGTH = 255
_UC_FORBIDDEN = {".": "a dot", " ": "a space", "/": "a slash", "`": "a backtick"}
UC_ACCEPTED = (
    "1 to 255 characters without '.', spaces, '/', backticks or control characters "
    "(letters, digits and '_' are safe; names are stored lower-case)"
)
_SEGMENT_ACCEPTED = "path segments that are not empty, '.' or '..' and hold no control characters or backslashes"
_CLUSTER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _control_char(value: str) -> str | None:
    for ch in value:
        if ord(ch) < 32 or ord(ch) == 127:
            return f"a control character (U+{ord(ch):04X})"
    return None


def validate_uc_name(value: Any, field: str) -> str:
    """A catalog, schema or volume name, lower-cased; ``InvalidNameError`` when not valid."""
    if not isinstance(value, str):
        raise InvalidNameError(field, value, UC_ACCEPTED, reason="not a string")
    if not value:
        raise InvalidNameError(field, value, UC_ACCEPTED, reason="empty")
    if len(value) > MAX_UC_NAME_LENGTH:
        raise InvalidNameError(field, value, UC_ACCEPTED, reason=f"{len(value)} characters")
    for ch, what in _UC_FORBIDDEN.items():
        if ch in value:
            raise InvalidNameError(field, value, UC_ACCEPTED, reason=f"contains {what}")
    bad = _control_char(value)
    if bad:
        raise InvalidNameError(field, value, UC_ACCEPTED, reason=f"contains {bad}")
    return value.lower()


def validate_relative_path(value: Any, field: str, *, allow_empty: bool = False) -> str:
    """A relative folder path inside a volume (``incoming_data``, ``runs/2024``), normalised.

    Leading and trailing slashes are dropped; empty, ``.`` and ``..`` segments, backslashes and
    control characters are refused.
    """
    accepted = f"a relative folder path made of {_SEGMENT_ACCEPTED}" + (", or ''" if allow_empty else "")
    if not isinstance(value, str):
        raise InvalidNameError(field, value, accepted, reason="not a string")
    stripped = value.strip("/")
    if not stripped:
        if allow_empty:
            return ""
        raise InvalidNameError(field, value, accepted, reason="empty")
    bad = _control_char(stripped)
    if bad:
        raise InvalidNameError(field, value, accepted, reason=f"contains {bad}")
    if "\\" in stripped:
        raise InvalidNameError(field, value, accepted, reason="contains a backslash")
    for segment in stripped.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidNameError(field, value, accepted, reason=f"has a {segment or 'empty'!s} segment")
    return stripped


def volume_path(catalog: str, schema: str, volume: str, subpath: str = "") -> str:
    """``/Volumes/<catalog>/<schema>/<volume>[/<subpath>]`` from already validated parts."""
    base = f"/Volumes/{catalog}/{schema}/{volume}"
    return f"{base}/{subpath}" if subpath else base


def validate_volume_path(value: Any, field: str = "volume_path", *, require_subpath: bool = False) -> str:
    """A ``/Volumes/<catalog>/<schema>/<volume>[/<path>]`` path, normalised (names lower-cased).

    ``require_subpath=True`` refuses the volume root itself (a folder inside is needed).
    """
    accepted = "/Volumes/<catalog>/<schema>/<volume>/<relative path> with valid Unity Catalog names and " + (
        _SEGMENT_ACCEPTED
    )
    if not isinstance(value, str):
        raise InvalidNameError(field, value, accepted, reason="not a string")
    if not value.startswith("/Volumes/"):
        raise InvalidNameError(field, value, accepted, reason="does not start with /Volumes/")
    parts = value.rstrip("/").split("/")[2:]
    if len(parts) < 3:
        raise InvalidNameError(field, value, accepted, reason="needs a catalog, a schema and a volume")
    if "" in parts:
        raise InvalidNameError(field, value, accepted, reason="has an empty segment")
    catalog = validate_uc_name(parts[0], f"{field} (catalog part)")
    schema = validate_uc_name(parts[1], f"{field} (schema part)")
    volume = validate_uc_name(parts[2], f"{field} (volume part)")
    rest = validate_relative_path("/".join(parts[3:]), field, allow_empty=True)
    if not rest and require_subpath:
        raise InvalidNameError(field, value, accepted, reason="points at the volume root; name a folder inside")
    return volume_path(catalog, schema, volume, rest)


def validate_workspace_path(value: Any, field: str = "workspace_path") -> str:
    """An absolute workspace path (``/Workspace/Users/me/generate_data.py``, ``/Users/...``)."""
    accepted = f"an absolute workspace path such as /Workspace/Users/<you>/generate_data.py, with {_SEGMENT_ACCEPTED}"
    if not isinstance(value, str):
        raise InvalidParameterError(field, value, accepted, reason="not a string")
    if not value.startswith("/") or value.rstrip("/") == "":
        raise InvalidParameterError(field, value, accepted, reason="not an absolute path")
    if value.endswith("/"):
        raise InvalidParameterError(field, value, accepted, reason="names a folder, not a file")
    if len(value) > 4096:
        raise InvalidParameterError(field, value, accepted, reason="too long")
    bad = _control_char(value)
    if bad:
        raise InvalidParameterError(field, value, accepted, reason=f"contains {bad}")
    if "\\" in value:
        raise InvalidParameterError(field, value, accepted, reason="contains a backslash")
    for segment in value.split("/")[1:]:
        if segment in ("", ".", ".."):
            raise InvalidParameterError(field, value, accepted, reason=f"has a {segment or 'empty'!s} segment")
    return value


def validate_cluster_id(value: Any, field: str = "cluster_id") -> str:
    """A cluster id such as ``0123-456789-abcdef01``."""
    accepted = "a cluster id such as 0123-456789-abcdef01 (letters, digits, '-', '_', '.')"
    if not isinstance(value, str) or not _CLUSTER_ID.fullmatch(value):
        raise InvalidParameterError(field, value, accepted)
    return value


def validate_positive_number(value: Any, field: str, *, maximum: float | None = None) -> float:
    """A finite number > 0 (and <= ``maximum``); booleans are refused."""
    accepted = "a number greater than 0" + (f" and at most {maximum:g}" if maximum is not None else "")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameterError(field, value, accepted, reason="not a number")
    number = float(value)
    if not math.isfinite(number) or number <= 0 or (maximum is not None and number > maximum):
        raise InvalidParameterError(field, value, accepted)
    return number


def validate_int(value: Any, field: str, *, minimum: int, maximum: int | None = None) -> int:
    """An integer in ``[minimum, maximum]``; booleans and floats are refused."""
    accepted = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(field, value, accepted, reason="not an integer")
    if value < minimum or (maximum is not None and value > maximum):
        raise InvalidParameterError(field, value, accepted)
    return value


def validate_env(env: Any, field: str = "extra_env") -> dict[str, str]:
    """Environment variables to pass to a script: names like ``FOO_BAR``, string values without NUL."""
    accepted = "a mapping of NAME -> string value (names: letters, digits, '_'; values without NUL)"
    if env is None:
        return {}
    if not isinstance(env, dict):
        raise InvalidParameterError(field, env, accepted, reason="not a mapping")
    out: dict[str, str] = {}
    for key, value in env.items():
        if not isinstance(key, str) or not _ENV_NAME.fullmatch(key):
            raise InvalidParameterError(f"{field} name", key, accepted)
        if not isinstance(value, str) or "\x00" in value:
            raise InvalidParameterError(f"{field}[{key}]", value, accepted)
        out[key] = value
    return out
