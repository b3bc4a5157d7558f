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
#                     standin.add_cluster(state="TERMINATED") -> cluster (cluster.cluster_id)
#                     standin.put_workspace_file(path, content), standin.local_path("/Volumes/...")
#                     standin.faults.throttle(...), .fail_file(...), .slow_commands(s),
#                     .fail_job_runs(job_id), .stop_answering(); standin.requests (the log)
# `workspace_client`  a databricks.sdk.WorkspaceClient for the stand-in (PAT auth,
#                     retry_timeout_seconds=10); the request log is cleared after it is built,
#                     so a test sees only the requests its own code made.


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


# ======================================================================================
# Local Spark with Delta Lake (owner: Spark path; see tests/spark_session.py)
# ======================================================================================
#
# `delta_spark`   one local[2] SparkSession with Delta's jars, extension and catalog for the whole
#                 test session (starting Spark costs seconds), warehouse in a temporary folder.
#                 Each test module works in its own schema. Missing jars fail with the command
#                 that fetches them (python tests/fetch_delta_jars.py).


@pytest.fixture(scope="session")
def delta_spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    pytest.importorskip("pyspark")  # an optional extra; CI installs it
    from spark_session import delta_session

    with delta_session(tmp_path_factory.mktemp("spark") / "warehouse", "retail-datagen-tests") as session:
        yield session


# ======================================================================================
# (other sections go below)
# ======================================================================================
