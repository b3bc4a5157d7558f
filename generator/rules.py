"""Every input rule of the project, defined once: a plain function per rule, standard library only.

Why here: the same rule guards the MCP tools, the plain Databricks functions, the CLI, the script
contract and the Spark job, and some of those run where neither pydantic nor the Databricks SDK is
installed. `generator.fields` wraps each rule as a pydantic field type for the validated layers.

A rule takes the value as given (a typed value, or text from a command line or an environment
variable), returns the normalised value, and raises `RuleError` naming the field, the value and
what is accepted.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

T = TypeVar("T")

SCALES = ("small", "medium", "large")
#: What a run does with a dataset already in its output folder (see generator.modes).
MODES = ("overwrite", "incremental", "merge")
MAX_SCALE_FACTOR = 1000.0
MAX_DAYS = 365
MAX_SEED = 2**63 - 1
MAX_ID = 2**63 - 1
MIN_END_DATE = date(1971, 1, 1)
MAX_END_DATE = date(2199, 12, 31)
MAX_WORKERS = 64
MAX_UC_NAME_LENGTH = 255
MAX_WORKSPACE_PATH_LENGTH = 4096
#: Longest run of a script on a cluster (a stopped cluster may first need minutes to start).
MAX_CLUSTER_TIMEOUT_SEC = 4 * 3600
#: Longest local script run.
MAX_SCRIPT_TIMEOUT_SEC = 3600
#: Shown values are cut to this many characters, so a huge argument never floods a message.
MAX_SHOWN_CHARS = 120
#: PostgreSQL names (schemas, databases) are at most this many bytes.
MAX_PG_IDENTIFIER_BYTES = 63
#: Tables a PostgreSQL load fills at once.
MAX_LOAD_WORKERS = 16
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


def shown(value: object) -> str:
    """`repr(value)`, cut in the middle past MAX_SHOWN_CHARS characters."""
    text = repr(value)
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    half = MAX_SHOWN_CHARS // 2
    return f"{text[:half]}...{text[-half:]} ({len(str(value)):,} characters)"


class RuleErrors(ValueError):
    """Refused values: every bad field of one call is reported together (`errors`)."""

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


class RuleError(RuleErrors):
    """A value that a rule refuses: the field, the value, why, and what is accepted. It is also the
    RuleErrors of that one value, so callers catch one type whatever raised."""

    def __init__(self, field: str, value: object, accepted: str, reason: str | None = None) -> None:
        self.field = field
        self.value = value
        self.accepted = accepted
        self.reason = reason
        self.errors = [self]
        ValueError.__init__(self, f"{field}={shown(value)}: {self.detail}")

    @property
    def detail(self) -> str:
        """Why and what is accepted, without the field and value (for messages that show those already)."""
        if not self.accepted:
            return self.reason or "refused"
        return f"{self.reason}; must be {self.accepted}" if self.reason else f"must be {self.accepted}"


def refusal(field: str, value: object, accepted: str, reason: str | None = None) -> RuleError:
    """A refused value that no Rule checks (a check across fields, an API limit), as its RuleError."""
    return RuleError(field, value, accepted, reason)


@dataclass(frozen=True)
class Rule:
    """A rule and what the agent sees of it in a JSON schema (bounds, lengths), kept side by side."""

    check: Callable[[Any, str], Any]
    json_schema: dict[str, Any]

    def __call__(self, value: object, field: str) -> Any:
        return self.check(value, field)


def check_all(**checks: tuple[Rule | Callable[[Any, str], Any], object]) -> dict[str, Any]:
    """Apply `rule(value, field)` to every `field=(rule, value)`; RuleErrors lists every refusal."""
    values: dict[str, Any] = {}
    errors: list[RuleError] = []
    for field, (rule, value) in checks.items():
        try:
            values[field] = rule(value, field)
        except RuleError as exc:
            errors.append(exc)
    if errors:
        raise RuleErrors(errors)
    return values


# --------------------------------------------------------------------------- numbers


def _whole_number(given: object, field: str, low: int, high: int, accepted: str) -> int:
    value = given
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(field, given, accepted, "not a whole number")
    if not low <= value <= high:
        raise RuleError(field, given, accepted)
    return value


def _number(value: object, field: str, accepted: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise RuleError(field, value, accepted, "not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(field, value, accepted, "not a number")
    return float(value)


def whole_number(low: int, high: int) -> Rule:
    accepted = f"a whole number from {low} to {high}"
    return Rule(
        lambda value, field: _whole_number(value, field, low, high, accepted),
        {"type": "integer", "minimum": low, "maximum": high},
    )


def number_between(low: float, high: float) -> Rule:
    """A finite number from `low` to `high` (seconds to wait, limits)."""
    accepted = f"a number from {low:g} to {high:g}"

    def check(value: object, field: str) -> float:
        number = _number(value, field, accepted)
        if not math.isfinite(number) or not low <= number <= high:
            raise RuleError(field, value, accepted)
        return number

    return Rule(check, {"type": "number", "minimum": low, "maximum": high})


def _scale_factor(value: object, field: str) -> float:
    accepted = f"a number > 0 and <= {MAX_SCALE_FACTOR:g}"
    number = _number(value, field, accepted)
    if not math.isfinite(number) or not 0 < number <= MAX_SCALE_FACTOR:
        raise RuleError(field, value, accepted)
    return number


def _scale(value: object, field: str) -> str:
    accepted = "one of " + ", ".join(SCALES)
    normalised = value.strip().lower() if isinstance(value, str) else value
    if normalised not in SCALES:
        raise RuleError(field, value, accepted)
    return normalised  # type: ignore[return-value]


def _mode(value: object, field: str) -> str:
    normalised = value.strip().lower() if isinstance(value, str) else value
    if normalised not in MODES:
        raise RuleError(field, value, "one of " + ", ".join(MODES))
    return normalised  # type: ignore[return-value]


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _flag(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise RuleError(field, value, "true or false (also 1/0, yes/no, on/off as text)")


def _end_date(value: object, field: str) -> date:
    accepted = f"a date as YYYY-MM-DD from {MIN_END_DATE} to {MAX_END_DATE}"
    if isinstance(value, str):
        try:  # only YYYY-MM-DD: Python 3.11+ would also read 20251231 or 2025-W52-3, 3.10 would not
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                raise ValueError(value)
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise RuleError(field, value, accepted, "not a date") from None
    if not isinstance(value, date) or not MIN_END_DATE <= value <= MAX_END_DATE:
        raise RuleError(field, value, accepted)
    return value


SCALE = Rule(_scale, {"enum": list(SCALES), "type": "string"})
MODE = Rule(_mode, {"enum": list(MODES), "type": "string"})
FLAG = Rule(_flag, {"type": "boolean"})
SCALE_FACTOR = Rule(_scale_factor, {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SCALE_FACTOR})
DAYS = whole_number(1, MAX_DAYS)
SEED = whole_number(0, MAX_SEED)
END_DATE = Rule(_end_date, {"type": "string", "format": "date"})
WORKERS = whole_number(1, MAX_WORKERS)
#: Job, run and other numeric ids of the Databricks APIs.
ID = whole_number(1, MAX_ID)
PORT = whole_number(1, 65535)
LOAD_WORKERS = whole_number(1, MAX_LOAD_WORKERS)
#: Rows per COPY block, and seconds a login may take.
BATCH_ROWS = whole_number(1, 10_000_000)
CONNECT_TIMEOUT = whole_number(1, 600)


def _versions(value: object, field: str) -> list[int]:
    accepted = "a list of change-feed version numbers (whole numbers from 0), or null for every version"
    if not isinstance(value, list | tuple):
        raise RuleError(field, value, accepted, "not a list")
    return [_whole_number(item, f"{field}[{index}]", 0, MAX_ID, accepted) for index, item in enumerate(value)]


#: Versions of a change feed to apply.
CHANGE_VERSIONS = Rule(_versions, {"type": "array", "items": {"type": "integer", "minimum": 0}})

#: The parameters that decide a dataset's rows (generator.spec.DatasetSpec's fields).
DATASET_PARAMETERS = ("scale", "scale_factor", "days", "seed", "end_date", "customer_history")


def _given(value: object, field: str) -> list[str]:
    accepted = "a list of dataset parameter names: " + ", ".join(DATASET_PARAMETERS)
    if not isinstance(value, list | tuple | set | frozenset):
        raise RuleError(field, value, accepted, "not a list")
    unknown = [name for name in value if name not in DATASET_PARAMETERS]
    if unknown:
        raise RuleError(field, unknown[0], accepted, "not a dataset parameter")
    return sorted(value)  # type: ignore[arg-type]


#: The dataset parameters a caller set (an incremental or merge run takes the others from the dataset).
GIVEN = Rule(_given, {"type": "array", "items": {"enum": list(DATASET_PARAMETERS)}})


# --------------------------------------------------------------------------- names and paths


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
#: Spark tasks per table family.
PARTITIONS = whole_number(1, 100_000)
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
#: Longest wait for a chain of SQL statements (a warehouse start included).
MAX_STATEMENTS_TIMEOUT_SEC = 3600
#: A PostgreSQL schema the loader creates or replaces (quoted identifiers are never needed).
PG_SCHEMA = Rule(_pg_schema, {"type": "string", "pattern": f"^{_IDENTIFIER.pattern}$", "maxLength": 63})
PG_DATABASE = Rule(_pg_database, {"type": "string", "minLength": 1, "maxLength": MAX_PG_IDENTIFIER_BYTES})
#: The name of a Databricks Lakebase (provisioned) database instance.
LAKEBASE_INSTANCE = _pattern_rule("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", LAKEBASE_INSTANCE_ACCEPTED)
#: The file of a DuckDB dataset inside its folder.
DUCKDB_FILE = _pattern_rule(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,240}\.duckdb", DUCKDB_FILE_ACCEPTED)
