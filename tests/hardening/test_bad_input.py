"""Wrong, partial and hostile arguments, through a real MCP client: every one gets a clean isError.

Four batteries, each counted in the terminal summary ("hardening figures"):

* generated (hypothesis, over every tool's published input schema): an unknown or misspelled
  parameter, a missing required one, or one value of the wrong type or out of range. The oracle is
  the tool's own input model: a case counts only when the model refuses it too.
* arbitrary text (hypothesis) in every string parameter (paths, names, SQL, ids): answered or
  refused cleanly, never a crash, never a write or read outside the data root.
* hand-picked: the cases the issue lists (huge, negative and non-finite numbers, empty, very long,
  unicode and control-character strings, `..`, absolute paths and symlinks that leave the data root
  for every path-taking tool, SQL that writes, attaches, copies, installs, sets configuration or
  reads files, Unity Catalog names with dots, spaces and backticks).
* raw JSON-RPC over stdio: what a well-behaved client cannot send (NaN and Infinity literals,
  numbers of 400 digits, lone surrogates, deep nesting, broken JSON): the server answers or drops
  the message and keeps serving.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from server.app import build_server
from tests.hardening.conftest import (
    TINY,
    RawStdioServer,
    SyncClient,
    error_problem,
    refusal_problem,
    result_text,
    snapshot,
    tally,
)
from tests.server.mcp_helpers import SMALL, make_settings

HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)

#: Values for required parameters, so that a case breaks exactly the parameter it means to break.
BASE_VALUES: dict[str, Any] = {
    "sql": "select 1",
    "project_path": "proj",
    "job_id": "0123456789ab",
    "catalog": "main",
    "schema": "default",
    "volume": "vol",
    "cluster_id": "0123-456789-abcdef01",
    "workspace_path": "/Workspace/Users/someone@example.com/retail/generate_data.py",
    "volume_output_path": "/Volumes/main/default/vol/out",
    "run_id": 1,
    "instance_name": "retail-lakebase",
}
#: Small values for optional parameters of the tools that write, so that an accepted call is cheap.
CHEAP_VALUES: dict[str, dict[str, Any]] = {
    "generate_data": {**TINY, "background": False},
    "load_to_postgres": {"path": "sample_data"},  # load an existing dataset rather than generate one per case
    "load_to_lakebase": {"path": "sample_data"},
}


# --------------------------------------------------------------------------- the arena


def _tool_models() -> dict[str, type[BaseModel]]:
    """Each tool's input model (the oracle of the generated battery)."""
    from server.app import definitions, toolset_modules
    from server.settings import KNOWN_TOOLSETS

    return {
        definition.name: definition.input_model
        for toolset in KNOWN_TOOLSETS
        for module in toolset_modules(toolset)
        for definition in definitions(module)
    }


MODELS = _tool_models()


@pytest.fixture(scope="module")
def dataset_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from generator.config import GenerateOptions
    from generator.runner import generate

    folder = tmp_path_factory.mktemp("bad-input-dataset") / "sample_data"
    generate(GenerateOptions(output_dir=folder, **SMALL))
    return folder


@pytest.fixture
def arena(tmp_path: Path, dataset_template: Path) -> Path:
    """<base>/root is the data root, <base>/outside must never change.

    root: sample_data (a dataset), proj (a project whose script prints), afile.txt, and symlinks
    that leave the root (escape -> ../outside, linked_ds -> ../outside/ds) or loop (loop <-> loop2).
    outside: sentinel.txt, ds (a dataset), proj (a script that would leave a mark if run).
    """
    base = tmp_path / "arena"
    root, outside = base / "root", base / "outside"
    shutil.copytree(dataset_template, root / "sample_data")
    shutil.copytree(dataset_template, outside / "ds")
    (root / "proj").mkdir()
    (root / "proj" / "generate_data.py").write_text("print('script ran')\n", encoding="utf-8")
    (outside / "proj").mkdir()
    (outside / "proj" / "generate_data.py").write_text(
        "from pathlib import Path\nPath(__file__).with_name('EXECUTED').write_text('x')\n", encoding="utf-8"
    )
    (outside / "sentinel.txt").write_text("must not change\n", encoding="utf-8")
    (root / "afile.txt").write_text("a file, not a folder\n", encoding="utf-8")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "linked_ds").symlink_to(outside / "ds", target_is_directory=True)
    (root / "loop").symlink_to(root / "loop2")
    (root / "loop2").symlink_to(root / "loop")
    return base


