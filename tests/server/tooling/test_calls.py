"""Every tool call is checked and its failures shaped the same way: bad input is one clear line that writes
nothing, and an unexpected failure reaches the agent in one line while the log keeps the traceback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import mcp
import pytest
from mcp.server.mcpserver import MCPServer

from tests.server.mcp_helpers import error_text, tree

BAD_INPUTS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("generate_data", {"scale": "huge"}, ["scale='huge'", "one of small, medium, large"]),
    ("generate_data", {"days": 0}, ["days=0", "a whole number from 1 to 365"]),
    ("generate_data", {"days": "many"}, ["days='many'", "not a whole number"]),
    ("generate_data", {"scale_factor": -1}, ["scale_factor=-1", "a number > 0"]),
    ("generate_data", {"scale_factor": "NaN"}, ["scale_factor='NaN'", "a number > 0"]),
    ("generate_data", {"end_date": "31/12/2025"}, ["end_date='31/12/2025'", "date"]),
    ("generate_data", {"format": "xlsx"}, ["format='xlsx'", "'parquet', 'csv', 'delta' or 'duckdb'"]),
    ("generate_data", {"workers": 0}, ["workers=0"]),
    ("generate_data", {"seed": -1}, ["seed=-1"]),
    ("generate_data", {"overwrite": "perhaps"}, ["overwrite='perhaps'", "boolean"]),
    ("generate_data", {"output_dir": "/etc/retail"}, ["output_dir='/etc/retail'", "outside the allowed roots"]),
    ("generate_data", {"output_dir": "../escape"}, ["output_dir='../escape'", "outside the allowed roots"]),
    ("get_generation_status", {"job_id": "nope"}, ["job_id='nope' is unknown"]),
    ("get_generation_status", {}, ["job_id"]),
    ("cancel_generation", {"job_id": "nope"}, ["job_id='nope' is unknown"]),
    ("estimate_dataset", {"days": 400}, ["days=400", "from 1 to 365"]),
    ("estimate_dataset", {"format": "xls"}, ["format='xls'"]),
    ("init_project", {"project_path": "/etc/project"}, ["project_path='/etc/project'", "outside"]),
    ("init_project", {"project_path": "sample_data/_manifest.json"}, ["is a file"]),
    ("execute_script", {"project_path": "no_such_project"}, ["not a folder", "init_project"]),
    ("execute_script", {"project_path": "sample_data"}, ["no generate_data.py", "init_project"]),
    ("execute_script", {"project_path": "/tmp"}, ["outside the allowed roots"]),
    ("execute_script", {"project_path": "sample_data", "timeout_sec": 0}, ["timeout_sec=0"]),
    ("execute_script", {"project_path": "sample_data", "scale_factor": 0}, ["scale_factor=0"]),
    ("execute_script", {"project_path": "sample_data", "env": {"SCALE_FACTOR": "2"}}, ["SCALE_FACTOR"]),
    ("execute_script", {"project_path": "sample_data", "env": {"A": 1}}, ["env[A]=1"]),
    ("describe_schema", {"table": "nope"}, ["table='nope'", "orders"]),
    ("describe_schema", {"table": 5}, ["table"]),
    ("validate_dataset", {"path": "/etc"}, ["path='/etc'", "outside"]),
    ("validate_dataset", {"path": "nothing_here"}, ["nothing_here", "not a dataset"]),
    ("query_dataset", {"sql": "drop table orders"}, ["DROP", "read-only"]),
    ("query_dataset", {"sql": "insert into orders select * from orders"}, ["INSERT"]),
    ("query_dataset", {"sql": "copy orders to 'out.csv'"}, ["COPY"]),
    ("query_dataset", {"sql": "create table t as select 1"}, ["CREATE"]),
    ("query_dataset", {"sql": "attach 'x.db' as x"}, ["ATTACH"]),
    ("query_dataset", {"sql": "set threads = 1"}, ["SET"]),
    ("query_dataset", {"sql": "pragma version"}, ["PRAGMA"]),
    ("query_dataset", {"sql": "explain analyze create table t as select 1"}, ["CREATE"]),
    ("query_dataset", {"sql": "select 1; drop table orders"}, ["exactly one statement"]),
    ("query_dataset", {"sql": "selec 1"}, ["could not parse", "syntax error"]),
    ("query_dataset", {"sql": "select * from nosuch"}, ["DuckDB error", "nosuch"]),
    ("query_dataset", {"sql": "select * from read_csv('/etc/passwd')"}, ["DuckDB error"]),
    ("query_dataset", {"sql": "select 1", "limit": 0}, ["limit=0"]),
    ("query_dataset", {"sql": "select 1", "limit": 5000}, ["limit=5000", "1000"]),
    ("query_dataset", {"sql": ""}, ["sql=''"]),
    ("query_dataset", {"sql": "select 1", "path": "/"}, ["path='/'", "outside"]),
    ("query_dataset", {"sql": "select 1", "path": "nope"}, ["does not exist"]),
    ("list_datasets", {"under": "/etc"}, ["under='/etc'", "outside"]),
]


@pytest.mark.parametrize(("tool", "args", "expected"), BAD_INPUTS, ids=[f"{t}-{a}" for t, a, _ in BAD_INPUTS])
async def test_bad_inputs_are_tool_errors_that_write_nothing(
    server: MCPServer, dataset_copy: Path, data_root: Path, tool: str, args: dict[str, Any], expected: list[str]
) -> None:
    async with mcp.Client(server) as client:
        before = tree(data_root)
        text = error_text(await client.call_tool(tool, args))
        for fragment in expected:
            assert fragment in text, f"{fragment!r} not in {text!r}"
        assert "\n" not in text.strip() or "validation error" in text, "keep error messages on one line"
        assert tree(data_root) == before, "a refused call changed the data root"


async def test_unexpected_failures_reach_the_agent_in_one_line(
    server: MCPServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with mcp.Client(server) as client:
        import server.tools.local.describe_schema

        def explode(table: str | None = None) -> None:
            raise RuntimeError("disk on fire\nsecond line")

        monkeypatch.setattr(server.tools.local.describe_schema, "describe_tables", explode)
        with caplog.at_level(logging.ERROR):
            text = error_text(await client.call_tool("describe_schema", {}))
        assert "Unexpected error in describe_schema: RuntimeError: disk on fire second line" in text
        assert "\n" not in text
        assert any(record.exc_info for record in caplog.records), "the traceback was not logged"
