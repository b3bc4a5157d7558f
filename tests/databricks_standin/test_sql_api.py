"""SQL warehouses and the Statement Execution API of the stand-in, driven by the real databricks-sdk over HTTP."""

from __future__ import annotations

import datetime as dt
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from databricks.sdk.errors import BadRequest, InvalidParameterValue, InvalidState, NotFound
from databricks.sdk.service.sql import (
    ExecuteStatementRequestOnWaitTimeout,
    Format,
    State,
    StatementParameterListItem,
    StatementResponse,
    StatementState,
)

from .conftest import RunSql


def _poll(client: Any, statement_id: str, seconds: float = 10) -> StatementResponse:
    """get_statement until the statement ends (what a tool does after a CONTINUE)."""
    deadline = time.monotonic() + seconds
    while True:
        response = client.statement_execution.get_statement(statement_id)
        if response.status.state not in (StatementState.PENDING, StatementState.RUNNING):
            return response
        assert time.monotonic() < deadline, f"statement still {response.status.state}"
        time.sleep(0.05)


# -- warehouses ---------------------------------------------------------------------------


def test_warehouses_are_listed_and_read_with_the_real_shape(standin: Any, workspace_client: Any) -> None:
    stopped = standin.add_warehouse(name="nightly", state="STOPPED", serverless=False)
    listed = {w.name: w for w in workspace_client.warehouses.list()}
    assert set(listed) == {"standin-warehouse", "nightly"}
    assert listed["standin-warehouse"].state == State.RUNNING
    assert listed["nightly"].state == State.STOPPED
    assert all(re.fullmatch(r"[0-9a-f]{16}", w.id) for w in listed.values())

    got = workspace_client.warehouses.get(stopped.id)
    assert (got.id, got.name, got.state, got.enable_serverless_compute) == (stopped.id, "nightly", State.STOPPED, False)
    assert got.odbc_params.path == f"/sql/1.0/warehouses/{stopped.id}"
    assert got.odbc_params.port == int(standin.url.rsplit(":", 1)[1])
    assert got.num_clusters == 0 and got.auto_stop_mins >= 10 and got.warehouse_type.value == "PRO"

    with pytest.raises(NotFound, match="does not exist"):
        workspace_client.warehouses.get("0123456789abcdef")


def test_a_started_warehouse_runs_after_its_start_delay_and_a_stopped_one_stops(
    standin: Any, workspace_client: Any
) -> None:
    warehouse = standin.add_warehouse(name="cold", state="STOPPED", start_delay=1.0)
    warehouse.stop_delay = 1.0
    waiter = workspace_client.warehouses.start(warehouse.id)
    assert workspace_client.warehouses.get(warehouse.id).state == State.STARTING
    assert waiter.result(timeout=dt.timedelta(seconds=20)).state == State.RUNNING
    assert warehouse.starts == 1

    workspace_client.warehouses.start(warehouse.id)  # starting a running warehouse changes nothing
    assert warehouse.starts == 1
    stopping = workspace_client.warehouses.stop(warehouse.id)
    assert workspace_client.warehouses.get(warehouse.id).state == State.STOPPING
    assert stopping.result(timeout=dt.timedelta(seconds=20)).state == State.STOPPED


def test_a_deleted_warehouse_cannot_start_or_run_statements(standin: Any, workspace_client: Any) -> None:
    deleted = standin.add_warehouse(name="gone", state="DELETED")
    assert deleted.id not in {w.id for w in workspace_client.warehouses.list()}
    assert workspace_client.warehouses.get(deleted.id).state == State.DELETED
    with pytest.raises(InvalidState, match="deleted"):
        workspace_client.warehouses.start(deleted.id)
    with pytest.raises(InvalidState, match="deleted"):
        workspace_client.statement_execution.execute_statement("SELECT 1", deleted.id)


# -- statements: results and requests -------------------------------------------------------


def test_a_query_answers_its_manifest_and_json_array_strings(run_sql: RunSql) -> None:
    response = run_sql(
        "SELECT 1 AS n, CAST(12.5 AS DECIMAL(10,2)) AS price, DATE'2024-01-31' AS day, "
        "CAST('2024-01-31 10:20:30' AS TIMESTAMP_NTZ) AS at, true AS flag, 0.25D AS share, NULL AS nothing, "
        "'x' AS label, count(*) FROM range(3)"
    )
    columns = response.manifest.schema.columns
    assert [(c.name, c.type_text) for c in columns] == [
        ("n", "INT"),
        ("price", "DECIMAL(10,2)"),
        ("day", "DATE"),
        ("at", "TIMESTAMP_NTZ"),
        ("flag", "BOOLEAN"),
        ("share", "DOUBLE"),
        ("nothing", "VOID"),
        ("label", "STRING"),
        ("count(1)", "BIGINT"),
    ]
    assert (columns[1].type_precision, columns[1].type_scale) == (10, 2)
    assert columns[8].type_name.value == "LONG"
    assert response.result.data_array == [
        ["1", "12.50", "2024-01-31", "2024-01-31T10:20:30.000", "true", "0.25", None, "x", "3"]
    ]
    assert (response.manifest.total_row_count, response.manifest.truncated) == (1, False)


