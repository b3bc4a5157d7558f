"""Every input rule of the project, defined once: a plain function per rule, standard library only.
Here the rule machinery, the numbers and the dataset parameters; names and paths are in
`generator.name_rules`.

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
#: Longest run of a script on a cluster (a stopped cluster may first need minutes to start).
MAX_CLUSTER_TIMEOUT_SEC = 4 * 3600
#: Longest local script run.
MAX_SCRIPT_TIMEOUT_SEC = 3600
#: Shown values are cut to this many characters, so a huge argument never floods a message.
MAX_SHOWN_CHARS = 120
#: Tables a PostgreSQL load fills at once.
MAX_LOAD_WORKERS = 16


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
#: Spark tasks per table family.
PARTITIONS = whole_number(1, 100_000)
#: Longest wait for a chain of SQL statements (a warehouse start included).
MAX_STATEMENTS_TIMEOUT_SEC = 3600


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
