"""Shared pytest fixtures. Each owner keeps their fixtures in their own marked section."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:  # so `import databricks_standin` works in every import mode
    # Appended, never first: tests/generator and tests/server must not shadow the real packages
    # (pyproject's pythonpath puts the project root ahead of this entry).
    sys.path.append(_TESTS_DIR)

# ======================================================================================
# Databricks stand-in workspace (owner: Databricks layer; see tests/databricks_standin)
# ======================================================================================
#
# `standin`           a StandinWorkspace started on 127.0.0.1:<random port>, stopped after the test.
#                     standin.create_volume() -> VolumeRef(catalog, schema, volume, path, local)
#                     standin.register_job(name, script_path, default_params=[...]) -> job_id
#                       (libraries=[project root or .whl] makes the project importable in that
#                       job's task process only, like the bundle's wheel; env={...} adds variables)
#                     standin.add_cluster(state="TERMINATED", cluster_source="UI"|"API"|"JOB") -> cluster
#                     one-time runs (jobs.submit): standin.jobs.task_env = {...} (task process variables),
#                       standin.jobs.submit_pending_seconds, standin.jobs.submitted(run_id) -> Submission
#                       (the request, .installed distributions, .requirements(name))
#                     standin.enable_spark(folder): one-time runs' tasks run on local Spark (Hive metastore
#                       kept in folder) and the tables they leave appear in the UC catalog spark_catalog;
#                       faults.fail_spark_sql(regex, message, skip=0) makes such a task's spark.sql refuse one
#                     standin.put_workspace_file(path, content), standin.local_path("/Volumes/...")
#                     standin.faults.throttle(...), .fail_file(...), .slow_commands(s),
#                     .fail_job_runs(job_id), .fail_submitted_runs(message, task_key=None),
#                     .stop_answering(); standin.requests (the log)
#                     SQL: standin.warehouse_id (RUNNING), standin.add_warehouse(state="STOPPED"),
#                     standin.create_catalog(); statements run on DuckDB against standin.uc
#                     (uc.describe / uc.rows / uc.tables / uc.set_owner); faults
#                     .fail_statements(regex, message, skip=2), .hold_statements(regex, seconds)
# `workspace_client`  a databricks.sdk.WorkspaceClient for the stand-in (PAT auth,
#                     retry_timeout_seconds=10); the request log is cleared after it is built,
#                     so a test sees only the requests its own code made.
# `volume`            standin.create_volume() for one test.
# `fast_databricks`   short retry backoff and no cached client (the Databricks suites use it autouse).


@pytest.fixture
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from databricks_standin import StandinWorkspace

    workspace_root = Path(tmp_path_factory.mktemp("standin-workspace"))
    server = StandinWorkspace(workspace_root).start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def workspace_client(standin: object) -> object:
    client = standin.client()  # type: ignore[attr-defined]
    standin.requests.clear()  # type: ignore[attr-defined]
    return client


@pytest.fixture
def volume(standin: object) -> object:
    """A fresh volume (unique catalog) on the stand-in."""
    return standin.create_volume()  # type: ignore[attr-defined]


@pytest.fixture
def fast_databricks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Short backoff between the adapter's own retries (the SDK's Retry-After handling is untouched),
    and no workspace client cached from another test."""
    import server.adapters.databricks.calls as calls
    from server.adapters.databricks.auth import clear_client_cache

    monkeypatch.setattr(calls, "RETRY_BASE_DELAY", 0.05)
    clear_client_cache()
    yield
    clear_client_cache()


# ======================================================================================
# PostgreSQL server (owner: PostgreSQL loader; see tests/postgres_server.py)
# ======================================================================================
#
# `pg_server`    one real PostgreSQL 15 server for the whole session (initdb in a temporary
#                folder, a free port on 127.0.0.1, SSL with a self-signed certificate, SCRAM
#                passwords over TCP, fsync off). Fails with the install command when the
#                binaries are missing. pg_server.dsn(dbname), .connect(dbname) (superuser,
#                autocommit), .create_database(), .create_role(), .require_ssl(role),
#                .small_tablespace(name, size_kib) (a tmpfs that really fills up; root only).
# `pg_database`  a fresh, empty database on it (its name), dropped after the test.
# `lakebase_database`  a TokenDatabase on it for the stand-in's user (TLS only): the database of a stand-in
#                Lakebase instance; pass its .accept as the instance's on_credential hook.


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    from postgres_server import FAST_SETTINGS, PostgresServer

    with PostgresServer(FAST_SETTINGS) as server:
        yield server


@pytest.fixture
def pg_database(pg_server: object) -> Iterator[str]:
    name = pg_server.create_database()  # type: ignore[attr-defined]
    yield name  # pytest runs the rest after the test, whatever its outcome
    pg_server.drop_database(name)  # type: ignore[attr-defined]


@pytest.fixture
def lakebase_database(pg_server: object) -> Iterator[object]:
    from databricks_standin import USER_NAME
    from postgres_server import TokenDatabase

    database = TokenDatabase(pg_server, USER_NAME)  # type: ignore[arg-type]
    yield database
    database.close()


# ======================================================================================
# (other sections go below)
# ======================================================================================
