"""The rules of `generator.rules` as pydantic field types: one type per rule, used by every model.

The MCP tool models, the CLI's options and the plain Databricks functions (through `validated`, a
`pydantic.validate_call`) all take their parameters as these types, so a value is checked once, by
its rule, wherever it enters, and a refusal reads the same everywhere: the field, the value, why and
what is accepted. Each type carries the schema the agent sees (bounds, lengths) and a description
that a model may replace with its own.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, validate_call
from pydantic_core import PydanticCustomError

from generator import name_rules, rules
from generator.rules import Rule, RuleError, RuleErrors

F = TypeVar("F", bound=Callable[..., Any])


def rule_type(rule: Rule, base: Any, description: str | None, *, optional: bool = False) -> Any:
    """`Annotated[base, ...]` whose values are checked (and normalised) by `rule` before pydantic types them;
    `optional` also accepts None (the rule then never sees it)."""

    def check(value: Any, info: ValidationInfo) -> Any:
        if value is None and optional:
            return None
        field = info.field_name or "value"
        try:
            return rule(value, field)
        except RuleError as exc:
            # A rule may name a part of the field ("env[A]", "path (catalog part)"): keep that part.
            part = exc.field.removeprefix(field)
            context = {"detail": exc.detail, "reason": exc.reason, "accepted": exc.accepted, "part": part}
            if part:
                context["value"] = exc.value
            raise PydanticCustomError("rule", "{detail}", context) from None

    constrained = Annotated[base, Field(json_schema_extra=rule.json_schema)]
    typed = constrained | None if optional else constrained
    return Annotated[typed, BeforeValidator(check), Field(description=description)]


def refusals(
    exc: ValidationError, positional: list[str] | None = None, accepted_fields: list[str] | None = None
) -> RuleErrors:
    """A pydantic ValidationError as RuleErrors, one per bad field; `positional` names positional
    arguments, `accepted_fields` is quoted for an unknown parameter."""
    errors = []
    for error in exc.errors():
        loc = [positional[part] if isinstance(part, int) and positional else part for part in error["loc"]]
        field = ".".join(str(part) for part in loc) or "arguments"
        if error["type"] in ("missing", "missing_argument", "missing_keyword_only_argument"):
            errors.append(RuleError(field, None, "", "a required parameter is missing"))
        elif error["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            known = ", ".join(accepted_fields or positional or [])
            errors.append(RuleError(field, error.get("input"), f"one of: {known}", "unknown parameter"))
        elif error["type"] == "rule":
            context = error.get("ctx") or {}
            part = context.get("part", "")
            value = context["value"] if part else error.get("input")
            errors.append(RuleError(field + part, value, context.get("accepted", ""), context.get("reason")))
        else:
            errors.append(RuleError(field, error.get("input"), "", error["msg"]))
    return RuleErrors(errors)


def validated(fn: F) -> F:
    """`fn` with every argument checked by its annotated type (once, on entry) and refusals raised as
    RuleErrors naming the parameters. Callers that validated already use `fn.raw_function`."""
    checked = validate_call(config=ConfigDict(arbitrary_types_allowed=True))(fn)
    names = list(inspect.signature(fn).parameters)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return checked(*args, **kwargs)
        except ValidationError as exc:
            raise refusals(exc, names) from None

    wrapper.raw_function = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def whole_number(low: int, high: int, description: str, *, optional: bool = False) -> Any:
    """A field type for a whole number in [low, high] (counts, limits, timeouts)."""
    return rule_type(rules.whole_number(low, high), int, description, optional=optional)


def seconds(low: float, high: float, description: str) -> Any:
    """A field type for a number of seconds in [low, high]."""
    return rule_type(rules.number_between(low, high), float, description)


Scale = rule_type(
    rules.SCALE, str, "Volume preset, stores/products/customers: small 10/200/2K, medium 50/1K/25K, large 200/5K/120K."
)
ScaleFactor = rule_type(rules.SCALE_FACTOR, float, "Multiplies every volume of the preset (0.1: a quick test).")
#: scale_factor of a generation script (the script contract's SCALE_FACTOR), local or on a cluster.
ScriptScaleFactor = rule_type(rules.SCALE_FACTOR, float, "SCALE_FACTOR for the script (0.1: a quick test).")
Days = rule_type(rules.DAYS, int, "Days of history ending on end_date; orders grow with the days.")
Mode = rule_type(
    rules.MODE,
    str,
    "For a dataset already in output_dir: overwrite replaces it; incremental appends the days after its last day "
    "up to end_date (or `days` more); merge changes it to these parameters, rewriting only rows that differ. "
    "incremental and merge take unset parameters from the dataset and write a change feed under _changes/.",
)
CustomerHistory = rule_type(
    rules.FLAG, bool, "Also write customers_history: every version of every customer (SCD type 2)."
)
Seed = rule_type(rules.SEED, int, "Same parameters and seed, same bytes.")
EndDate = rule_type(rules.END_DATE, date, "Last day of the history (inclusive).")
Workers = rule_type(
    rules.WORKERS, int, "Worker processes (null: one per CPU core); never changes the output.", optional=True
)
#: A numeric id of the Databricks APIs (job, run); each use describes which.
Id = rule_type(rules.ID, int, None)
CatalogName = rule_type(name_rules.UC_NAME, str, "Unity Catalog catalog.")
SchemaName = rule_type(name_rules.UC_NAME, str, "Schema in the catalog.")
VolumeName = rule_type(name_rules.UC_NAME, str, "Volume in the schema.")
RelativeFolder = rule_type(
    name_rules.RELATIVE_FOLDER, str, f"Folder inside the volume: {name_rules.RELATIVE_FOLDER_ACCEPTED}."
)
VolumeFolder = rule_type(
    name_rules.VOLUME_FOLDER, str, f"A folder inside a Unity Catalog volume: {name_rules.VOLUME_PATH_ACCEPTED}."
)
WorkspacePath = rule_type(name_rules.WORKSPACE_PATH, str, f"A workspace file: {name_rules.WORKSPACE_PATH_ACCEPTED}.")
ClusterId = rule_type(name_rules.CLUSTER_ID, str, "All-purpose cluster id, e.g. 0123-456789-abcdef01 (in its URL).")
Env = rule_type(name_rules.ENV, dict[str, str], "Environment variables: NAME -> value.", optional=True)
FolderOrRoot = rule_type(
    name_rules.FOLDER_OR_ROOT,
    str,
    f"Folder inside the volume, or '' for its root: {name_rules.RELATIVE_FOLDER_ACCEPTED}.",
)
ClusterTimeout = whole_number(
    1, rules.MAX_CLUSTER_TIMEOUT_SEC, "Seconds for the whole run, a cluster start included; then it is cancelled."
)
ScriptTimeout = whole_number(1, rules.MAX_SCRIPT_TIMEOUT_SEC, "Seconds before the script and its children are killed.")
JobName = rule_type(name_rules.JOB_NAME, str, "Name of a Databricks job.")
IdempotencyToken = rule_type(
    name_rules.IDEMPOTENCY_TOKEN, str, "A token that makes a retried request return the first request's run."
)
MaxFiles = whole_number(0, rules.MAX_ID, "Upload at most this many files (a quick test); null: all.", optional=True)
WarehouseId = rule_type(
    name_rules.WAREHOUSE_ID, str, "SQL warehouse; null: a running one, else a stopped one, started.", optional=True
)
TargetCatalog = rule_type(name_rules.UC_NAME, str, "Catalog that receives the tables.", optional=True)
TargetSchema = rule_type(name_rules.UC_NAME, str, "Schema that receives the tables.", optional=True)
StatementsTimeout = whole_number(
    1,
    rules.MAX_STATEMENTS_TIMEOUT_SEC,
    "Seconds for the whole call, a warehouse start included; then nothing is replaced.",
)
EnvironmentVersion = whole_number(1, 99, "Serverless environment version of the run.")
PostgresSchema = rule_type(name_rules.PG_SCHEMA, str, "PostgreSQL schema for the seven tables, replaced as a whole.")
PostgresDatabase = rule_type(name_rules.PG_DATABASE, str, f"Database on the server: {name_rules.PG_DATABASE_ACCEPTED}.")
LakebaseInstance = rule_type(
    name_rules.LAKEBASE_INSTANCE, str, "Lakebase database instance (Compute > Database instances)."
)
Port = rule_type(rules.PORT, int, "TCP port of the PostgreSQL server (1 to 65535).", optional=True)
LoadWorkers = rule_type(
    rules.LOAD_WORKERS,
    int,
    f"Tables loaded at once, each on its own connection (1 to {rules.MAX_LOAD_WORKERS}; default: two per core).",
    optional=True,
)
BatchRows = rule_type(rules.BATCH_ROWS, int, "Rows per COPY block (memory per table load grows with it).")
ConnectTimeout = rule_type(rules.CONNECT_TIMEOUT, int, "Seconds to wait for the server to answer a login.")
ChangeVersions = rule_type(
    rules.CHANGE_VERSIONS, list[int], "Change-feed versions to apply; null applies every version.", optional=True
)
Given = rule_type(
    rules.GIVEN,
    list[str],
    "The dataset parameters the caller set: with mode incremental or merge only these are passed on, the "
    "others are the dataset's own. Default (null): all of them.",
    optional=True,
)
DuckdbFile = rule_type(
    name_rules.DUCKDB_FILE,
    str,
    f"DuckDB file name in output_dir, format duckdb only (null: {name_rules.DEFAULT_DUCKDB_FILE}).",
    optional=True,
)
