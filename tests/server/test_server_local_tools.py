"""The local tools through a real in-process MCP client."""

from __future__ import annotations

import json
import logging
import textwrap
import time
from pathlib import Path
from typing import Any

import anyio
import mcp
import pytest
from mcp.server.mcpserver import MCPServer
from mcp.types import ListRootsResult, Root

from server.app import build_server
from tests.server.mcp_helpers import SMALL, error_text, make_settings, ok, tree

# --------------------------------------------------------------------------- generate_data


async def test_generate_data_reports_progress_and_returns_the_manifest(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total, message))

        result = ok(
            await client.call_tool("generate_data", {**SMALL, "background": False}, progress_callback=on_progress)
        )
        assert result["status"] == "succeeded" and result["job_id"] is None
        dataset = data_root / "sample_data"
        assert result["output_dir"] == str(dataset)
        summary = result["result"]
        assert summary["manifest_path"] == str(dataset / "_manifest.json")
        assert set(summary["tables"]) == {
            "stores",
            "products",
            "customers",
            "promotions",
            "orders",
            "order_items",
            "inventory_snapshots",
        }
        assert summary["total_rows"] == sum(table["rows"] for table in summary["tables"].values())
        for table in summary["tables"].values():
            assert table["file_count"] >= 1 and len(table["files"]) <= 20
            assert all((dataset / path).is_file() for path in table["files"])
        assert summary["parameters"]["scale_factor"] == 0.1 and summary["parameters"]["days"] == 7
        # one notification per chunk, counting up to the total
        assert progress, "no progress notifications arrived"
        totals = {total for _, total, _ in progress}
        assert len(totals) == 1
        assert [done for done, _, _ in progress] == list(range(1, int(totals.pop()) + 1))
        assert all(message for _, _, message in progress)


