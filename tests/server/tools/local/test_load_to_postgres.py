"""load_to_postgres through a real MCP client, into the real PostgreSQL server the tests start."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import mcp
import pytest
from mcp.server.mcpserver import MCPServer
from psycopg import sql

from generator.manifest import read_manifest
from generator.schema import TABLES
from tests.server.mcp_helpers import ProgressLog, assert_no_secret, error_text, ok, tree

PASSWORD = "tool-Pa55word-never-shown"


def loaded_rows(pg_server: Any, database: str, schema: str) -> dict[str, int]:
    with pg_server.connect(database) as conn:
        return {
            name: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))).fetchone()[0]
            for name in TABLES
        }


def schemas(pg_server: Any, database: str) -> set[str]:
    with pg_server.connect(database) as conn:
        names = {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
    return names - {"public", "information_schema", "pg_catalog", "pg_toast"}


async def load_sample(client: mcp.Client, dsn: str, **options: Any) -> dict[str, Any]:
    """Load the sample dataset into `dsn` through the tool; its result (the call must succeed)."""
    return ok(await client.call_tool("load_to_postgres", {"path": "sample_data", "dsn": dsn, **options}))


@pytest.fixture
def loader_dsn(pg_server: Any, pg_database: str) -> str:
    """A URI with a password for a role that may create schemas in the test's database."""
    role = pg_server.create_role(f"tool_{pg_database}", PASSWORD)
    with pg_server.connect(pg_database) as conn:
        conn.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(sql.Identifier(pg_database), sql.Identifier(role))
        )
    return f"postgresql://{role}:{PASSWORD}@{pg_server.host}:{pg_server.port}/{pg_database}"