def test_large_results_come_in_chunks_and_row_limit_truncates(run_sql: RunSql, workspace_client: Any) -> None:
    response = run_sql("SELECT id FROM range(25000) ORDER BY id")
    manifest = response.manifest
    assert (manifest.total_row_count, manifest.total_chunk_count) == (25000, 3)
    assert [c.row_offset for c in manifest.chunks] == [0, 10000, 20000]
    assert response.result.next_chunk_index == 1
    second = workspace_client.statement_execution.get_statement_result_chunk_n(response.statement_id, 1)
    assert (second.row_offset, second.data_array[0], second.next_chunk_index) == (10000, ["10000"], 2)
    last = workspace_client.statement_execution.get_statement_result_chunk_n(response.statement_id, 2)
    assert (last.row_count, last.data_array[-1], last.next_chunk_index) == (5000, ["24999"], None)

    limited = run_sql("SELECT id FROM range(10) ORDER BY id", row_limit=4)
    assert limited.result.data_array == [["0"], ["1"], ["2"], ["3"]]
    assert limited.manifest.truncated is True


def test_named_parameters_are_bound_with_their_types(run_sql: RunSql) -> None:
    response = run_sql(
        "SELECT :amount * 2 AS doubled, :label AS label, :day AS day",
        parameters=[
            StatementParameterListItem(name="amount", value="1.25", type="DECIMAL(10,2)"),
            StatementParameterListItem(name="label", value="it's"),
            StatementParameterListItem(name="day", value="2024-02-29", type="DATE"),
        ],
    )
    assert response.result.data_array == [["2.50", "it's", "2024-02-29"]]
    assert [c.type_text for c in response.manifest.schema.columns][1:] == ["STRING", "DATE"]
    unbound = run_sql("SELECT :missing", expect="FAILED")
    assert unbound.status.error.message.startswith("[UNBOUND_SQL_PARAMETER]")
    assert unbound.status.sql_state == "42P02"


def test_bad_requests_are_http_errors(standin: Any, workspace_client: Any) -> None:
    execute = workspace_client.statement_execution.execute_statement
    for wait in ("3s", "51s", "10"):
        with pytest.raises(InvalidParameterValue, match="wait_timeout"):
            execute("SELECT 1", standin.warehouse_id, wait_timeout=wait)
    with pytest.raises(NotFound):
        execute("SELECT 1", "fedcba9876543210")
    with pytest.raises(InvalidParameterValue, match="JSON_ARRAY"):
        execute("SELECT 1", standin.warehouse_id, format=Format.CSV)
    with pytest.raises(BadRequest, match="not a valid statement ID"):
        workspace_client.statement_execution.get_statement("nope")
    with pytest.raises(NotFound):
        workspace_client.statement_execution.get_statement("6f1c0b6e-0000-4000-8000-000000000000")


def test_a_syntax_error_fails_the_statement_as_databricks_does(run_sql: RunSql) -> None:
    """Databricks accepts the request (HTTP 200) and reports the parse error in status.error."""
    typo = run_sql("CREAT TABLE t (a INT)", expect="FAILED")
    assert typo.status.error.error_code.value == "BAD_REQUEST"
    assert typo.status.error.message.startswith("[PARSE_SYNTAX_ERROR] Syntax error at or near")
    assert typo.status.sql_state == "42601"
    for sql in (
        "CREATE TABLE t (a INTT)",
        "CREATE TABLE t (a INT) USIN DELTA",
        "CREATE TABLE t (a DECIMAL(10,2) NOT NUL)",
        "SELECT * FROM read_files('/Volumes/x', format => 'parquet') WHER a = 1",
        "SELECT 1; SELECT 2",
        "RESTORE TABLE t TO VERSON AS OF 1",
        "CREATE TABLE t (a INT,) USING DELTA",  # sqlglot alone would forgive these three
        "SELECT 1 AS a, FROM range(1)",
        "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED UPDATE SET *",
    ):
        failed = run_sql(sql, expect="FAILED")
        assert "[PARSE_SYNTAX_ERROR]" in failed.status.error.message, sql
    assert run_sql("   ;  ", expect="FAILED").status.error.message.startswith("[PARSE_EMPTY_STATEMENT]")
    assert run_sql("SELECT 1;").result.data_array == [["1"]]


# -- statements: waiting, continuing, cancelling -------------------------------------------


def test_wait_timeout_zero_continues_and_get_statement_sees_the_end(
    standin: Any, workspace_client: Any, run_sql: RunSql
) -> None:
    standin.faults.hold_statements(r"SELECT 'slow'", 1.0, state="RUNNING")
    started = workspace_client.statement_execution.execute_statement(
        "SELECT 'slow' AS v", standin.warehouse_id, wait_timeout="0s"
    )
    assert started.status.state in (StatementState.PENDING, StatementState.RUNNING)  # at once, unfinished
    assert started.result is None and started.manifest is None
    seen = set()
    while (state := workspace_client.statement_execution.get_statement(started.statement_id).status.state) not in (
        StatementState.SUCCEEDED,
        StatementState.FAILED,
    ):
        seen.add(state)
        time.sleep(0.05)
    assert StatementState.RUNNING in seen
    done = _poll(workspace_client, started.statement_id)
    assert done.status.state == StatementState.SUCCEEDED
    assert done.result.data_array == [["slow"]]

    quick = run_sql("SELECT 'quick' AS v", wait_timeout="5s")  # finishes within the wait: the answer has the rows
    assert quick.result.data_array == [["quick"]]


