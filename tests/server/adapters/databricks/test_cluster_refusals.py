"""execute_script_on_cluster refuses, before any command is sent, compute that cannot run it, and names the
tool that can: serverless, a SQL warehouse id, a job cluster, a terminated cluster it may not start."""

from __future__ import annotations

import pytest

from generator.rules import RuleErrors
from server.adapters.databricks import DatabricksApiError, execute_script_on_cluster, generate_and_upload_on_cluster

SCRIPT = "/Workspace/Users/standin.user@example.com/generate_data.py"


def _commands(standin) -> list[str]:
    return [r.path for r in standin.requests.find(path_regex=r"/api/1\.2/")]


@pytest.mark.parametrize(
    ("target", "fragments"),
    [
        ("serverless", ["serverless compute has no cluster id", "submit_generation_run"]),
        ("warehouse", ["SQL warehouse 'standin-warehouse'", "runs SQL only", "create_tables_from_volume("]),
        ("job", ["job cluster", "runs only its own job and takes no commands", "submit_generation_run"]),
        ("terminated", ["TERMINATED and start_cluster is false", "start_cluster=true", "submit_generation_run"]),
    ],
)
def test_compute_that_cannot_take_the_command_is_refused_before_it_is_sent(
    standin, workspace_client, volume, target, fragments
):
    standin.put_workspace_file(SCRIPT, "print('must not run')\n")
    cluster_id = {
        "serverless": lambda: "serverless",
        "warehouse": lambda: standin.warehouse_id,
        "job": lambda: standin.add_cluster(cluster_source="JOB").cluster_id,
        "terminated": lambda: standin.add_cluster(state="TERMINATED").cluster_id,
    }[target]()
    standin.requests.clear()
    with pytest.raises(RuleErrors) as info:
        execute_script_on_cluster(
            cluster_id, SCRIPT, f"{volume.path}/out", client=workspace_client, start_cluster=target != "terminated"
        )
    (error,) = info.value.errors
    assert error.field == "cluster_id" and error.value == cluster_id
    for fragment in fragments:
        assert fragment in str(error)
    assert _commands(standin) == []  # no context was created, no command sent
    assert not standin.requests.find("POST", r"/clusters/start$")
    assert not standin.requests.find(path_regex=r"/workspace/")  # the script was not even read


def test_generate_on_a_job_cluster_is_refused_before_the_folder_is_cleaned(standin, workspace_client, volume):
    old = volume.local / "incoming_data" / "keep.txt"
    old.parent.mkdir(parents=True)
    old.write_text("previous run\n", encoding="utf-8")
    job_cluster = standin.add_cluster(cluster_source="JOB").cluster_id
    with pytest.raises(RuleErrors, match="job cluster"):
        generate_and_upload_on_cluster(
            job_cluster, SCRIPT, volume.catalog, volume.schema, volume.volume, client=workspace_client
        )
    assert old.read_text(encoding="utf-8") == "previous run\n"


def test_a_cluster_the_caller_may_not_start_says_what_to_do(standin, workspace_client, volume):
    standin.put_workspace_file(SCRIPT, "print('must not run')\n")
    stopped = standin.add_cluster(state="TERMINATED").cluster_id
    standin.faults.fail_path(
        r"/clusters/start$",
        status=403,
        error_code="PERMISSION_DENIED",
        message=f"User does not have CAN_RESTART permission on cluster {stopped}",
    )
    with pytest.raises(DatabricksApiError) as info:
        execute_script_on_cluster(stopped, SCRIPT, f"{volume.path}/out", client=workspace_client)
    message = str(info.value)
    assert "CAN_RESTART permission" in message  # the workspace's words
    assert "Ask for CAN RESTART on the cluster, or use submit_generation_run" in message
    assert _commands(standin) == []


def test_a_running_all_purpose_cluster_still_runs_the_script(standin, workspace_client, volume):
    standin.put_workspace_file(SCRIPT, "print('ran on the all-purpose cluster')\n")
    shared = standin.add_cluster(cluster_source="API", data_security_mode="USER_ISOLATION").cluster_id
    result = execute_script_on_cluster(shared, SCRIPT, f"{volume.path}/out", client=workspace_client)
    assert result["success"] is True, result["error"]
    assert "ran on the all-purpose cluster" in result["output"]
