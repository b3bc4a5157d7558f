"""The journeys' prompts as a client sees them: listed with their arguments, fetched with values, every
tool call they spell out names a tool the server lists, with parameters it accepts and the required ones
given, and they are offered only when their tools are."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import mcp
import pytest
from mcp.shared.exceptions import MCPError

from server.app import build_server
from tests.server.mcp_helpers import make_settings, stdio_params

#: `tool_name(...)`: any snake_case name with an underscore followed by "(" must be a tool.
CALL = re.compile(r"\b([a-z]+(?:_[a-z]+)+)\((.*?)\)", re.DOTALL)


def spelled_out_calls(text: str) -> list[tuple[str, set[str]]]:
    """Every tool call in a prompt's text with the parameter names it passes."""
    return [(name, set(re.findall(r"(\w+)=", args))) for name, args in CALL.findall(text)]


def prompt_text(result: Any) -> str:
    return "\n".join(message.content.text for message in result.messages)


async def test_both_journeys_are_listed_with_their_arguments(tmp_path: Path) -> None:
    async with mcp.Client(stdio_params(tmp_path)) as client:  # over stdio, as Claude Desktop lists them
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
    assert set(prompts) == {"local_dataset", "databricks_tables"}
    assert prompts["local_dataset"].title == "Set up a local retail dataset and show me what is in it"
    assert prompts["databricks_tables"].title == "Put retail demo tables in my Databricks workspace"
    arguments = {arg.name: arg for arg in prompts["databricks_tables"].arguments}
    assert [name for name, arg in arguments.items() if arg.required] == ["catalog"]
    assert set(arguments) == {"catalog", "schema", "volume", "cluster_id", "scale", "days"}
    assert all(arg.description for prompt in prompts.values() for arg in prompt.arguments)


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("local_dataset", {}, ["generate_data(scale='small', days=14, output_dir='sample_data')"]),
        ("local_dataset", {"scale": "Medium", "days": "30"}, ["estimate_dataset(scale='medium', days=30)"]),
        ("databricks_tables", {"catalog": "main"}, ["submit_generation_run(catalog='main', schema='retail_demo'"]),
        (
            "databricks_tables",
            {"catalog": "Sales", "schema": "demo", "volume": "raw", "cluster_id": "0123-456789-abcdef01"},
            ["Start with route C", "generate_and_upload_on_cluster(cluster_id='0123-456789-abcdef01'"],
        ),
    ],
)
async def test_fetched_prompts_call_real_tools_with_real_parameters(
    tmp_path: Path, name: str, arguments: dict[str, str], expected: list[str]
) -> None:
    async with mcp.Client(build_server(make_settings(tmp_path))) as client:
        tools = {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}
        text = prompt_text(await client.get_prompt(name, arguments))
    for snippet in expected:
        assert snippet in text
    calls = spelled_out_calls(text)
    assert len(calls) >= 6, calls
    for tool, passed in calls:
        assert tool in tools, f"{name} names {tool}(), which is not a tool"
        accepted = set(tools[tool].get("properties", {}))
        assert passed <= accepted, f"{tool}() does not accept {passed - accepted}"
        assert set(tools[tool].get("required", [])) <= passed, f"{tool}() needs {tools[tool]['required']}"


async def test_a_bad_argument_is_refused_with_the_rule(tmp_path: Path) -> None:
    async with mcp.Client(build_server(make_settings(tmp_path))) as client:
        with pytest.raises(MCPError, match="catalog='my.catalog': contains a dot"):
            await client.get_prompt("databricks_tables", {"catalog": "my.catalog"})
        with pytest.raises(MCPError, match="days='400'"):
            await client.get_prompt("local_dataset", {"days": "400"})


async def test_a_journey_is_offered_only_with_its_tools(tmp_path: Path) -> None:
    async def names(**kwargs: Any) -> set[str]:
        async with mcp.Client(build_server(make_settings(tmp_path, **kwargs))) as client:
            return {prompt.name for prompt in (await client.list_prompts()).prompts}

    assert await names(toolsets=("local",)) == {"local_dataset"}
    assert await names(toolsets=("databricks",)) == set()  # route B generates locally
    assert await names(read_only=True) == set()  # both generate