async def test_a_dataset_folder_is_loaded_with_progress_and_no_password_in_the_result(
    server: MCPServer,
    dataset_copy: Path,
    pg_server: Any,
    pg_database: str,
    loader_dsn: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    progress = ProgressLog()
    async with mcp.Client(server) as client:
        result = await client.call_tool(
            "load_to_postgres", {"path": "sample_data", "dsn": loader_dsn}, progress_callback=progress
        )
        wrong = await client.call_tool(
            "load_to_postgres", {"path": "sample_data", "dsn": loader_dsn.replace(PASSWORD, PASSWORD + "x")}
        )
    loaded = ok(result)
    expected = {name: table.rows for name, table in read_manifest(dataset_copy).tables.items()}
    assert loaded["rows"] == expected == loaded_rows(pg_server, pg_database, "retail")
    assert loaded["total_rows"] == sum(expected.values()) and loaded["rows_per_sec"] > 0
    assert (loaded["schema"], loaded["database"], loaded["port"]) == ("retail", pg_database, pg_server.port)
    assert loaded["dataset_path"] == str(dataset_copy) and loaded["replaced_previous"] is False
    assert "SELECT count(*) FROM retail.orders" in loaded["message"]
    progress.assert_increasing()
    assert progress.events[-1][:2] == (loaded["total_rows"], loaded["total_rows"])  # rows copied of all rows
    assert all((message or "").split(":")[0] in TABLES for _, _, message in progress.events)  # per table
    assert "password authentication failed" in error_text(wrong) and "check the password" in error_text(wrong)
    assert_no_secret(PASSWORD, result, wrong)
    assert PASSWORD not in caplog.text + json.dumps(progress.events)


async def test_generate_and_load_in_one_call_keeps_no_files(
    server: MCPServer, data_root: Path, pg_server: Any, pg_database: str
) -> None:
    data_root.mkdir(parents=True)
    before = tree(data_root)
    progress = ProgressLog()
    async with mcp.Client(server) as client:
        result = await client.call_tool(
            "load_to_postgres",
            {"dsn": pg_server.dsn(pg_database), "schema": "Generated", "scale_factor": 0.1, "days": 3, "seed": 7},
            progress_callback=progress,
        )
    loaded = ok(result)
    assert loaded["schema"] == "generated" and loaded["dataset_path"] is None
    assert loaded["rows"] == loaded_rows(pg_server, pg_database, "generated") and loaded["rows"]["orders"] > 0
    progress.assert_increasing()  # generation's chunks, then the load's rows, as one stream
    assert tree(data_root) == before, "the generated dataset was left on disk"
    with pg_server.connect(pg_database) as conn:
        comment = conn.execute("SELECT obj_description('generated'::regnamespace, 'pg_namespace')").fetchone()[0]
    assert "days 3" in comment and "seed 7" in comment


async def test_an_existing_schema_is_refused_unless_overwrite_and_then_replaced(
    server: MCPServer, dataset_copy: Path, pg_server: Any, pg_database: str
) -> None:
    dsn = pg_server.dsn(pg_database)
    async with mcp.Client(server) as client:
        await load_sample(client, dsn)
        with pg_server.connect(pg_database) as conn:
            conn.execute("UPDATE retail.stores SET name = 'PREVIOUS'")
        refused = error_text(await client.call_tool("load_to_postgres", {"path": "sample_data", "dsn": dsn}))
        assert "overwrite" in refused and "already holds the tables" in refused
        with pg_server.connect(pg_database) as conn:
            assert conn.execute("SELECT DISTINCT name FROM retail.stores").fetchall() == [("PREVIOUS",)]
        replaced = await load_sample(client, dsn, overwrite=True)
    assert replaced["replaced_previous"] is True and schemas(pg_server, pg_database) == {"retail"}
    with pg_server.connect(pg_database) as conn:
        assert conn.execute("SELECT count(*) FROM retail.stores WHERE name = 'PREVIOUS'").fetchone()[0] == 0


async def test_the_pg_variables_of_the_server_are_used_without_a_dsn(
    server: MCPServer, dataset_copy: Path, pg_server: Any, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in pg_server.environment(pg_database).items():
        monkeypatch.setenv(key, value)
    async with mcp.Client(server) as client:
        result = await client.call_tool("load_to_postgres", {"path": "sample_data", "schema": "from_env"})
    assert ok(result)["database"] == pg_database and "from_env" in schemas(pg_server, pg_database)
    assert_no_secret(pg_server.password, result)


@pytest.mark.parametrize(
    ("arguments", "mentions"),
    [
        ({"schema": "re.tail"}, ("schema='re.tail'", "[A-Za-z_][A-Za-z0-9_]*")),
        ({"schema": 'x"; DROP SCHEMA public; --'}, ("schema=",)),
        ({"schema": "pg_retail"}, ("reserved by PostgreSQL",)),
        ({"overwrite": "yes"}, ("overwrite='yes'",)),
        ({"dsn": f"host=127.0.0.1 password={PASSWORD} port"}, ("dsn=", "key=value")),
        ({"dsn": f"postgresql://me:{PASSWORD}@127.0.0.1:1/db"}, ("Cannot connect", "check host and port")),
        ({"days": 3}, ("path='sample_data'", "days", "not both")),
        ({"path": "no_such_folder"}, ("path='no_such_folder'", "does not exist")),
        ({"path": "../outside"}, ("path",)),
        ({"dbname": "x"}, ("unknown parameter", "'dbname'")),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_loaded(
    arguments: dict[str, Any],
    mentions: tuple[str, ...],
    server: MCPServer,
    dataset_copy: Path,
    pg_server: Any,
    pg_database: str,
) -> None:
    args = {"path": "sample_data", "dsn": pg_server.dsn(pg_database), **arguments}
    async with mcp.Client(server) as client:
        result = await client.call_tool("load_to_postgres", args)
    text = error_text(result)
    for fragment in mentions:
        assert fragment in text, (fragment, text)
    assert "\n" not in text and "Traceback" not in text and "Unexpected error" not in text
    assert_no_secret(PASSWORD, result)
    assert_no_secret(pg_server.password, result)
    assert schemas(pg_server, pg_database) == set()


async def test_a_folder_that_is_not_a_complete_dataset_is_named(
    server: MCPServer, dataset_copy: Path, pg_server: Any, pg_database: str
) -> None:
    (dataset_copy / "promotions").rename(dataset_copy.parent / "promotions-elsewhere")
    async with mcp.Client(server) as client:
        text = error_text(
            await client.call_tool("load_to_postgres", {"path": "sample_data", "dsn": pg_server.dsn(pg_database)})
        )
    assert "path='sample_data'" in text and "promotions" in text
    assert schemas(pg_server, pg_database) == set()


async def test_apply_changes_upserts_an_increment_instead_of_reloading(
    server: MCPServer, dataset_copy: Path, pg_server: Any, pg_database: str
) -> None:
    dsn = pg_server.dsn(pg_database)
    async with mcp.Client(server) as client:
        await load_sample(client, dsn)
        grown = ok(
            await client.call_tool("generate_data", {"output_dir": "sample_data", "mode": "incremental", "days": 2})
        )
        assert grown["result"]["version"] == 1
        applied = await load_sample(client, dsn, apply_changes=True)
        refused = error_text(await client.call_tool("load_to_postgres", {"dsn": dsn, "apply_changes": True}))
    expected = {name: table.rows for name, table in read_manifest(dataset_copy).tables.items()}
    assert loaded_rows(pg_server, pg_database, "retail") == expected  # the grown dataset, without a reload
    assert applied["rows"]["orders"] > 0 and applied["replaced_previous"] is False
    assert "versions 1" in applied["message"]
    assert "give its path" in refused
