"""The rules for names and paths (Unity Catalog, Volumes, workspace files, clusters, jobs, PostgreSQL,
DuckDB files), defined once beside the number rules of `generator.rules`, standard library only: the
MCP tools, the Databricks functions, the CLI and the Spark job all check names with these."""

from __future__ import annotations

import re
import unicodedata

from generator.rules import Rule, RuleError

MAX_UC_NAME_LENGTH = 255
MAX_WORKSPACE_PATH_LENGTH = 4096
#: PostgreSQL names (schemas, databases) are at most this many bytes.
MAX_PG_IDENTIFIER_BYTES = 63
#: The database file of a DuckDB dataset, unless named otherwise.
DEFAULT_DUCKDB_FILE = "retail.duckdb"
_UC_FORBIDDEN = {".": "a dot", " ": "a space", "/": "a slash", "`": "a backtick"}
UC_NAME_ACCEPTED = (
    "1 to 255 characters without '.', spaces, '/', backticks, control or invisible characters "
    "(letters, digits and '_' are safe; names are stored lower-case)"
)
_SEGMENTS_ACCEPTED = "segments that are not empty, '.' or '..' and hold no control characters or backslashes"
RELATIVE_FOLDER_ACCEPTED = (
    f"a relative folder path such as incoming_data or runs/2024-06: {_SEGMENTS_ACCEPTED}, "
    "separated by single '/' with none at the start or end"
)
VOLUME_PATH_ACCEPTED = (
    "/Volumes/<catalog>/<schema>/<volume>/<folder> with valid Unity Catalog names and a folder of " + _SEGMENTS_ACCEPTED
)
WORKSPACE_PATH_ACCEPTED = (
    f"an absolute workspace path such as /Workspace/Users/<you>/generate_data.py, with {_SEGMENTS_ACCEPTED}"
)
PG_SCHEMA_ACCEPTED = "a name matching [A-Za-z_][A-Za-z0-9_]* of at most 63 bytes, not pg_... (stored lower-case)"
PG_DATABASE_ACCEPTED = f"a PostgreSQL database name: 1 to {MAX_PG_IDENTIFIER_BYTES} bytes without NUL"
LAKEBASE_INSTANCE_ACCEPTED = "1 to 63 letters, digits and hyphens, not starting or ending with a hyphen"
DUCKDB_FILE_ACCEPTED = "a file name ending in .duckdb (letters, digits, '_', '-', '.'; no folders), e.g. retail.duckdb"
CLUSTER_ID_ACCEPTED = "a cluster id such as 0123-456789-abcdef01 (letters, digits, '-', '_', '.')"
_CLUSTER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
#: Environment variable names, and the PostgreSQL names that never need quoting.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Unicode categories refused in names: controls, invisible formatting characters and every separator.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


def invisible_character(value: str) -> str | None:
    """A description of the first control, invisible or separator character in `value`, or None."""
    for ch in value:
        if unicodedata.category(ch) in _INVISIBLE_CATEGORIES and ch != " ":
            return f"a control or invisible character (U+{ord(ch):04X})"
    return None


def _text(value: object, field: str, accepted: str) -> str:
    if not isinstance(value, str):
        raise RuleError(field, value, accepted, "not a string")
    if not value:
        raise RuleError(field, value, accepted, "empty")
    return value


def _uc_name(value: object, field: str) -> str:
    text = _text(value, field, UC_NAME_ACCEPTED)
    if len(text) > MAX_UC_NAME_LENGTH:
        raise RuleError(field, value, UC_NAME_ACCEPTED, f"{len(text)} characters")
    for ch, what in _UC_FORBIDDEN.items():
        if ch in text:
            raise RuleError(field, value, UC_NAME_ACCEPTED, f"contains {what}")
    bad = invisible_character(text)
    if bad:
        raise RuleError(field, value, UC_NAME_ACCEPTED, f"contains {bad}")
    return text.lower()


