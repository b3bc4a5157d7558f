"""execute_script_on_cluster, generate_and_upload_on_cluster and upload_script_to_workspace."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from generator.rules import RuleErrors
from server.adapters.databricks import (
    ClusterNotFoundError,
    DatabricksApiError,
    WorkspaceObjectNotFoundError,
    execute_script_on_cluster,
    generate_and_upload_on_cluster,
    upload_script_to_workspace,
)
from server.adapters.databricks.cluster import build_command

SCRIPT = "/Workspace/Users/standin.user@example.com/generate_data.py"
RESULT_KEYS = {"success", "output", "error", "duration_sec", "cluster_started"}


@pytest.fixture
def script(standin, assets: Path) -> str:
    standin.put_workspace_file(SCRIPT, (assets / "cluster_two_tables.py").read_text())
    return SCRIPT


def test_cluster_run_writes_parquet_tables_into_the_volume(standin, workspace_client, volume, script):
    out = f"{volume.path}/run_1"
    seen = []
    result = execute_script_on_cluster(
        standin.cluster_id,
        script,
        out,
        scale_factor=0.5,
        client=workspace_client,
        progress=lambda d, t, m: seen.append(m),
    )
    assert set(result) == RESULT_KEYS
    assert result["success"] is True, result["error"]
    assert result["error"] is None
    assert result["cluster_started"] is False
    assert "__name__=__main__" in result["output"]
    assert "generator importable: False" in result["output"]  # the cluster does not have this project
    assert f"wrote stores (5 rows) and products (10 rows) to {out}" in result["output"]
    assert 0 < result["duration_sec"] < 60
    stores = pq.read_table(standin.local_path(f"{out}/stores/part-00000.parquet"))
    products = pq.read_table(standin.local_path(f"{out}/products/part-00000.parquet"))
    assert stores.num_rows == 5 and products.num_rows == 10
    assert standin.open_contexts == []  # the context was destroyed
    assert standin.requests.find("POST", r"/api/1\.2/contexts/destroy$")
    assert seen


def test_a_stopped_cluster_is_started_and_the_output_says_so(standin, workspace_client, volume):
    standin.put_workspace_file(SCRIPT, "print('ran after the start')\n")
    cluster = standin.add_cluster(state="TERMINATED", start_delay=0.3)
    result = execute_script_on_cluster(cluster.cluster_id, SCRIPT, f"{volume.path}/x", client=workspace_client)
    assert result["success"] is True, result["error"]
    assert result["cluster_started"] is True
    assert f"Cluster {cluster.cluster_id} was TERMINATED; starting it." in result["output"]
    assert "ran after the start" in result["output"]
    assert cluster.starts == 1
    assert len(standin.requests.find("POST", r"/clusters/start$")) == 1


def test_python_error_on_the_cluster_is_plain_text(standin, workspace_client, volume):
    standin.put_workspace_file(
        SCRIPT,
        "print('before the error')\n\ndef explode(n):\n    raise ValueError(f'bad <value> {n} & more')\n\nexplode(3)\n",
    )
    result = execute_script_on_cluster(standin.cluster_id, SCRIPT, f"{volume.path}/x", client=workspace_client)
    assert result["success"] is False
    error = result["error"]
    assert "ValueError: bad <value> 3 & more" in error
    assert "Traceback" in error and "explode" in error and SCRIPT in error
    assert "\x1b" not in error and "<span" not in error and "&lt;" not in error and "&amp;" not in error
    assert standin.open_contexts == []


def test_sys_exit_codes(standin, workspace_client, volume):
    standin.put_workspace_file(SCRIPT, "import sys\nprint('done')\nsys.exit(0)\n")
    ok = execute_script_on_cluster(standin.cluster_id, SCRIPT, f"{volume.path}/x", client=workspace_client)
    assert ok["success"] is True and "done" in ok["output"]
    standin.put_workspace_file(SCRIPT, "import sys\nsys.exit(3)\n")
    bad = execute_script_on_cluster(standin.cluster_id, SCRIPT, f"{volume.path}/x", client=workspace_client)
    assert bad["success"] is False and "exited with status 3" in bad["error"]


def test_timeout_cancels_the_command_and_destroys_the_context(standin, workspace_client, volume, script):
    standin.faults.slow_commands(30)
    started = time.monotonic()
    result = execute_script_on_cluster(
        standin.cluster_id, script, f"{volume.path}/x", timeout_sec=2, client=workspace_client
    )
    assert time.monotonic() - started < 15
    assert result["success"] is False
    assert "Timed out after 2 s" in result["error"] and "timeout_sec" in result["error"]
    assert standin.requests.find("POST", r"/api/1\.2/commands/cancel$")
    assert standin.requests.find("POST", r"/api/1\.2/contexts/destroy$")
    assert standin.open_contexts == []
    assert not standin.local_path(f"{volume.path}/x").exists()


def test_values_are_passed_as_data_not_code(standin, workspace_client, volume):
    standin.put_workspace_file(
        SCRIPT, "import os\nprint('OUT=' + os.environ['OUTPUT_PATH'])\nprint('EVIL=' + os.environ['EVIL'])\n"
    )
    evil = '\'); import os; os._exit(9) #"""\n\\'
    result = execute_script_on_cluster(
        standin.cluster_id, SCRIPT, f"{volume.path}/o", client=workspace_client, extra_env={"EVIL": evil}
    )
    assert result["success"] is True, result["error"]
    assert f"OUT={volume.path}/o" in result["output"]
    assert "EVIL='); import os; os._exit(9) #" in result["output"]
    command = build_command("print(1)", "/x.py", {"A": evil})
    assert "os._exit" not in command.replace(repr('{"A": ' + __import__("json").dumps(evil) + "}"), "")