class Watch:
    """What must not change while a battery runs: the outside folder and the arena's own listing."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.outside_before = snapshot(base / "outside")
        self.listing_before = sorted(os.listdir(base))
        self.parent_before = sorted(os.listdir(base.parent))

    def problem(self) -> str | None:
        if snapshot(self.base / "outside") != self.outside_before:
            return "the folder outside the data root changed"
        if sorted(os.listdir(self.base)) != self.listing_before:
            return f"something was written next to the data root: {sorted(os.listdir(self.base))}"
        if sorted(os.listdir(self.base.parent)) != self.parent_before:
            return "something was written above the data root"
        return None


@pytest.fixture
def client(arena: Path) -> Any:
    server = build_server(make_settings(arena / "root"))
    with SyncClient(server, call_timeout=90) as sync_client:
        yield sync_client


def _schemas(client: SyncClient) -> dict[str, dict[str, Any]]:
    return {tool.name: tool.input_schema for tool in client.list_tools()}


def _base_args(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    args = {key: BASE_VALUES[key] for key in schema.get("required", []) if key in BASE_VALUES}
    missing = [key for key in schema.get("required", []) if key not in args]
    assert not missing, f"{name}: add a base value for the required parameter(s) {missing} to BASE_VALUES"
    return {**CHEAP_VALUES.get(name, {}), **args}


def _pre_parse(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """What the SDK does before our validation: JSON text sent for a non-string parameter is
    decoded when it holds a list or an object."""
    parsed = dict(arguments)
    for key, value in arguments.items():
        info = model.model_fields.get(key)
        if info is None or info.annotation is str or not isinstance(value, str):
            continue
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            continue
        if isinstance(decoded, (list, dict)):
            parsed[key] = decoded
    return parsed


def _model_refuses(name: str, arguments: dict[str, Any]) -> bool:
    model = MODELS.get(name)
    if model is None:
        return True  # a tool without a known model: the server must refuse what the schema refuses
    unknown = set(arguments) - set(model.model_fields)
    if unknown:
        return True
    try:
        model.model_validate(_pre_parse(model, arguments))
    except ValidationError:
        return True
    return False


# --------------------------------------------------------------------------- generated: invalid arguments

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([-1, 0, 2**31, 2**63, 2**64, -(2**63) - 1, 10**100]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.5, -0.5, 1e-300, 1e308, -1e308, 0.1]),
    st.text(max_size=30),
    st.sampled_from(["", " ", "NaN", "inf", "-Infinity", "1e999", "true", "yes", "[]", "{}", '{"a": 1}', "null"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    st.integers(min_value=20_001, max_value=30_000).map(lambda n: "x" * n),
)
#: Keys that are not parameters of any tool: random text and plausible misspellings.
MISSPELLINGS = {"day": "days", "scalefactor": "scale_factor", "seeds": "seed", "output": "output_dir", "lim": "limit"}


def _bad_case(schemas: dict[str, dict[str, Any]]) -> st.SearchStrategy[tuple[str, dict[str, Any], tuple[str, ...]]]:
    names = sorted(schemas)

    @st.composite
    def case(draw: st.DrawFn) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        name = draw(st.sampled_from(names))
        schema = schemas[name]
        properties = schema.get("properties", {})
        args = _base_args(name, schema)
        kinds = ["unknown", "misspelled", "value", "value", "value"]
        if schema.get("required"):
            kinds.append("missing")
        kind = draw(st.sampled_from(kinds))
        if kind == "unknown" or (kind == "value" and not properties):
            key = draw(st.text(min_size=1, max_size=40).filter(lambda k: k not in properties))
            args[key] = draw(JUNK)
            return name, args, ("unknown parameter", "accepts only")
        if kind == "misspelled":
            candidates = [wrong for wrong, right in MISSPELLINGS.items() if right in properties]
            key = draw(st.sampled_from(candidates)) if candidates else "bogus_parameter"
            args[key] = draw(JUNK)
            return name, args, ("unknown parameter", key)
        if kind == "missing":
            field = draw(st.sampled_from(schema["required"]))
            args.pop(field, None)
            return name, args, (field, "missing")
        field = draw(st.sampled_from(sorted(properties)))
        args[field] = draw(JUNK)
        return name, args, (field,)

    return case()


def test_generated_invalid_arguments_are_refused_cleanly(client: SyncClient, arena: Path) -> None:
    schemas = _schemas(client)
    assert all(schema.get("additionalProperties") is False for schema in schemas.values())
    watch = Watch(arena)
    root_before = snapshot(arena / "root")
    record = tally("bad input: generated invalid arguments (hypothesis)", "refused correctly")
    failures: list[str] = []

    @HYPOTHESIS
    @given(_bad_case(schemas))
    def run(case: tuple[str, dict[str, Any], tuple[str, ...]]) -> None:
        name, args, mentions = case
        if not _model_refuses(name, args):
            return  # a valid call after all (e.g. "5" for an integer): not a refusal case
        try:
            result = client.call(name, args)
        except TimeoutError:
            problem: str | None = "the call hung"
        else:
            problem = refusal_problem(result, name, mentions)
        label = f"{name}({_short(args)})"
        record.add(problem, label)
        if problem is not None:
            failures.append(f"{label}: {problem}")

    run()
    assert record.tried >= 100, f"only {record.tried} generated cases were invalid"
    assert not failures, "\n".join(failures[:20])
    assert watch.problem() is None, watch.problem()
    assert snapshot(arena / "root") == root_before, "a refused call changed the data root"


# --------------------------------------------------------------------------- generated: arbitrary text

PATH_PIECES = [
    "..", ".", "", "~", "sample_data", "escape", "linked_ds", "loop", "proj", "afile.txt", "orders",
    "x" * 300, "é", "données", "日本語", "🙂", "\n", "\t", "\r", "\x1b[31m", "\x7f", "\x85", " ", "a b",
    "$HOME", "%2e%2e", "*", "?", "\\", "..\\..", "C:", "\u202e", "\ufeff",
]  # fmt: skip
SQL_PIECES = [
    "select", "*", "from", "orders", "stores", ";", "--", "/*", "*/", "'", '"', "(", ")", "read_csv('/etc/passwd')",
    "glob('/etc/*')", "attach", "copy", "to", "'/tmp/x.csv'", "install", "httpfs", "set", "pragma", "delete",
    "drop", "view", "union all", "limit 5", "1", "explain", "describe", "summarize", "with x as (select 1)",
]  # fmt: skip


def _text_values() -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(PATH_PIECES), st.text(max_size=8))
    return st.one_of(
        st.lists(piece, min_size=1, max_size=6).map("/".join),
        st.lists(piece, min_size=1, max_size=6).map(lambda parts: "/" + "/".join(parts)),
        st.lists(st.sampled_from(SQL_PIECES), min_size=1, max_size=10).map(" ".join),
        st.text(max_size=60),
    )


def _string_fields(schema: dict[str, Any]) -> list[str]:
    fields = []
    for key, prop in schema.get("properties", {}).items():
        types = {prop.get("type")} | {option.get("type") for option in prop.get("anyOf", [])}
        if "string" in types and "enum" not in prop and prop.get("format") != "date":
            fields.append(key)
    return fields


def test_arbitrary_text_in_paths_names_and_sql_never_crashes(client: SyncClient, arena: Path) -> None:
    schemas = _schemas(client)
    targets = sorted((name, field) for name, schema in schemas.items() for field in _string_fields(schema))
    watch = Watch(arena)
    record = tally("bad input: arbitrary text in string parameters (hypothesis)", "answered or refused cleanly")
    failures: list[str] = []

    @HYPOTHESIS
    @given(st.sampled_from(targets), _text_values())
    def run(target: tuple[str, str], text: str) -> None:
        name, field = target
        args = {**_base_args(name, schemas[name]), field: text}
        try:
            result = client.call(name, args)
        except TimeoutError:
            problem: str | None = "the call hung"
        else:
            problem = None if not result.is_error else error_problem(result_text(result), name)
            if problem is None and not result.is_error:
                problem = _escaped(result.structured_content or {}, arena / "root")
        problem = problem or watch.problem()
        label = f"{name}({field}={text[:80]!r})"
        record.add(problem, label)
        if problem is not None:
            failures.append(f"{label}: {problem}")

    run()
    assert not failures, "\n".join(failures[:20])
    assert watch.problem() is None, watch.problem()


def _escaped(content: dict[str, Any], root: Path) -> str | None:
    """A reported local path of a successful call that lies outside the data root."""
    for key in ("output_dir", "project_path", "path", "data_path", "log_path"):
        value = content.get(key)
        if isinstance(value, str) and value.startswith("/") and not Path(value).resolve().is_relative_to(root):
            return f"{key}={value} is outside the data root"
    return None


def _short(args: dict[str, Any]) -> str:
    text = ", ".join(f"{key}={value!r}" for key, value in args.items())
    return text if len(text) <= 160 else text[:157] + "..."


# --------------------------------------------------------------------------- hand-picked: local tools

LONG = "x" * 100_000
NUMBERS: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("generate_data", {"days": -1}, ("days=-1",)),
    ("generate_data", {"days": 0}, ("days=0",)),
    ("generate_data", {"days": 366}, ("days=366", "365")),
    ("generate_data", {"days": 10**30}, ("days=",)),
    ("generate_data", {"days": 1.5}, ("days=1.5",)),
    ("generate_data", {"days": "ten"}, ("days='ten'",)),
    ("generate_data", {"days": None}, ("days=None",)),
    ("generate_data", {"days": [14]}, ("days=[14]",)),
    ("generate_data", {"scale_factor": 0}, ("scale_factor=0",)),
    ("generate_data", {"scale_factor": -1}, ("scale_factor=-1",)),
    ("generate_data", {"scale_factor": 1e308}, ("scale_factor=1e+308", "1000")),
    ("generate_data", {"scale_factor": "NaN"}, ("scale_factor='NaN'", "a number > 0 and <= 1000")),
    ("generate_data", {"scale_factor": "inf"}, ("scale_factor='inf'", "a number > 0 and <= 1000")),
    ("generate_data", {"scale_factor": "-Infinity"}, ("scale_factor=",)),
    ("generate_data", {"scale_factor": "1e999"}, ("scale_factor=",)),
    ("generate_data", {"seed": -1}, ("seed=-1",)),
    ("generate_data", {"seed": 2**64}, ("seed=",)),
    ("generate_data", {"workers": 0}, ("workers=0",)),
    ("generate_data", {"workers": 65}, ("workers=65", "64")),
    ("generate_data", {"workers": 10**6}, ("workers=",)),
    ("generate_data", {"end_date": "2025-13-01"}, ("end_date=",)),
    ("generate_data", {"end_date": "yesterday"}, ("end_date=",)),
    ("generate_data", {"end_date": ""}, ("end_date=",)),
    ("generate_data", {"end_date": "1900-01-01"}, ("end_date=",)),
    ("generate_data", {"format": "xlsx"}, ("format='xlsx'", "parquet")),
    ("generate_data", {"format": "parquet; rm -rf /"}, ("format=",)),
    ("generate_data", {"scale": "huge"}, ("scale='huge'", "small")),
    ("generate_data", {"scale": 3}, ("scale=3",)),
    ("generate_data", {"overwrite": "maybe"}, ("overwrite='maybe'",)),
    ("generate_data", {"overwrite": 2}, ("overwrite=2",)),
    ("generate_data", {"background": "soon"}, ("background='soon'",)),
    ("generate_data", {"day": 30}, ("unknown parameter", "'day'", "did you mean 'days'", "accepts only")),
    ("generate_data", {"scalefactor": 2}, ("unknown parameter", "did you mean 'scale_factor'")),
    ("generate_data", {"Days": 30, "Seed": 1}, ("unknown parameters", "'Days'", "'Seed'")),
    ("generate_data", {"ctx": "x"}, ("unknown parameter", "'ctx'")),
    ("generate_data", {"client_roots": []}, ("unknown parameter", "'client_roots'")),
    ("generate_data", {"__raw_arguments__": {}}, ("unknown parameter",)),
    ("generate_data", {"x" * 5000: 1}, ("unknown parameter",)),
    ("estimate_dataset", {"output_dir": "x"}, ("unknown parameter", "'output_dir'")),
    ("estimate_dataset", {"days": -5}, ("days=-5",)),
    ("estimate_dataset", {"scale_factor": -1e-320}, ("scale_factor=",)),
    ("get_generation_status", {}, ("job_id", "missing")),
    ("get_generation_status", {"job_id": ""}, ("job_id=''",)),
    ("get_generation_status", {"job_id": "x" * 65}, ("job_id=",)),
    ("get_generation_status", {"job_id": 123}, ("job_id=123",)),
    ("get_generation_status", {"job_id": None}, ("job_id=None",)),
    ("get_generation_status", {"job_id": "../../etc/passwd"}, ("unknown",)),
    ("get_generation_status", {"job_id": "\n\x00"}, ("unknown",)),
    ("cancel_generation", {"job_id": "nope"}, ("unknown",)),
    ("execute_script", {}, ("project_path", "missing")),
    ("execute_script", {"project_path": "proj", "scale_factor": 0}, ("scale_factor=0",)),
    ("execute_script", {"project_path": "proj", "scale_factor": "nan"}, ("scale_factor=",)),
    ("execute_script", {"project_path": "proj", "timeout_sec": 0}, ("timeout_sec=0",)),
    ("execute_script", {"project_path": "proj", "timeout_sec": -5}, ("timeout_sec=-5",)),
    ("execute_script", {"project_path": "proj", "timeout_sec": 10**9}, ("timeout_sec=",)),
    ("execute_script", {"project_path": "proj", "env": "A=1"}, ("env=",)),
    ("execute_script", {"project_path": "proj", "env": {"A": 1}}, ("env[A]=1",)),
    ("execute_script", {"project_path": "proj", "env": {"SCALE_FACTOR": "9"}}, ("SCALE_FACTOR",)),
    ("execute_script", {"project_path": "proj", "env": {"OUTPUT_PATH": "/etc"}}, ("OUTPUT_PATH",)),
    ("execute_script", {"project_path": "proj", "env": {"": "x"}}, ("env name=''", "a mapping of NAME")),
    ("execute_script", {"project_path": "proj", "env": {"A=B": "x"}}, ("env name='A=B'", "a mapping of NAME")),
    ("execute_script", {"project_path": "proj", "env": {"A": "\x00"}}, ("env[A]=", "values without NUL")),
    ("execute_script", {"project_path": "sample_data"}, ("no generate_data.py",)),
    ("execute_script", {"project_path": "nonexistent"}, ("not a folder",)),
    ("execute_script", {"project_path": "afile.txt"}, ("not a folder",)),
    ("init_project", {"project_path": "afile.txt"}, ("is a file",)),
    ("init_project", {"overwrite": "x"}, ("overwrite=",)),
    ("describe_schema", {"table": ""}, ("table=''",)),
    ("describe_schema", {"table": "orders; drop table orders"}, ("not a table",)),
    ("describe_schema", {"table": LONG}, ("not a table", "choose one of")),
    ("describe_schema", {"table": 5}, ("table=5",)),
    ("describe_schema", {"table": "../stores"}, ("not a table",)),
    ("validate_dataset", {"path": "nonexistent"}, ("path='nonexistent'",)),
    ("validate_dataset", {"path": "proj"}, ("path='proj'",)),
    ("validate_dataset", {"path": "afile.txt"}, ("path='afile.txt'",)),
    ("validate_dataset", {"path": ""}, ("path=''",)),
    ("list_datasets", {"under": 5}, ("under=5",)),
    ("generate_data", {**TINY, "output_dir": "."}, ("root folder itself",)),
    ("generate_data", {**TINY, "output_dir": "sample_data/_manifest.json"}, ("is a file",)),
    ("generate_data", {**TINY, "output_dir": "proj"}, ("not empty",)),
    ("generate_data", {**TINY, "output_dir": "sample_data/orders"}, ("not empty",)),
    ("generate_data", {**TINY, "output_dir": "sample_data", "overwrite": False}, ("already holds a dataset",)),
]
NAMES: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("generate_data", {**TINY, "output_dir": ""}, ("output_dir", "empty")),
    ("generate_data", {**TINY, "output_dir": "   "}, ("output_dir", "empty")),
    ("generate_data", {**TINY, "output_dir": "a" * 300}, ("output_dir", "255 bytes")),
    ("generate_data", {**TINY, "output_dir": "x/" * 3000}, ("output_dir", "too long")),
    ("generate_data", {**TINY, "output_dir": "é" * 200}, ("output_dir", "255 bytes")),
    ("generate_data", {**TINY, "output_dir": LONG}, ("output_dir", "too long")),
    ("generate_data", {**TINY, "output_dir": "bad\nname"}, ("output_dir", "control character U+000A")),
    ("generate_data", {**TINY, "output_dir": "tab\tname"}, ("control character U+0009",)),
    ("generate_data", {**TINY, "output_dir": "\x1b[31mred"}, ("control character U+001B",)),
    ("generate_data", {**TINY, "output_dir": "del\x7f"}, ("control character U+007F",)),
    ("generate_data", {**TINY, "output_dir": "c1\x85"}, ("control character U+0085",)),
    ("generate_data", {**TINY, "output_dir": "nul\x00byte"}, ("NUL",)),
    ("init_project", {"project_path": "x\ny"}, ("project_path", "control character")),
    ("init_project", {"project_path": "b" * 256}, ("project_path", "255 bytes")),
    ("execute_script", {"project_path": "p\rq"}, ("project_path", "control character")),
    ("validate_dataset", {"path": LONG}, ("path=", "too long")),
    ("query_dataset", {"sql": "select 1", "path": "a\x00b"}, ("path=", "NUL")),
    ("list_datasets", {"under": "\x1b]0;title\x07"}, ("under=", "control character")),
    ("load_to_postgres", {"path": "sample_data", "schema": 're"tail'}, ("schema=", "[A-Za-z_]")),
    ("load_to_postgres", {"path": "sample_data", "schema": "re.tail"}, ("schema=",)),
    ("load_to_postgres", {"path": "sample_data", "schema": "r" * 64}, ("schema=", "64 bytes")),
    ("load_to_postgres", {"path": "sample_data", "schema": "pg_x"}, ("schema=", "reserved")),
    ("load_to_postgres", {"path": "sample_data", "dsn": "host=x password=hunter2secret port"}, ("dsn=", "key=value")),
    ("load_to_postgres", {"path": "sample_data", "dsn": ""}, ("dsn=",)),
    ("load_to_postgres", {"path": "sample_data", "overwrite": "maybe"}, ("overwrite=",)),
    ("load_to_postgres", {"path": "sample_data", "days": 30}, ("not both",)),
    ("load_to_postgres", {"days": 0}, ("days=0",)),
    ("load_to_postgres", {"path": "afile.txt"}, ("path=", "a file")),
    ("load_to_postgres", {"path": "proj"}, ("path=",)),
]
SQL: list[tuple[str, tuple[str, ...]]] = [
    ("", ("sql=''",)),
    ("x" * 20_001, ("sql=",)),
    ("DELETE FROM orders", ("DELETE",)),
    ("DROP VIEW orders", ("DROP",)),
    ("CREATE TABLE t AS SELECT 1", ("CREATE",)),
    ("INSERT INTO orders SELECT * FROM orders", ("INSERT",)),
    ("UPDATE orders SET order_total = 0", ("UPDATE",)),
    ("ATTACH '/tmp/hardening.db' AS x", ("ATTACH",)),
    ("ATTACH ':memory:' AS m", ("ATTACH",)),
    ("DETACH x", ("DETACH",)),
    ("COPY orders TO '/tmp/hardening-out.csv'", ("COPY",)),
    ("COPY (SELECT 1) TO 'out.parquet' (FORMAT parquet)", ("COPY",)),
    ("EXPORT DATABASE '/tmp/hardening-export'", ("EXPORT",)),
    ("IMPORT DATABASE '/tmp/hardening-export'", ()),
    ("INSTALL httpfs", ()),
    ("LOAD httpfs", ("LOAD",)),
    ("FORCE INSTALL httpfs", ()),
    ("SET enable_external_access = true", ("SET",)),
    ("RESET enable_external_access", ()),
    ("SET GLOBAL lock_configuration = false", ("SET",)),
    ("PRAGMA enable_profiling", ()),
    ("CHECKPOINT", ()),
    ("VACUUM", ()),
    ("CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", ()),
    ("BEGIN TRANSACTION", ()),
    ("USE memory", ()),
    ("CALL dbgen(sf = 0.01)", ()),
    ("SELECT 1; DROP VIEW orders", ("exactly one statement",)),
    ("SELECT 1; SELECT 2", ("exactly one statement",)),
    ("/* hidden */ DELETE FROM orders", ("DELETE",)),
    ("-- comment\nDELETE FROM orders", ("DELETE",)),
    ("EXPLAIN DELETE FROM orders", ("DELETE",)),
    ("EXPLAIN ANALYZE COPY orders TO 'x.csv'", ("COPY",)),
    ("WITH x AS (SELECT 1) DELETE FROM orders", ()),
    ("SELECT * FROM read_csv('/etc/passwd')", ()),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", ()),
    ("SELECT * FROM read_text('/etc/passwd')", ()),
    ("SELECT * FROM read_blob('/etc/passwd')", ()),
    ("SELECT * FROM glob('/etc/*')", ()),
    ("SELECT * FROM '/etc/passwd'", ()),
    ("SELECT * FROM read_json_auto('/etc/hosts')", ()),
    ("SELECT * FROM read_parquet('../outside/ds/orders/*.parquet')", ()),
    ("SELECT * FROM parquet_metadata('/etc/passwd')", ()),
    ("SELECT * FROM sniff_csv('/etc/passwd')", ()),
    ("SELECT * FROM read_csv('https://example.com/x.csv')", ()),
    ("SELECT * FROM orders UNION ALL SELECT * FROM read_csv('/etc/passwd')", ()),
    ("SELECT count(*) FROM range(100000000000000)", ("longer than 1 s",)),
    ("SELEKT * FROM orders", ("parse",)),
    ("SELECT * FROM no_such_table", ("no_such_table",)),
]
ESCAPING_PATHS = [
    ("..", ()),
    ("../outside", ()),
    ("../../..", ()),
    ("sample_data/../..", ()),
    ("/etc", ()),
    ("/", ()),
    ("~", ()),
    ("escape", ("outside the allowed roots",)),
    ("escape/sub", ("outside the allowed roots",)),
    ("escape/proj", ("outside the allowed roots",)),
    ("linked_ds", ("outside the allowed roots",)),
    ("loop", ()),
    ("loop/sub", ()),
]


def _path_fields(schemas: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """Every (tool, parameter) that takes a local path: described as resolving under the data root."""
    found = []
    for name, schema in sorted(schemas.items()):
        for key, prop in schema.get("properties", {}).items():
            if "data root" in prop.get("description", "") and key in _string_fields(schema):
                found.append((name, key))
    return found


def _run_cases(
    client: SyncClient,
    arena: Path,
    battery: str,
    cases: list[tuple[str, dict[str, Any], tuple[str, ...]]],
    *,
    requests: Any = None,
) -> None:
    watch = Watch(arena)
    root_before = snapshot(arena / "root")
    record = tally(battery, "refused correctly")
    failures = []
    for name, args, mentions in cases:
        label = f"{name}({_short(args)})"
        try:
            result = client.call(name, args)
        except TimeoutError:
            problem: str | None = "the call hung"
        else:
            problem = refusal_problem(result, name, mentions)
        if problem is None and "root:x:0:0" in result_text(result):
            problem = "the error quotes /etc/passwd"
        if requests is not None and len(requests):
            sent = [request.path for request in requests]
            requests.clear()
            problem = problem or f"{len(sent)} request(s) reached the workspace: {sent[:3]}"
        if problem is None:
            problem = watch.problem()
        if problem is None and snapshot(arena / "root") != root_before:
            problem = "the data root changed"
        record.add(problem, label)
        if problem is not None:
            failures.append(f"{label}: {problem}")
    assert not failures, "\n".join(failures)


def test_hand_picked_numbers_types_and_names(client: SyncClient, arena: Path) -> None:
    _run_cases(client, arena, "bad input: hand-picked numbers, types and names", NUMBERS + NAMES)


def test_writing_tools_of_a_read_only_server_are_unknown_tools(arena: Path) -> None:
    cases = [
        ("generate_data", {**TINY, "output_dir": "ro"}, ("unknown tool",)),
        ("init_project", {"project_path": "ro"}, ("unknown tool",)),
        ("execute_script", {"project_path": "proj"}, ("unknown tool",)),
        ("cancel_generation", {"job_id": "x"}, ("unknown tool",)),
        ("no_such_tool", {}, ("unknown tool",)),
    ]
    with SyncClient(build_server(make_settings(arena / "root", read_only=True))) as read_only:
        _run_cases(read_only, arena, "bad input: writing tools called on a read-only server", cases)


def test_sql_that_writes_attaches_installs_or_reads_files_is_refused(client: SyncClient, arena: Path) -> None:
    cases = [("query_dataset", {"sql": sql, "timeout_sec": 1}, mentions) for sql, mentions in SQL]
    cases += [
        ("query_dataset", {"sql": "select 1", "limit": value}, ("limit=",)) for value in (0, -1, 1001, "all", 1.5)
    ]
    cases += [("query_dataset", {"sql": "select 1", "timeout_sec": value}, ("timeout_sec=",)) for value in (0, 301)]
    _run_cases(client, arena, "bad input: hand-picked SQL", cases)
    assert not Path("/tmp/hardening-out.csv").exists() and not Path("/tmp/hardening.db").exists()
    assert not (arena / "root" / "sample_data" / "out.parquet").exists()


def test_paths_that_leave_the_data_root_are_refused_by_every_path_taking_tool(client: SyncClient, arena: Path) -> None:
    schemas = _schemas(client)
    fields = _path_fields(schemas)
    assert {("generate_data", "output_dir"), ("validate_dataset", "path"), ("query_dataset", "path")} <= set(fields)
    outside = str(arena / "outside")
    cases = []
    for name, field in fields:
        base = _base_args(name, schemas[name])
        for path, mentions in [*ESCAPING_PATHS, (outside, ("outside the allowed roots",)), (f"{outside}/ds", ())]:
            cases.append((name, {**base, field: path}, (field, *mentions)))
    _run_cases(client, arena, "bad input: paths leaving the data root (every path-taking tool)", cases)


def test_a_dataset_whose_table_folder_links_outside_is_not_read(client: SyncClient, arena: Path) -> None:
    """A table folder inside a dataset that is a symlink to files outside the roots."""
    planted = arena / "root" / "planted"
    shutil.copytree(arena / "root" / "sample_data", planted)
    shutil.rmtree(planted / "orders")
    (planted / "orders").symlink_to(arena / "outside" / "ds" / "orders", target_is_directory=True)
    record = tally("bad input: dataset with a table folder linked outside", "refused correctly")
    for name, args in [
        ("query_dataset", {"path": "planted", "sql": "select count(*) from orders"}),
        ("validate_dataset", {"path": "planted"}),
    ]:
        result = client.call(name, args)
        problem = refusal_problem(result, name, ("outside",))
        record.add(problem, f"{name}({args})")
        assert problem is None, problem


def test_an_upload_of_a_folder_holding_links_outside_is_refused(
    arena: Path, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """upload_to_volume must not send files that a link inside the folder points at outside the roots."""
    from server.adapters.databricks.auth import clear_client_cache

    monkeypatch.setenv("DATABRICKS_HOST", standin.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", standin.token)
    clear_client_cache()
    planted = arena / "root" / "planted"
    shutil.copytree(arena / "root" / "sample_data", planted)
    (planted / "notes.txt").symlink_to(arena / "outside" / "sentinel.txt")
    volume = standin.create_volume()
    args = {"catalog": volume.catalog, "schema": volume.schema, "volume": volume.volume, "local_data_dir": "planted"}
    with SyncClient(build_server(make_settings(arena / "root"))) as sync_client:
        result = sync_client.call("upload_to_volume", args)
    clear_client_cache()
    landed = sorted(str(p.relative_to(volume.local)) for p in volume.local.rglob("*") if p.is_file())
    problem = refusal_problem(result, "upload_to_volume", ("outside",))
    tally("bad input: dataset with a table folder linked outside", "refused correctly").add(
        problem, "upload_to_volume(planted)"
    )
    assert problem is None, problem
    assert landed == []


# --------------------------------------------------------------------------- hand-picked: Databricks tools

UC_BAD = ["a.b", "a b", "`main`", "a/b", "", "x" * 256, "a\nb", "a\x00b", "tab\t", "del\x7f", "m`; DROP CATALOG x; --"]


def _databricks_cases(schemas: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    cases: list[tuple[str, dict[str, Any], tuple[str, ...]]] = []
    for name, schema in sorted(schemas.items()):
        if name not in DATABRICKS_TOOLS:
            continue
        base = _base_args(name, schema)
        props = schema.get("properties", {})
        for field in ("catalog", "schema", "volume"):
            if field in props:
                cases += [(name, {**base, field: bad}, (field,)) for bad in UC_BAD]
        if "remote_subfolder" in props:
            for bad in ["../x", "a/../../b", "a//b", ".", "..", "a\x00", "a\\b"]:
                cases.append((name, {**base, "remote_subfolder": bad}, ("remote_subfolder",)))
        if "volume_output_path" in props:
            for bad in [
                "/Volumes/main/default/vol",
                "/Volumes/main/default/vol/../../../etc",
                "/etc/passwd",
                "relative/path",
                "/Volumes/a.b/c/d/e",
                "/Volumes/main/default/vol/a\nb",
            ]:
                cases.append((name, {**base, "volume_output_path": bad}, ("volume_output_path",)))
        if "workspace_path" in props:
            for bad in ["relative.py", "/Workspace/../etc/passwd", "", "/Users/x/\x00.py", "/Workspace/a\nb.py"]:
                cases.append((name, {**base, "workspace_path": bad}, ("workspace_path",)))
        if "instance_name" in props:
            for bad in ["", "bad name!", "-leading", "x" * 64, "a.b", "inst\n"]:
                cases.append((name, {**base, "instance_name": bad}, ("instance_name",)))
        if "database" in props:
            for bad in ["", "a\x00b", "é" * 40, 5]:
                cases.append((name, {**base, "database": bad}, ("database",)))
        if "cluster_id" in props:
            for bad in ["", "abc; rm -rf /", "a" * 1000, "../x", "id with spaces", "\n"]:
                cases.append((name, {**base, "cluster_id": bad}, ("cluster_id",)))
        if "run_id" in props:
            for bad in [0, -1, "abc", 1.5, None, "1; DROP"]:
                cases.append((name, {**base, "run_id": bad}, ("run_id",)))
        if "job_name" in props:
            for bad in ["", "\n", "x" * 5000, "tab\tname"]:
                cases.append((name, {**base, "job_name": bad}, ("job_name",)))
        for field, values in {
            "job_id": [0, -1, "x"],
            "wait_sec": [-1, 46, "nan", 1e9],
            "days": [0, 366, -1],
            "seed": [-1, 2**64],
            "scale": ["huge", ""],
            "scale_factor": [0, -1, "inf", 1e9],
            "timeout_sec": [0, -1, 10**9],
            "max_files": [-1, "x"],
            "clean": ["maybe"],
            "overwrite": ["maybe"],
        }.items():
            if field in props:
                cases += [(name, {**base, field: bad}, (field,)) for bad in values]
        for bad_profile in ["", "   ", "../../etc/passwd", "no-such-profile", "[DEFAULT]"]:
            if "profile" in props:
                cases.append((name, {**base, "profile": bad_profile}, ("profile",)))
        cases.append((name, {**base, "catalogue": "main"}, ("unknown parameter", "catalogue")))
    return cases


def _toolset_tools(toolset: str) -> set[str]:
    from server.app import definitions, toolset_modules

    return {definition.name for module in toolset_modules(toolset) for definition in definitions(module)}


DATABRICKS_TOOLS = _toolset_tools("databricks")


def test_databricks_names_and_numbers_are_refused_before_any_request(
    arena: Path, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.adapters.databricks.auth import clear_client_cache

    monkeypatch.setenv("DATABRICKS_HOST", standin.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", standin.token)
    clear_client_cache()
    server = build_server(make_settings(arena / "root"))
    with SyncClient(server, call_timeout=60) as sync_client:
        cases = _databricks_cases(_schemas(sync_client))
        standin.requests.clear()
        _run_cases(
            sync_client,
            arena,
            "bad input: hand-picked Databricks names, paths and numbers",
            cases,
            requests=standin.requests,
        )
    clear_client_cache()


# --------------------------------------------------------------------------- raw JSON-RPC over stdio

#: (label, raw line with {id}, what may come back: "error-result", "rpc-error" or "dropped").
ANY_ANSWER = {"error-result", "rpc-error", "dropped"}
CALL_ERROR = {"error-result", "rpc-error"}
DEEP = "[" * 5000 + "]" * 5000
#: (label, params of a tools/call as raw JSON text, what may come back: "error-result" (isError),
#: "rpc-error" (a JSON-RPC error) or "dropped" (the SDK could not parse the line and ignored it)).
RAW_CASES: list[tuple[str, str, set[str]]] = [
    ("NaN literal", '{"name":"estimate_dataset","arguments":{"scale_factor":NaN}}', {"error-result"}),
    ("Infinity literal", '{"name":"estimate_dataset","arguments":{"scale_factor":Infinity}}', {"error-result"}),
    ("-Infinity literal", '{"name":"estimate_dataset","arguments":{"scale_factor":-Infinity}}', {"error-result"}),
    ("1e999", '{"name":"estimate_dataset","arguments":{"scale_factor":1e999}}', {"error-result"}),
    ("NaN for days", '{"name":"generate_data","arguments":{"days":NaN}}', {"error-result"}),
    ("400-digit integer", '{"name":"estimate_dataset","arguments":{"days":1' + "0" * 400 + "}}", {"error-result"}),
    ("-400-digit integer", '{"name":"estimate_dataset","arguments":{"seed":-1' + "0" * 400 + "}}", {"error-result"}),
    ("duplicate keys", '{"name":"estimate_dataset","arguments":{"days":1,"days":400}}', {"error-result"}),
    ("lone surrogate in a path", '{"name":"validate_dataset","arguments":{"path":"\\ud800x"}}', ANY_ANSWER),
    ("escaped NUL in a path", '{"name":"validate_dataset","arguments":{"path":"a\\u0000b"}}', {"error-result"}),
    ("5,000-deep nesting", '{"name":"describe_schema","arguments":{"table":' + DEEP + "}}", ANY_ANSWER),
    ("arguments is a list", '{"name":"describe_schema","arguments":[1,2]}', CALL_ERROR),
    ("arguments is a string", '{"name":"describe_schema","arguments":"table=orders"}', CALL_ERROR),
    ("no tool name", '{"arguments":{}}', CALL_ERROR),
    ("tool name is a number", '{"name":5,"arguments":{}}', CALL_ERROR),
    ("unknown tool", '{"name":"rm_rf","arguments":{}}', CALL_ERROR),
    ("5 MB string", '{"name":"describe_schema","arguments":{"table":"' + "y" * 5_000_000 + '"}}', {"error-result"}),
    ("null arguments", '{"name":"query_dataset","arguments":null}', CALL_ERROR),
]
BROKEN_LINES = [
    "{not json",
    "",
    "[]",
    '{"jsonrpc":"2.0"}',
    '{"jsonrpc":"2.0","id":99,"method":"no/such/method"}',
    "\x00\xff",
]


def test_raw_json_rpc_oddities_over_stdio(tmp_path: Path) -> None:
    record = tally("bad input: raw JSON-RPC over stdio", "answered with an error or dropped, server kept serving")
    outcomes: dict[str, int] = {}
    failures = []
    with RawStdioServer(tmp_path / "root", tmp_path / "stderr.log") as server:
        server.initialize()
        for number, (label, params, allowed) in enumerate(RAW_CASES, start=1):
            request_id = f"raw-{number}"
            line = '{"jsonrpc":"2.0","id":"' + request_id + '","method":"tools/call","params":' + params + "}"
            server.send_line(line)
            tool = "estimate_dataset" if "estimate" in params else "tool"
            outcome, problem = _outcome(server, request_id, tool, may_be_dropped="dropped" in allowed)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if problem is None and outcome not in allowed:
                problem = f"answered {outcome}, expected one of {sorted(allowed)}"
            record.add(problem, label)
            if problem is not None:
                failures.append(f"{label}: {problem}")
        for number, line in enumerate(BROKEN_LINES):
            server.send_line(line)
            request_id = 99 if "no/such" in line else f"broken-{number}"
            outcome, problem = _outcome(server, request_id, "none", may_be_dropped=True)
            record.add(problem, f"broken line {line[:20]!r}")
            if problem is not None:
                failures.append(f"broken line {line[:20]!r}: {problem}")
        # still serving, with the same answers as before
        final = server.call("describe_schema", {"table": "orders"})
        assert final["isError"] is False
        assert server.process.poll() is None, "the server exited"
    assert not failures, "\n".join(failures)


def _outcome(server: RawStdioServer, request_id: Any, tool: str, *, may_be_dropped: bool) -> tuple[str, str | None]:
    """How the server answered `request_id` (a ping sent right after shows it is still serving). A line the
    server may drop gets 0.5 s after the ping's answer; any other waits for its answer, which on a loaded
    machine can come well after the ping (a refused 5 MB argument took 0.45 s)."""
    grace = 0.5 if may_be_dropped else 30.0
    server.send({"jsonrpc": "2.0", "id": f"ping-{request_id}", "method": "ping"})
    answer = None
    deadline = time.monotonic() + 60
    pinged = False
    while time.monotonic() < deadline:
        message = server.read_message(grace if pinged else max(0.1, deadline - time.monotonic()))
        if message is None:
            if pinged:
                break
            continue
        if message.get("id") == request_id:
            answer = message
            if pinged:
                break
        elif message.get("id") == f"ping-{request_id}":
            pinged = True
            if answer is not None:
                break
    if not pinged:
        return "no-ping", "the server stopped answering"
    if answer is None:
        return "dropped", None
    if "error" in answer:
        error = answer["error"]
        if not isinstance(error.get("code"), int) or not error.get("message"):
            return "rpc-error", f"malformed JSON-RPC error {error}"
        return "rpc-error", None
    result = answer.get("result", {})
    if result.get("isError"):
        text = " ".join(block.get("text", "") for block in result.get("content", []))
        return "error-result", error_problem(text, tool)
    return "accepted", f"accepted: {str(result)[:200]}"