def _segments(text: str, field: str, value: object, accepted: str) -> None:
    bad = invisible_character(text)
    if bad:
        raise RuleError(field, value, accepted, f"contains {bad}")
    if "\\" in text:
        raise RuleError(field, value, accepted, "contains a backslash")
    for segment in text.split("/"):
        if segment in ("", ".", ".."):
            raise RuleError(field, value, accepted, f"has a {segment or 'empty'} segment")


def _relative_folder(value: object, field: str) -> str:
    text = _text(value, field, RELATIVE_FOLDER_ACCEPTED)
    if text.startswith("/") or text.endswith("/"):
        raise RuleError(field, value, RELATIVE_FOLDER_ACCEPTED, "starts or ends with '/'")
    _segments(text, field, value, RELATIVE_FOLDER_ACCEPTED)
    return text


def _folder_or_root(value: object, field: str) -> str:
    return "" if value == "" else _relative_folder(value, field)


def volume_path_of(catalog: str, schema: str, volume: str, folder: str = "") -> str:
    """`/Volumes/<catalog>/<schema>/<volume>[/<folder>]` from already checked parts."""
    base = f"/Volumes/{catalog}/{schema}/{volume}"
    return f"{base}/{folder}" if folder else base


def _volume_folder(value: object, field: str) -> str:
    text = _text(value, field, VOLUME_PATH_ACCEPTED)
    if not text.startswith("/Volumes/"):
        raise RuleError(field, value, VOLUME_PATH_ACCEPTED, "does not start with /Volumes/")
    parts = text.removesuffix("/").split("/")[2:]
    if len(parts) < 4:
        raise RuleError(field, value, VOLUME_PATH_ACCEPTED, "needs a catalog, a schema, a volume and a folder inside")
    names = [
        _uc_name(part, f"{field} ({what} part)")
        for part, what in zip(parts[:3], ("catalog", "schema", "volume"), strict=True)
    ]
    folder = "/".join(parts[3:])
    _segments(folder, field, value, VOLUME_PATH_ACCEPTED)
    return volume_path_of(*names, folder)


def _workspace_path(value: object, field: str) -> str:
    text = _text(value, field, WORKSPACE_PATH_ACCEPTED)
    if not text.startswith("/") or text == "/":
        raise RuleError(field, value, WORKSPACE_PATH_ACCEPTED, "not an absolute path")
    if text.endswith("/"):
        raise RuleError(field, value, WORKSPACE_PATH_ACCEPTED, "names a folder, not a file")
    if len(text) > MAX_WORKSPACE_PATH_LENGTH:
        raise RuleError(field, value, WORKSPACE_PATH_ACCEPTED, "too long")
    _segments(text[1:], field, value, WORKSPACE_PATH_ACCEPTED)
    return text


def _cluster_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not _CLUSTER_ID.fullmatch(value):
        raise RuleError(field, value, CLUSTER_ID_ACCEPTED)
    return value


def _printable(value: object, field: str, max_length: int, accepted: str, *, ascii_only: bool = False) -> str:
    text = _text(value, field, accepted)
    if len(text) > max_length:
        raise RuleError(field, value, accepted, f"{len(text)} characters")
    if not text.strip() or not text.isprintable() or (ascii_only and not text.isascii()):
        raise RuleError(field, value, accepted)
    return text


def _job_name(value: object, field: str) -> str:
    return _printable(value, field, 4096, "the name of a job, e.g. retail_data_generation (printable, at most 4096)")


def _idempotency_token(value: object, field: str) -> str:
    return _printable(value, field, 64, "1 to 64 printable ASCII characters", ascii_only=True)


def _env(value: object, field: str) -> dict[str, str]:
    accepted = "a mapping of NAME -> string value (names: letters, digits, '_'; values without NUL)"
    if not isinstance(value, dict):
        raise RuleError(field, value, accepted, "not a mapping")
    for key, item in value.items():
        if not isinstance(key, str) or not _IDENTIFIER.fullmatch(key):
            raise RuleError(f"{field} name", key, accepted)
        if not isinstance(item, str) or "\x00" in item:
            raise RuleError(f"{field}[{key}]", item, accepted)
    return dict(value)