async def test_the_same_parameters_give_the_same_files(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        first = ok(await client.call_tool("generate_data", {**SMALL, "output_dir": "a"}))
        second = ok(await client.call_tool("generate_data", {**SMALL, "output_dir": "b", "workers": 2}))
        files_a = first["result"]["tables"]["orders"]["files"]
        assert files_a == second["result"]["tables"]["orders"]["files"]
        for path in files_a:
            assert (data_root / "a" / path).read_bytes() == (data_root / "b" / path).read_bytes()


async def test_output_dir_equal_to_the_root_is_refused(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        text = error_text(await client.call_tool("generate_data", {**SMALL, "output_dir": "."}))
        assert "root folder itself" in text
        assert not data_root.exists()


async def test_an_existing_dataset_is_kept_when_overwrite_is_false(
    server: MCPServer, dataset_copy: Path, data_root: Path
) -> None:
    async with mcp.Client(server) as client:
        before = tree(data_root)
        text = error_text(await client.call_tool("generate_data", {**SMALL, "overwrite": False}))
        assert "overwrite" in text
        assert tree(data_root) == before


async def test_cancelling_an_inline_generation_leaves_no_partial_output(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        args = {"scale": "medium", "days": 120, "workers": 1, "background": False, "output_dir": "big"}
        started = time.monotonic()
        with anyio.move_on_after(0.7) as scope:
            await client.call_tool("generate_data", args)
        assert scope.cancelled_caught, "the generation finished before it could be cancelled"
        assert time.monotonic() - started < 30
        assert not (data_root / "big").exists()
        leftovers = [p.name for p in data_root.iterdir() if not p.name.endswith(".lock")] if data_root.exists() else []
        assert leftovers == [], f"partial output left behind: {leftovers}"
        listed = ok(await client.call_tool("list_datasets", {}))
        assert listed["datasets"] == []


async def test_background_run_is_polled_until_it_succeeds(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        started = ok(await client.call_tool("generate_data", {**SMALL, "background": True}))
        assert started["status"] == "running" and started["result"] is None
        job_id = started["job_id"]
        assert job_id and "get_generation_status" in started["message"]
        status: dict[str, Any] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = ok(await client.call_tool("get_generation_status", {"job_id": job_id}))
            if status["state"] != "running":
                break
            await anyio.sleep(0.1)
        assert status["state"] == "succeeded", status
        assert status["result"]["total_rows"] > 0 and status["error"] is None
        assert status["chunks_done"] == status["chunks_total"]
        assert (data_root / "sample_data" / "_manifest.json").is_file()
        # cancelling a finished run changes nothing
        after = ok(await client.call_tool("cancel_generation", {"job_id": job_id}))
        assert after["state"] == "succeeded" and after["cancel_requested"] is False


async def test_cancel_generation_stops_a_background_run(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        args = {"scale": "medium", "days": 120, "workers": 1, "background": True, "output_dir": "big"}
        job_id = ok(await client.call_tool("generate_data", args))["job_id"]
        status = ok(await client.call_tool("cancel_generation", {"job_id": job_id}))
        deadline = time.monotonic() + 30
        while status["state"] == "running" and time.monotonic() < deadline:
            await anyio.sleep(0.2)
            status = ok(await client.call_tool("get_generation_status", {"job_id": job_id}))
        assert status["state"] == "cancelled", status
        assert status["cancel_requested"] is True and status["error"]
        assert not (data_root / "big").exists()


async def test_long_runs_go_to_the_background_by_estimate(server: MCPServer) -> None:
    async with mcp.Client(server) as client:
        estimate = ok(await client.call_tool("estimate_dataset", {"scale": "large", "days": 365}))
        if not estimate["runs_in_background"]:
            pytest.skip("this machine's estimate for large/365 is under the background threshold")
        started = ok(await client.call_tool("generate_data", {"scale": "large", "days": 365, "output_dir": "huge"}))
        assert started["status"] == "running" and started["estimated_seconds"] > 40
        ok(await client.call_tool("cancel_generation", {"job_id": started["job_id"]}))


# --------------------------------------------------------------------------- bad inputs write nothing

BAD_INPUTS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("generate_data", {"scale": "huge"}, ["scale='huge'", "'small', 'medium' or 'large'"]),
    ("generate_data", {"days": 0}, ["days=0", "greater than or equal to 1"]),
    ("generate_data", {"days": "many"}, ["days='many'", "integer"]),
    ("generate_data", {"scale_factor": -1}, ["scale_factor=-1", "greater than 0"]),
    ("generate_data", {"scale_factor": "NaN"}, ["scale_factor", "finite"]),
    ("generate_data", {"end_date": "31/12/2025"}, ["end_date='31/12/2025'", "date"]),
    ("generate_data", {"format": "xlsx"}, ["format='xlsx'", "'parquet', 'csv' or 'delta'"]),
    ("generate_data", {"workers": 0}, ["workers=0"]),
    ("generate_data", {"seed": -1}, ["seed=-1"]),
    ("generate_data", {"overwrite": "perhaps"}, ["overwrite='perhaps'", "boolean"]),
    ("generate_data", {"output_dir": "/etc/retail"}, ["output_dir='/etc/retail'", "outside the allowed roots"]),
    ("generate_data", {"output_dir": "../escape"}, ["output_dir='../escape'", "outside the allowed roots"]),
    ("get_generation_status", {"job_id": "nope"}, ["job_id='nope' is unknown"]),
    ("get_generation_status", {}, ["job_id"]),
    ("cancel_generation", {"job_id": "nope"}, ["job_id='nope' is unknown"]),
    ("estimate_dataset", {"days": 400}, ["days=400", "less than or equal to 365"]),
    ("estimate_dataset", {"format": "xls"}, ["format='xls'"]),
    ("init_project", {"project_path": "/etc/project"}, ["project_path='/etc/project'", "outside"]),
    ("init_project", {"project_path": "sample_data/_manifest.json"}, ["is a file"]),
    ("execute_script", {"project_path": "no_such_project"}, ["not a folder", "init_project"]),
    ("execute_script", {"project_path": "sample_data"}, ["no generate_data.py", "init_project"]),
    ("execute_script", {"project_path": "/tmp"}, ["outside the allowed roots"]),
    ("execute_script", {"project_path": "sample_data", "timeout_sec": 0}, ["timeout_sec=0"]),
    ("execute_script", {"project_path": "sample_data", "scale_factor": 0}, ["scale_factor=0"]),
    ("execute_script", {"project_path": "sample_data", "env": {"SCALE_FACTOR": "2"}}, ["SCALE_FACTOR"]),
    ("execute_script", {"project_path": "sample_data", "env": {"A": 1}}, ["env.A"]),
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
        import server.schema_docs

        def explode(table: str | None = None) -> None:
            raise RuntimeError("disk on fire\nsecond line")

        monkeypatch.setattr(server.schema_docs, "describe_tables", explode)
        with caplog.at_level(logging.ERROR):
            text = error_text(await client.call_tool("describe_schema", {}))
        assert "Unexpected error in describe_schema: RuntimeError: disk on fire second line" in text
        assert "\n" not in text
        assert any(record.exc_info for record in caplog.records), "the traceback was not logged"


# --------------------------------------------------------------------------- reading datasets


async def test_query_returns_json_safe_rows(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        sql = (
            "select order_id, order_ts, order_total, cast(order_ts as date) as day, discount_pct "
            "from orders order by order_id limit 3"
        )
        result = ok(await client.call_tool("query_dataset", {"sql": sql}))
        assert result["columns"] == ["order_id", "order_ts", "order_total", "day", "discount_pct"]
        assert result["types"][2].startswith("DECIMAL")
        assert result["row_count"] == 3 and result["truncated"] is False and result["note"] is None
        order_id, ts, total, day, _ = result["rows"][0]
        assert isinstance(order_id, int) and isinstance(total, str) and "." in total
        assert "T" in ts and len(day) == 10
        json.dumps(result)


async def test_query_rows_are_limited_and_the_cut_is_reported(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        result = ok(await client.call_tool("query_dataset", {"sql": "select * from order_items", "limit": 5}))
        assert result["row_count"] == 5 and result["truncated"] is True
        assert "more than 5 rows" in result["note"]
        default = ok(await client.call_tool("query_dataset", {"sql": "from range(150)"}))
        assert default["row_count"] == 100 and default["truncated"] is True


@pytest.mark.parametrize(
    "sql",
    [
        "with t as (select 1 as x) select * from t",
        "describe orders",
        "show tables",
        "summarize stores",
        "explain select * from orders",
        "from stores select name",
    ],
)
async def test_read_only_statement_kinds_are_accepted(server: MCPServer, dataset_copy: Path, sql: str) -> None:
    async with mcp.Client(server) as client:
        assert ok(await client.call_tool("query_dataset", {"sql": sql}))["columns"]


async def test_the_dataset_files_cannot_be_changed_through_sql(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        before = tree(dataset_copy)
        for sql in (
            "select * from query('copy orders to ''x.csv''')",
            f"select * from read_parquet('{dataset_copy}/orders/*.parquet')",
        ):
            assert (await client.call_tool("query_dataset", {"sql": sql})).is_error
        assert tree(dataset_copy) == before


async def test_validate_dataset_passes_on_generated_data(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        report = ok(await client.call_tool("validate_dataset", {}))
        assert report["passed"] is True and report["checks_failed"] == 0
        assert report["checks_passed"] == len(report["checks"]) > 5
        assert all(check["violations"] == 0 for check in report["checks"])
        assert report["tables"]["orders"] > 0


async def test_validate_dataset_counts_violations(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        import pyarrow as pa
        import pyarrow.parquet as pq

        orders = sorted((dataset_copy / "orders").glob("*.parquet"))[0]
        table = pq.read_table(orders)
        pq.write_table(pa.concat_tables([table, table.slice(0, 2)]), orders)  # duplicate two order ids
        report = ok(await client.call_tool("validate_dataset", {"path": str(dataset_copy)}))
        assert report["passed"] is False and report["checks_failed"] >= 1
        failed = [check for check in report["checks"] if not check["passed"]]
        assert all(check["violations"] > 0 or check["error"] for check in failed)
        assert all(len(check["examples"]) <= 5 for check in report["checks"])


async def test_list_datasets_finds_generated_folders(server: MCPServer, dataset_copy: Path) -> None:
    async with mcp.Client(server) as client:
        listed = ok(await client.call_tool("list_datasets", {}))
        assert [entry["path"] for entry in listed["datasets"]] == [str(dataset_copy)]
        entry = listed["datasets"][0]
        assert entry["format"] == "parquet" and entry["rows"]["orders"] > 0
        assert entry["parameters"]["seed"] == 42
        assert ok(await client.call_tool("list_datasets", {"under": "sample_data"}))["datasets"] == listed["datasets"]


async def test_describe_schema_and_resources(server: MCPServer) -> None:
    async with mcp.Client(server) as client:
        everything = ok(await client.call_tool("describe_schema", {}))
        assert [table["name"] for table in everything["tables"]][:2] == ["stores", "products"]
        orders = ok(await client.call_tool("describe_schema", {"table": "Orders"}))["tables"]
        assert len(orders) == 1 and orders[0]["primary_key"] == ["order_id"]
        keys = {(fk["column"], fk["references_table"]) for fk in orders[0]["foreign_keys"]}
        assert keys == {("store_id", "stores"), ("customer_id", "customers")}
        assert all(column["description"] for column in orders[0]["columns"])

        whole = json.loads((await client.read_resource("retail://schema")).contents[0].text)
        assert whole == everything
        one = json.loads((await client.read_resource("retail://schema/orders")).contents[0].text)
        assert one == orders[0]
        with pytest.raises(mcp.MCPError):
            await client.read_resource("retail://schema/nope")


async def test_estimate_dataset_sums_its_tables(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        estimate = ok(await client.call_tool("estimate_dataset", {"scale": "medium", "days": 30}))
        assert estimate["total_rows"] == sum(table["rows"] for table in estimate["tables"].values())
        assert estimate["seconds"] > 0 and estimate["runs_in_background"] is False
        assert not data_root.exists()


# --------------------------------------------------------------------------- projects and scripts


async def test_init_project_then_execute_script(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        created = ok(await client.call_tool("init_project", {"project_path": "proj"}))
        project = data_root / "proj"
        assert created["project_path"] == str(project)
        assert "generate_data.py" in created["files"] and created["overwritten"] == []
        assert (project / "generate_data.py").is_file()

        refused = error_text(await client.call_tool("init_project", {"project_path": "proj"}))
        assert "overwrite=true" in refused and "generate_data.py" in refused
        again = ok(await client.call_tool("init_project", {"project_path": "proj", "overwrite": True}))
        assert "generate_data.py" in again["overwritten"]

        run = ok(
            await client.call_tool(
                "execute_script", {"project_path": "proj", "scale_factor": 0.1, "env": {"DAYS": "3", "WORKERS": "1"}}
            )
        )
        assert run["exit_code"] == 0 and run["data_path"] == str(project / "data")
        assert run["log_path"] == str(project / "generation.log")
        assert (project / "data" / "_manifest.json").is_file()
        manifest = json.loads((project / "data" / "_manifest.json").read_text())
        assert manifest["parameters"]["scale_factor"] == 0.1 and manifest["parameters"]["days"] == 3


def _project(root: Path, body: str) -> Path:
    project = root / "proj"
    project.mkdir(parents=True)
    (project / "generate_data.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return project


async def test_execute_script_crash_is_an_error_quoting_stderr(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        _project(data_root, "import sys\nprint('working')\nsys.exit('the script broke: bad config')\n")
        text = error_text(await client.call_tool("execute_script", {"project_path": "proj"}))
        assert "exit code 1" in text and "the script broke: bad config" in text
        assert str(data_root / "proj" / "generation.log") in text


async def test_execute_script_timeout_is_an_error(server: MCPServer, data_root: Path) -> None:
    async with mcp.Client(server) as client:
        _project(data_root, "import time\nprint('going to sleep', flush=True)\ntime.sleep(60)\n")
        started = time.monotonic()
        text = error_text(await client.call_tool("execute_script", {"project_path": "proj", "timeout_sec": 1}))
        assert time.monotonic() - started < 15
        assert "timeout_sec=1" in text and "killed" in text and "going to sleep" in text


async def test_execute_script_caps_a_flood_of_output(server: MCPServer, data_root: Path) -> None:
    flood = "import sys\nfor i in range(2000):\n    sys.stdout.write(f'noise {i} ' * 1000 + '\\n')\nprint('done')\n"
    _project(data_root, flood)  # about 22 MB of output in 2,000 writes
    async with mcp.Client(server) as client:
        run = ok(await client.call_tool("execute_script", {"project_path": "proj"}))
        assert run["truncated"] is True and len(run["stdout"]) < 10_000
        assert run["stdout"].rstrip().endswith("done") and run["log_path"] in run["stdout"]


# --------------------------------------------------------------------------- roots


async def test_client_roots_extend_where_tools_may_write(data_root: Path, tmp_path: Path) -> None:
    granted = tmp_path / "granted"
    granted.mkdir()

    async def list_roots(_context: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=granted.as_uri(), name="granted")])

    server = build_server(make_settings(data_root))
    async with mcp.Client(server, list_roots_callback=list_roots) as client:
        result = ok(await client.call_tool("generate_data", {**SMALL, "output_dir": str(granted / "ds")}))
        assert result["output_dir"] == str(granted / "ds")
        listed = ok(await client.call_tool("list_datasets", {}))
        assert str(granted / "ds") in [entry["path"] for entry in listed["datasets"]]
        outside = error_text(await client.call_tool("generate_data", {**SMALL, "output_dir": str(tmp_path / "other")}))
        assert str(granted) in outside and str(data_root) in outside
    async with mcp.Client(build_server(make_settings(data_root))) as client:
        refused = error_text(await client.call_tool("generate_data", {**SMALL, "output_dir": str(granted / "ds2")}))
        assert "outside the allowed roots" in refused
    assert not (granted / "ds2").exists()
