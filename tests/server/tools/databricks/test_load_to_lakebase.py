"""load_to_lakebase through a real MCP client: the real SDK against the stand-in finds the instance and a
credential, and the data goes over TLS into the tests' real PostgreSQL server (the instance's database)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import mcp
import pytest
from databricks_standin import USER_NAME
from mcp.server.mcpserver import MCPServer

import server.adapters.databricks.lakebase as lakebase
from generator.manifest import read_manifest
from tests.server.mcp_helpers import ProgressLog, assert_no_secret, error_text, ok

INSTANCE = "retail-lakebase"


def add_instance(standin: Any, database: Any, monkeypatch: pytest.MonkeyPatch, **options: Any) -> None:
    """An AVAILABLE instance on the stand-in whose database is the tests' server (on its own port)."""
    standin.add_database_instance(INSTANCE, database.server.host, database.server.port, **options)
    monkeypatch.setattr(lakebase, "LAKEBASE_PORT", database.server.port)


@pytest.fixture
def instance(standin: Any, lakebase_database: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An instance that accepts every credential the stand-in hands out."""
    add_instance(standin, lakebase_database, monkeypatch, on_credential=lakebase_database.accept)
    return lakebase_database


async def test_a_dataset_lands_on_the_instance_and_the_credential_is_never_shown(
    credentials: dict[str, str],
    standin: Any,
    instance: Any,
    server: MCPServer,
    dataset_copy: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    arguments = {"instance_name": INSTANCE, "database": instance.name, "path": "sample_data"}
    caplog.set_level(logging.DEBUG)
    progress = ProgressLog()
    async with mcp.Client(server) as client:
        result = await client.call_tool("load_to_lakebase", arguments, progress_callback=progress)
        again = await client.call_tool("load_to_lakebase", arguments)
    loaded = ok(result)
    expected = {name: table.rows for name, table in read_manifest(dataset_copy).tables.items()}
    assert loaded["rows"] == expected and loaded["instance_name"] == INSTANCE
    assert loaded["workspace_host"] == standin.url
    assert (loaded["user"], loaded["database"], loaded["schema"]) == (USER_NAME, instance.name, "retail")
    assert instance.schemas() == {"retail"}
    assert "overwrite" in error_text(again)  # the second load is refused: the schema holds the tables
    progress.assert_increasing()
    assert len(instance.tokens) == 2  # one credential per call, fetched from the stand-in
    for token in instance.tokens:
        assert_no_secret(token, result, again)
        assert token not in caplog.text and token.rsplit(".", 1)[1] not in caplog.text
    logins = [line for line in instance.server.server_log().splitlines() if f"database={instance.name} " in line]
    assert logins and all("SSL enabled" in line for line in logins if "connection authorized" in line)


async def test_generate_and_load_into_the_instance_in_one_call(
    credentials: dict[str, str], instance: Any, server: MCPServer, data_root: Path
) -> None:
    async with mcp.Client(server) as client:
        loaded = ok(
            await client.call_tool(
                "load_to_lakebase",
                {"instance_name": INSTANCE, "database": instance.name, "schema": "fresh", "scale_factor": 0.05},
            )
        )
    assert loaded["dataset_path"] is None and loaded["rows"]["orders"] > 0
    assert instance.schemas() == {"fresh"}
    assert not any(data_root.glob(".load-*")), "the generated dataset was left on disk"


async def test_an_identity_without_a_role_is_told_what_to_set_up(
    credentials: dict[str, str],
    standin: Any,
    lakebase_database: Any,
    server: MCPServer,
    dataset_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server never learns the credential: like an identity without a PostgreSQL role on the instance.
    add_instance(standin, lakebase_database, monkeypatch, on_credential=lambda token, expires: None)
    async with mcp.Client(server) as client:
        result = await client.call_tool(
            "load_to_lakebase",
            {"instance_name": INSTANCE, "database": lakebase_database.name, "path": "sample_data"},
        )
    text = error_text(result)
    assert "PostgreSQL role on the instance" in text and "run the" in text
    assert lakebase_database.schemas() == set()


@pytest.mark.parametrize(
    ("arguments", "mentions"),
    [
        ({"instance_name": "no-such-instance"}, ("'no-such-instance' does not exist",)),
        ({"instance_name": "bad name!"}, ("instance_name='bad name!'",)),
        ({"schema": "re.tail"}, ("schema='re.tail'",)),
        ({"database": ""}, ("database=''",)),
        ({"path": "no_such_folder"}, ("path='no_such_folder'",)),
        ({"seed": 3}, ("not both",)),
    ],
)
async def test_bad_input_and_an_unknown_instance_are_refused_cleanly(
    arguments: dict[str, Any],
    mentions: tuple[str, ...],
    credentials: dict[str, str],
    standin: Any,
    server: MCPServer,
    dataset_copy: Path,
) -> None:
    standin.requests.clear()
    async with mcp.Client(server) as client:
        text = error_text(
            await client.call_tool("load_to_lakebase", {"instance_name": INSTANCE, "path": "sample_data", **arguments})
        )
    for fragment in mentions:
        assert fragment in text, (fragment, text)
    assert "Unexpected error" not in text and "\n" not in text
    lakebase_requests = [r for r in standin.requests if r.path.startswith("/api/2.0/database/")]
    if "instance_name" not in arguments or arguments["instance_name"] == "bad name!":
        assert lakebase_requests == []  # refused before any Lakebase request