def test_notebook_source_runs_too(standin, workspace_client, volume):
    standin.put_workspace_file(
        "/Users/standin.user@example.com/gen",
        "# Databricks notebook source\nprint('from a notebook')\n\n# COMMAND ----------\n\nprint(__name__)\n",
        notebook=True,
    )
    result = execute_script_on_cluster(
        standin.cluster_id, "/Workspace/Users/standin.user@example.com/gen", f"{volume.path}/n", client=workspace_client
    )
    assert result["success"] is True
    assert "from a notebook" in result["output"] and "__main__" in result["output"]


def test_missing_script_and_cluster_are_raised_clearly(standin, workspace_client, volume, script):
    with pytest.raises(WorkspaceObjectNotFoundError, match="upload_script_to_workspace"):
        execute_script_on_cluster(
            standin.cluster_id, "/Users/nobody/none.py", f"{volume.path}/x", client=workspace_client
        )
    with pytest.raises(ClusterNotFoundError, match="does not exist"):
        execute_script_on_cluster("0000-000000-nosuch", script, f"{volume.path}/x", client=workspace_client)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"volume_output_path": "/tmp/out"}, RuleErrors),
        ({"volume_output_path": "/Volumes/c/s/v"}, RuleErrors),
        ({"volume_output_path": "/Volumes/c/s/v/../../etc"}, RuleErrors),
        ({"volume_output_path": "/Volumes/c.x/s/v/out"}, RuleErrors),
        ({"workspace_path": "relative.py"}, RuleErrors),
        ({"cluster_id": "bad id"}, RuleErrors),
        ({"scale_factor": 0}, RuleErrors),
        ({"scale_factor": float("nan")}, RuleErrors),
        ({"timeout_sec": 0}, RuleErrors),
        ({"extra_env": {"OUTPUT_PATH": "/elsewhere"}}, RuleErrors),
    ],
)
def test_bad_arguments_are_refused_before_any_request(standin, workspace_client, args, error):
    call = {"cluster_id": standin.cluster_id, "workspace_path": SCRIPT, "volume_output_path": "/Volumes/c/s/v/o"} | args
    with pytest.raises(error):
        execute_script_on_cluster(client=workspace_client, **call)
    assert len(standin.requests) == 0