def _pg_schema(value: object, field: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise RuleError(field, value, PG_SCHEMA_ACCEPTED)
    size = len(value.encode())
    if size > MAX_PG_IDENTIFIER_BYTES:
        raise RuleError(field, value, PG_SCHEMA_ACCEPTED, f"{size} bytes")
    if value.lower().startswith("pg_"):
        raise RuleError(field, value, PG_SCHEMA_ACCEPTED, "names starting with pg_ are reserved by PostgreSQL")
    return value.lower()


def _pg_database(value: object, field: str) -> str:
    text = _text(value, field, PG_DATABASE_ACCEPTED)
    if "\x00" in text or len(text.encode()) > MAX_PG_IDENTIFIER_BYTES:
        raise RuleError(field, value, PG_DATABASE_ACCEPTED)
    return text


def _pattern_rule(pattern: str, accepted: str, *, lower: bool = False) -> Rule:
    compiled = re.compile(pattern)

    def check(value: object, field: str) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise RuleError(field, value, accepted)
        return value.lower() if lower else value

    return Rule(check, {"type": "string", "pattern": f"^{pattern}$"})


#: A prefix put before the seven table names (may be empty).
TABLE_PREFIX = _pattern_rule("[A-Za-z0-9_]*", "letters, digits and '_' only (or nothing)")
#: A Spark data source name (delta, parquet, ...).
TABLE_FORMAT = _pattern_rule("[A-Za-z][A-Za-z0-9_]*", "a data source name such as delta or parquet", lower=True)
UC_NAME = Rule(_uc_name, {"type": "string", "minLength": 1, "maxLength": MAX_UC_NAME_LENGTH})
RELATIVE_FOLDER = Rule(_relative_folder, {"type": "string", "minLength": 1})
#: A folder inside a volume, or "" for the volume's root.
FOLDER_OR_ROOT = Rule(_folder_or_root, {"type": "string"})
VOLUME_FOLDER = Rule(_volume_folder, {"type": "string", "pattern": "^/Volumes/"})
WORKSPACE_PATH = Rule(_workspace_path, {"type": "string", "pattern": "^/"})
CLUSTER_ID = Rule(_cluster_id, {"type": "string", "pattern": _CLUSTER_ID.pattern})
JOB_NAME = Rule(_job_name, {"type": "string", "minLength": 1, "maxLength": 4096})
IDEMPOTENCY_TOKEN = Rule(_idempotency_token, {"type": "string", "minLength": 1, "maxLength": 64})
ENV = Rule(_env, {"type": "object", "additionalProperties": {"type": "string"}})
#: A SQL warehouse id: 16 hexadecimal digits (the SQL Warehouses page shows it), stored lower-case.
WAREHOUSE_ID = _pattern_rule(
    "[0-9a-fA-F]{16}", "a SQL warehouse id: 16 hexadecimal digits, e.g. 1234567890abcdef", lower=True
)
#: A PostgreSQL schema the loader creates or replaces (quoted identifiers are never needed).
PG_SCHEMA = Rule(_pg_schema, {"type": "string", "pattern": f"^{_IDENTIFIER.pattern}$", "maxLength": 63})
PG_DATABASE = Rule(_pg_database, {"type": "string", "minLength": 1, "maxLength": MAX_PG_IDENTIFIER_BYTES})
#: The name of a Databricks Lakebase (provisioned) database instance.
LAKEBASE_INSTANCE = _pattern_rule("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", LAKEBASE_INSTANCE_ACCEPTED)
#: The file of a DuckDB dataset inside its folder.
DUCKDB_FILE = _pattern_rule(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,240}\.duckdb", DUCKDB_FILE_ACCEPTED)