def test_a_held_statement_can_be_cancelled_and_cancel_on_timeout_cancels(
    standin: Any, workspace_client: Any, run_sql: RunSql, volume: Any
) -> None:
    standin.faults.hold_statements(r"INSERT INTO", None)  # PENDING until cancelled
    run_sql("CREATE TABLE raw.t (a INT)")
    pending = run_sql("INSERT INTO raw.t VALUES (1)", expect="PENDING", wait_timeout="0s")
    assert (
        workspace_client.statement_execution.get_statement(pending.statement_id).status.state == StatementState.PENDING
    )
    workspace_client.statement_execution.cancel_execution(pending.statement_id)
    assert _poll(workspace_client, pending.statement_id).status.state == StatementState.CANCELED

    cancelled = run_sql(
        "INSERT INTO raw.t VALUES (2)",
        expect="CANCELED",
        wait_timeout="5s",
        on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CANCEL,
    )
    assert cancelled.result is None  # held for ever: only the end of the 5 s wait can have cancelled it
    history = standin.uc.describe(f"{volume.catalog}.raw.t").versions
    assert [v.operation for v in history] == ["CREATE TABLE"]  # neither insert ran


def test_a_statement_on_a_stopped_warehouse_starts_it_and_waits_pending(standin: Any, workspace_client: Any) -> None:
    cold = standin.add_warehouse(name="cold", state="STOPPED", start_delay=1.0)
    response = workspace_client.statement_execution.execute_statement("SELECT 7", cold.id, wait_timeout="0s")
    assert response.status.state == StatementState.PENDING
    assert workspace_client.warehouses.get(cold.id).state == State.STARTING
    done = _poll(workspace_client, response.statement_id)
    assert done.result.data_array == [["7"]]
    assert workspace_client.warehouses.get(cold.id).state == State.RUNNING
    assert cold.starts == 1

    standin.stop_warehouse(cold.id)  # auto-stop; the next statement starts it again
    again = workspace_client.statement_execution.execute_statement("SELECT 8", cold.id, wait_timeout="5s")
    assert again.result.data_array == [["8"]]
    assert cold.starts == 2


# -- faults ------------------------------------------------------------------------------


def test_fail_statements_fails_the_third_create_table(standin: Any, run_sql: RunSql, volume: Any) -> None:
    rule = standin.faults.fail_statements(
        r"^CREATE TABLE",
        "[DELTA_COMMIT_FAILED] Injected: the commit failed. SQLSTATE: 40000",
        sql_state="40000",
        skip=2,
    )
    run_sql("CREATE TABLE raw.a (x INT)")
    run_sql("CREATE TABLE raw.b (x INT)")
    third = run_sql("CREATE TABLE raw.c (x INT)", expect="FAILED")
    assert third.status.error.message == "[DELTA_COMMIT_FAILED] Injected: the commit failed. SQLSTATE: 40000"
    assert third.status.sql_state == "40000"
    run_sql("CREATE TABLE raw.d (x INT)")
    assert standin.uc.tables(volume.catalog, "raw") == ["a", "b", "d"]
    assert rule.hits == 1


def test_a_permission_fault_reports_its_error_code_and_message(standin: Any, run_sql: RunSql, volume: Any) -> None:
    message = (
        f"[INSUFFICIENT_PERMISSIONS] Insufficient privileges: User does not have CREATE SCHEMA on Catalog "
        f"'{volume.catalog}'. SQLSTATE: 42501"
    )
    standin.faults.fail_statements(r"CREATE SCHEMA", message, error_code="PERMISSION_DENIED", sql_state="42501")
    failed = run_sql("CREATE SCHEMA IF NOT EXISTS sales", expect="FAILED")
    assert failed.status.error.message == message
    assert failed.status.error.error_code is None  # not one of the SDK's ServiceErrorCode values
    assert "sales" not in standin.uc.catalog(volume.catalog).schemas


def test_statements_are_retried_through_a_429_storm(standin: Any, run_sql: RunSql) -> None:
    standin.faults.throttle(r"^/api/2\.0/sql/statements", count=2, retry_after=0)
    assert run_sql("SELECT 5").result.data_array == [["5"]]
    statuses = [r.status for r in standin.requests.find("POST", r"^/api/2\.0/sql/statements$")]
    assert statuses == [429, 429, 200]


def test_concurrent_statements_all_succeed(standin: Any, run_sql: RunSql) -> None:
    run_sql("CREATE TABLE raw.events (id BIGINT NOT NULL)")
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: run_sql(f"INSERT INTO raw.events VALUES ({i})"), range(8)))
    assert sorted(run_sql("SELECT id FROM raw.events").result.data_array) == sorted([[str(i)] for i in range(8)])