def test_upload_script_then_generate_on_cluster_end_to_end(standin, workspace_client, volume, assets):
    target = "/Workspace/Users/standin.user@example.com/new/folder/generate_data.py"
    up = upload_script_to_workspace(target, str(assets / "cluster_two_tables.py"), client=workspace_client)
    assert up == {"workspace_path": target, "bytes": (assets / "cluster_two_tables.py").stat().st_size}
    assert standin.workspace_object(target)["object_type"] == "FILE"
    old = volume.local / "incoming_data" / "old"
    old.mkdir(parents=True)
    (old / "stale.parquet").write_bytes(b"stale")
    result = generate_and_upload_on_cluster(
        standin.cluster_id,
        target,
        volume.catalog,
        volume.schema,
        volume.volume,
        scale_factor=0.2,
        client=workspace_client,
    )
    assert set(result) == {"success", "output", "volume_path", "error", "duration_sec", "cluster_started"}
    assert result["success"] is True, result["error"]
    assert result["volume_path"] == f"{volume.path}/incoming_data"
    assert "Removed 1 old files" in result["output"] and "2 files are now in" in result["output"]
    assert not old.exists()
    assert pq.read_table(volume.local / "incoming_data" / "stores" / "part-00000.parquet").num_rows == 2
    assert standin.open_contexts == []


def test_a_script_that_ignores_output_path_is_a_failure(standin, workspace_client, volume):
    standin.put_workspace_file(SCRIPT, "print('wrote nothing')\n")
    result = generate_and_upload_on_cluster(
        standin.cluster_id, SCRIPT, volume.catalog, volume.schema, volume.volume, client=workspace_client
    )
    assert result["success"] is False
    assert "wrote no files" in result["error"] and "OUTPUT_PATH" in result["error"]


def test_upload_script_refuses_to_overwrite_when_asked_and_needs_a_local_file(standin, workspace_client, assets):
    target = "/Users/standin.user@example.com/generate_data.py"
    upload_script_to_workspace(target, str(assets / "job_slow.py"), client=workspace_client)
    with pytest.raises(DatabricksApiError, match="overwrite=True"):
        upload_script_to_workspace(
            target, str(assets / "cluster_two_tables.py"), client=workspace_client, overwrite=False
        )
    with pytest.raises(FileNotFoundError):
        upload_script_to_workspace(target, str(assets / "missing.py"), client=workspace_client)
    assert (standin.workspace_root / target.lstrip("/")).read_bytes() == (assets / "job_slow.py").read_bytes()


def test_upload_of_a_notebook_source_drops_the_extension(standin, workspace_client, tmp_path):
    local = tmp_path / "nb.py"
    local.write_text("# Databricks notebook source\nprint(1)\n")
    up = upload_script_to_workspace("/Users/standin.user@example.com/nb.py", str(local), client=workspace_client)
    assert up["workspace_path"] == "/Users/standin.user@example.com/nb"
    assert standin.workspace_object(up["workspace_path"])["object_type"] == "NOTEBOOK"


def test_rewrite_mode_maps_volume_paths_for_cluster_code(tmp_path):
    from databricks_standin import StandinWorkspace

    with StandinWorkspace(tmp_path / "ws", volumes_mode="rewrite") as standin:
        assert standin.volumes_mode == "rewrite"
        volume = standin.create_volume()
        standin.put_workspace_file(
            SCRIPT,
            "import os, pathlib\n"
            "out = pathlib.Path(os.environ['OUTPUT_PATH']) / 'stores'\n"
            "out.mkdir(parents=True)\n"
            "(out / 'part-0.csv').write_text('id\\n1\\n')\n"
            "print('wrote', out)\n",
        )
        result = generate_and_upload_on_cluster(
            standin.cluster_id, SCRIPT, volume.catalog, volume.schema, volume.volume, client=standin.client()
        )
        assert result["success"] is True, result["error"]
        assert f"wrote {volume.path}/incoming_data/stores" in result["output"]  # shown as /Volumes/...
        assert (volume.local / "incoming_data" / "stores" / "part-0.csv").read_text() == "id\n1\n"
