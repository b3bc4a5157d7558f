"""server.json, the MCP Registry's entry: it validates against the registry's published JSON schema
(vendored in data/, with its source), names the PyPI package and version this repository builds, runs
over stdio, marks the secret variables, lists only variables the server reads, and the README carries
the `mcp-name:` line through which the registry verifies that the PyPI package is ours."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from generator import __version__
from server.__main__ import MCP_SUBCOMMAND
from server.adapters.secrets import SECRET_ENV_VARS
from server.settings import ENV_LOG_LEVEL, ENV_READ_ONLY, ENV_ROOT, ENV_TOOLSETS, LOG_LEVELS
from tests.packaging.conftest import REPO

SCHEMA = Path(__file__).parent / "data" / "server.schema.json"


@pytest.fixture(scope="module")
def entry() -> dict[str, Any]:
    return json.loads((REPO / "server.json").read_text(encoding="utf-8"))


def test_server_json_validates_against_the_registry_schema(entry: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert entry["$schema"] == schema["$id"]
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(entry)
    broken = {**entry, "packages": [{**entry["packages"][0], "version": "latest"}]}
    with pytest.raises(jsonschema.ValidationError):  # the schema really constrains the entry
        jsonschema.Draft7Validator(schema).validate(broken)


def test_the_package_is_this_projects_wheel_on_pypi_over_stdio(entry: dict[str, Any]) -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    (package,) = entry["packages"]
    assert package["registryType"] == "pypi" and package["transport"] == {"type": "stdio"}
    assert f'name = "{package["identifier"]}"' in pyproject
    assert package["version"] == entry["version"] == __version__
    # Registry clients run `uvx <identifier>==<version> <package arguments>`: the command named like
    # the package, whose `mcp` subcommand is the server (tests/packaging/test_uvx.py runs it).
    assert package["runtimeHint"] == "uvx"
    assert [argument["value"] for argument in package["packageArguments"]] == [MCP_SUBCOMMAND]
    assert f'{package["identifier"]} = "server.__main__:command"' in pyproject


def test_environment_variables_are_the_servers_and_secrets_are_marked(entry: dict[str, Any]) -> None:
    variables = {variable["name"]: variable for variable in entry["packages"][0]["environmentVariables"]}
    assert {ENV_ROOT, ENV_READ_ONLY, ENV_TOOLSETS, ENV_LOG_LEVEL} <= set(variables)
    assert set(variables) - {ENV_ROOT, ENV_READ_ONLY, ENV_TOOLSETS, ENV_LOG_LEVEL} <= set(SECRET_ENV_VARS) | {
        "DATABRICKS_HOST",
        "DATABRICKS_CONFIG_PROFILE",
    }
    assert {name for name, variable in variables.items() if variable.get("isSecret")} == {"DATABRICKS_TOKEN"}
    assert "DATABRICKS_TOKEN" in SECRET_ENV_VARS  # masked and kept from scripts, as the description says
    assert variables[ENV_LOG_LEVEL]["choices"] == list(LOG_LEVELS)
    assert all(variable["description"] for variable in variables.values())


def test_the_readme_names_the_server_for_the_registrys_pypi_check(entry: dict[str, Any]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"<!-- mcp-name: {re.escape(entry['name'])} -->", readme)
