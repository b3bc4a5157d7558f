"""tools/list as the client sees it: snapshot, annotations, read-only mode and toolsets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import mcp
import pytest

from server.app import build_server
from server.tooling.schemas import lean
from server.tools.local.describe_schema import TABLE_NAMES_TEXT
from tests.server.mcp_helpers import make_settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"
LOCAL_TOOLS = {
    "generate_data",
    "get_generation_status",
    "cancel_generation",
    "estimate_dataset",
    "init_project",
    "execute_script",
    "describe_schema",
    "validate_dataset",
    "query_dataset",
    "list_datasets",
    "load_to_postgres",
}
WRITING_TOOLS = {"generate_data", "cancel_generation", "init_project", "execute_script", "load_to_postgres"}
DATABRICKS_TOOLS = {
    "upload_to_volume",
    "create_tables_from_volume",
    "generate_and_upload",
    "submit_generation_run",
    "deploy_generation_script",
    "execute_script_on_cluster",
    "generate_and_upload_on_cluster",
    "trigger_bundle_job",
    "get_job_run",
    "cancel_job_run",
    "load_to_lakebase",
}
DATABRICKS_READ_ONLY = {"get_job_run"}


async def list_tools(root: Path, **kwargs: Any) -> list[Any]:
    async with mcp.Client(build_server(make_settings(root, **kwargs))) as client:
        return (await client.list_tools()).tools


def as_json(tools: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": tool.name,
            "title": tool.title,
            "description": tool.description,
            "annotations": tool.annotations.model_dump(mode="json", exclude_none=True),
            "input_schema": tool.input_schema,
            "output_schema": tool.output_schema,
        }
        for tool in tools
    ]


async def test_tools_list_matches_the_snapshot(tmp_path: Path) -> None:
    """Refresh on purpose with UPDATE_SNAPSHOTS=1 after reviewing the diff."""
    current = as_json(await list_tools(tmp_path, toolsets=("local", "databricks")))
    text = json.dumps(current, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1"
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == expected, "tools/list changed; review and refresh with UPDATE_SNAPSHOTS=1"


async def test_every_tool_is_fully_described(tmp_path: Path) -> None:
    tools = await list_tools(tmp_path, toolsets=("local", "databricks"))
    assert {tool.name for tool in tools} == LOCAL_TOOLS | DATABRICKS_TOOLS
    for tool in tools:
        assert tool.title and len(tool.description) > 150, tool.name
        assert "Use it" in tool.description, f"{tool.name}: say when to use it"
        hints = tool.annotations
        for hint in ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint"):
            assert isinstance(getattr(hints, hint), bool), f"{tool.name}.{hint}"
        if hints.read_only_hint:
            assert hints.destructive_hint is False
        assert tool.input_schema["type"] == "object"
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
        assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
        for name, prop in tool.output_schema["properties"].items():
            assert prop.get("description"), f"{tool.name} output {name} has no description"
    writing = WRITING_TOOLS | (DATABRICKS_TOOLS - DATABRICKS_READ_ONLY)
    assert {tool.name for tool in tools if not tool.annotations.read_only_hint} == writing


async def test_input_schema_is_flat_and_agrees_with_the_model(tmp_path: Path) -> None:
    from server.tools.local.generate_data import GenerateDataInput

    tools = {tool.name: tool for tool in await list_tools(tmp_path, toolsets=("local",))}
    schema = tools["generate_data"].input_schema
    model_schema = GenerateDataInput.model_json_schema()["properties"]
    assert list(schema["properties"]) == list(GenerateDataInput.model_fields)
    for name, prop in schema["properties"].items():
        assert prop == lean(model_schema[name])  # the same schema, less pydantic's repeats
    assert "client_roots" not in schema["properties"] and "ctx" not in schema["properties"]
    assert schema["properties"]["scale"]["enum"] == ["small", "medium", "large"]
    assert tools["query_dataset"].input_schema["required"] == ["sql"]


def keywords(schema: Any, found: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Every (keyword, value) pair of a schema at every level, property names and data not counted."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.append((key, value))
            if key in ("properties", "$defs"):
                for sub in value.values():
                    keywords(sub, found)
            elif key not in ("default", "enum", "const", "required"):
                keywords(value, found)
    elif isinstance(schema, list):
        for item in schema:
            keywords(item, found)
    return found


async def test_schemas_carry_no_titles_and_no_repeated_definitions(tmp_path: Path) -> None:
    """What the agent reads holds no pydantic titles nor an optional field's description twice, and a
    nested model is defined once per schema, under one name with one shape across the whole list."""
    shapes: dict[str, dict[str, Any]] = {}
    for tool in await list_tools(tmp_path, toolsets=("local", "databricks")):
        for schema in (tool.input_schema, tool.output_schema):
            assert "title" not in {key for key, _ in keywords(schema, [])}, tool.name
            for name, prop in schema.get("properties", {}).items():  # an optional field: one description
                assert not any("description" in branch for branch in prop.get("anyOf", [])), f"{tool.name}.{name}"
            defs = schema.get("$defs", {})
            assert len({json.dumps(d, sort_keys=True) for d in defs.values()}) == len(defs), f"{tool.name}: a copy"
            refs = {value for key, value in keywords(schema, []) if key == "$ref"}
            assert refs == {f"#/$defs/{name}" for name in defs}, f"{tool.name}: a definition unused or missing"
            for name, definition in defs.items():
                assert shapes.setdefault(name, definition) == definition, f"{name} differs in {tool.name}"


async def test_read_only_mode_hides_every_writing_tool(tmp_path: Path) -> None:
    tools = await list_tools(tmp_path, read_only=True)
    names = {tool.name for tool in tools}
    assert names == (LOCAL_TOOLS - WRITING_TOOLS) | DATABRICKS_READ_ONLY
    assert all(tool.annotations.read_only_hint for tool in tools)


async def test_toolsets_filter_the_groups(tmp_path: Path) -> None:
    assert {tool.name for tool in await list_tools(tmp_path, toolsets=("local",))} == LOCAL_TOOLS
    databricks_only = {tool.name for tool in await list_tools(tmp_path, toolsets=("databricks",))}
    assert databricks_only == DATABRICKS_TOOLS


async def test_schema_resources_are_listed(tmp_path: Path) -> None:
    async with mcp.Client(build_server(make_settings(tmp_path, read_only=True))) as client:
        resources = await client.list_resources()
        templates = await client.list_resource_templates()
    assert [str(resource.uri) for resource in resources.resources] == ["retail://schema"]
    assert [template.uri_template for template in templates.resource_templates] == [
        "retail://schema/{table}",
        "file:///{+path}",  # the files that results link (server.tooling.links)
    ]


def test_table_names_in_descriptions_match_the_schema() -> None:
    from generator.schema import TABLE_NAMES

    assert ", ".join(TABLE_NAMES) == TABLE_NAMES_TEXT


@pytest.mark.parametrize("read_only", [False, True])
async def test_server_starts_without_heavy_imports(tmp_path: Path, read_only: bool) -> None:
    """Heavy libraries load inside tool calls, not when the server starts (checked in a fresh process)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from server.app import build_server\n"
        "from server.settings import Settings\n"
        f"build_server(Settings.from_sources({['--read-only'] if read_only else []!r}, {{}}))\n"
        "heavy = ('pyarrow', 'duckdb', 'numpy', 'pandas', 'deltalake', 'databricks.sdk', 'faker', 'psycopg',\n"
        "         'generator.runner', 'generator.schema', 'generator.postgres.load')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    env = {**os.environ, "RETAIL_DATAGEN_ROOT": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
