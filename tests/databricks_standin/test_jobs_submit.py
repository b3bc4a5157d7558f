"""One-time runs (``jobs.submit``) on the stand-in, driven with the real databricks-sdk over HTTP.

Each test builds what a caller would: a small wheel (written with zipfile, a valid RECORD and all),
put on a Volume with ``files.upload`` or in the workspace with ``workspace.upload``, a task script,
and a ``jobs.submit`` with a serverless environment, an existing cluster or a new cluster. The runs
really run: the wheel is pip-installed into the run's sandbox and the task process imports it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import time
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy
import pyarrow
import pyarrow.parquet as pq
import pytest
from databricks.sdk.errors import InvalidParameterValue, OperationFailed, ResourceDoesNotExist
from databricks.sdk.service.compute import ClusterSpec, Environment, Library, PythonPyPiLibrary
from databricks.sdk.service.jobs import (
    JobEnvironment,
    NotebookTask,
    PythonWheelTask,
    Run,
    SparkPythonTask,
    SubmitTask,
    TaskDependency,
)
from databricks.sdk.service.workspace import ImportFormat

from databricks_standin import USER_NAME

DONE = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}
WORKSPACE_DIR = f"/Workspace/Users/{USER_NAME}"

CORE_MODULE = """
import sys

def greet():
    return "hello from standin-core " + __version__

def cli():
    print("cli argv", sys.argv)

def plain_main():
    print("plain_main argv", sys.argv)

__version__ = "0.1.0"
"""

MAIN_SCRIPT = """
import sys
import numpy
import pyarrow
import standin_core

print(standin_core.greet())
print("core from", standin_core.__file__)
print("numpy", numpy.__version__, "pyarrow", pyarrow.__version__)
print("argv", sys.argv[1:])
try:
    import generator  # this project: a cluster does not have it
    print("project importable")
except ImportError:
    print("project not importable")
"""


def build_wheel(
    folder: Path,
    name: str = "standin-core",
    version: str = "0.1.0",
    *,
    requires: tuple[str, ...] = (),
    requires_python: str | None = None,
    module: str = CORE_MODULE,
) -> Path:
    """A pure-Python wheel ``name`` with one module, a console script ``standin-hello`` and a RECORD."""
    package = name.replace("-", "_")
    dist_info = f"{package}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        metadata.append(f"Requires-Python: {requires_python}")
    metadata += [f"Requires-Dist: {r}" for r in requires]
    files = {
        f"{package}/__init__.py": module,
        f"{dist_info}/METADATA": "\n".join(metadata) + "\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": f"[console_scripts]\nstandin-hello = {package}:cli\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{package}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def upload_to_volume(client: Any, volume: Any, local: Path, name: str | None = None) -> str:
    path = f"{volume.path}/libs/{name or local.name}"
    client.files.upload(path, io.BytesIO(local.read_bytes()), overwrite=True)
    return path


def upload_to_workspace(client: Any, local_or_text: Path | str, name: str) -> str:
    data = local_or_text.read_bytes() if isinstance(local_or_text, Path) else local_or_text.encode()
    path = f"{WORKSPACE_DIR}/{name}"
    client.workspace.upload(path, io.BytesIO(data), format=ImportFormat.AUTO, overwrite=True)
    return path


def environment(*dependencies: str, key: str = "default") -> JobEnvironment:
    return JobEnvironment(
        environment_key=key, spec=Environment(environment_version="2", dependencies=list(dependencies))
    )


def script_task(python_file: str, *parameters: str, task_key: str = "main", **compute: Any) -> SubmitTask:
    compute = compute or {"environment_key": "default"}
    return SubmitTask(
        task_key=task_key,
        spark_python_task=SparkPythonTask(python_file=python_file, parameters=list(parameters)),
        **compute,
    )


def wait_for(client: Any, run_id: int, holds: Callable[[Run], bool], limit: float = 60.0) -> Run:
    """Poll ``runs/get`` every 0.05 s (faster than the SDK's waiter) until ``holds`` is true of the run."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        run = client.jobs.get_run(run_id)
        if holds(run):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id}: condition not met after {limit} s; last state {run.state}")


def wait_done(client: Any, run_id: int, limit: float = 60.0) -> Run:
    return wait_for(client, run_id, lambda run: run.state.life_cycle_state.value in DONE, limit)


def is_running(run: Run) -> bool:
    return run.state.life_cycle_state.value == "RUNNING"


@pytest.fixture
def fast(standin: Any) -> Any:
    standin.jobs.submit_pending_seconds = 0.05
    return standin


@pytest.fixture
def volume(standin: Any) -> Any:
    return standin.create_volume()


@pytest.fixture
def core_wheel(tmp_path: Path) -> Path:
    return build_wheel(
        tmp_path,
        requires=("numpy>=1.20", "pyarrow>=10", 'faker>=1; extra == "full"', 'pywin32>=300; sys_platform == "win32"'),
    )


# -- serverless environments ---------------------------------------------------------------


def test_serverless_run_installs_the_volume_wheel_and_runs_its_code(fast, workspace_client, volume, core_wheel):
    wheel_path = upload_to_volume(workspace_client, volume, core_wheel)
    script = upload_to_workspace(workspace_client, MAIN_SCRIPT, "main.py")

    waiter = workspace_client.jobs.submit(
        run_name="retail one-time",
        environments=[environment(wheel_path, "numpy>=1.20")],
        tasks=[script_task(script, "--scale", "small")],
    )
    run = waiter.result(timeout=timedelta(seconds=60))

    assert run.state.life_cycle_state.value == "TERMINATED"
    assert run.state.result_state.value == "SUCCESS", run.state.state_message
    assert run.status.termination_details.code.value == "SUCCESS"
    assert run.run_type.value == "SUBMIT_RUN"
    assert run.job_id is None
    assert run.run_name == "retail one-time"
    assert run.run_page_url.startswith(fast.url) and str(run.run_id) in run.run_page_url
    (task,) = run.tasks
    assert task.task_key == "main" and task.run_id != run.run_id
    assert task.environment_key == "default"
    assert task.state.result_state.value == "SUCCESS"

    logs = workspace_client.jobs.get_run_output(task.run_id).logs
    assert "hello from standin-core 0.1.0" in logs
    assert f"submit-{run.run_id}/env-default" in logs  # imported from the run's sandbox
    assert f"numpy {numpy.__version__} pyarrow {pyarrow.__version__}" in logs  # the runtime's, not replaced
    assert "argv ['--scale', 'small']" in logs
    assert "project not importable" in logs

    submission = fast.jobs.submitted(run.run_id)
    assert submission.spec["environments"][0]["spec"]["dependencies"] == [wheel_path, "numpy>=1.20"]
    assert submission.installed == ["standin-core"]
    numpy_req, pyarrow_req, faker_req, win_req = submission.requirements("standin-core")
    assert (numpy_req.requirement, numpy_req.provided_by, numpy_req.version) == (
        "numpy>=1.20",
        "runtime",
        numpy.__version__,
    )
    assert (pyarrow_req.provided_by, pyarrow_req.version) == ("runtime", pyarrow.__version__)
    assert faker_req.applies is False and faker_req.provided_by is None  # extra "full" not asked for
    assert win_req.applies is False
    plain = submission.environments["default"][1]
    assert (plain.spec, plain.installed, plain.version) == ("numpy>=1.20", False, numpy.__version__)


def test_python_wheel_task_runs_the_console_script_or_the_module_function(fast, workspace_client, volume, core_wheel):
    wheel_path = upload_to_volume(workspace_client, volume, core_wheel)
    run_id = workspace_client.jobs.submit(
        environments=[environment(wheel_path)],
        tasks=[
            SubmitTask(
                task_key="console",
                environment_key="default",
                python_wheel_task=PythonWheelTask(
                    package_name="standin-core", entry_point="standin-hello", parameters=["a", "b"]
                ),
            ),
            SubmitTask(
                task_key="function",
                environment_key="default",
                depends_on=[TaskDependency(task_key="console")],
                python_wheel_task=PythonWheelTask(
                    package_name="standin_core", entry_point="plain_main", named_parameters={"scale": "small"}
                ),
            ),
        ],
    ).run_id
    run = wait_done(workspace_client, run_id)

    assert run.state.result_state.value == "SUCCESS", run.state.state_message
    assert run.run_name == "Untitled"
    outputs = {t.task_key: workspace_client.jobs.get_run_output(t.run_id).logs for t in run.tasks}
    assert "cli argv ['standin-core', 'a', 'b']" in outputs["console"]
    assert "plain_main argv ['standin_core', '--scale=small']" in outputs["function"]
    assert fast.jobs.submitted(run_id).installed == ["standin-core"]


def test_a_wheel_may_require_another_wheel_of_its_environment(fast, workspace_client, volume, core_wheel, tmp_path):
    helper = build_wheel(tmp_path, "standin-helper", "0.2.0", requires=("standin-core==0.1.0",), module="")
    core_path, helper_path = (upload_to_volume(workspace_client, volume, w) for w in (core_wheel, helper))
    script = tmp_path / "main.py"
    script.write_text("import standin_core, standin_helper\nprint(standin_core.greet())\n", encoding="utf-8")
    dependencies = [f"{core_path}[full]", helper_path]  # [full]: the core's extra, which needs faker

    run_id = workspace_client.jobs.submit(
        environments=[environment(*dependencies)], tasks=[script_task(str(script))]
    ).run_id

    assert wait_done(workspace_client, run_id).state.result_state.value == "SUCCESS"
    submission = fast.jobs.submitted(run_id)
    assert submission.installed == ["standin-core", "standin-helper"]
    (core,) = submission.requirements("standin-helper")
    assert (core.provided_by, core.version) == ("environment", "0.1.0")
    faker_req = submission.requirements("standin-core")[2]
    assert (faker_req.requirement, faker_req.applies, faker_req.provided_by) == (
        'faker>=1; extra == "full"',
        True,
        "runtime",
    )
    with pytest.raises(KeyError, match="numpy was not installed"):
        submission.requirements("numpy")


def test_a_second_submit_with_the_same_idempotency_token_starts_nothing(fast, workspace_client, tmp_path):
    script = tmp_path / "ok.py"
    script.write_text("print('ran once')\n", encoding="utf-8")
    submit = dict(environments=[environment()], tasks=[script_task(str(script))], idempotency_token="retail-42")

    first = workspace_client.jobs.submit(**submit).run_id
    second = workspace_client.jobs.submit(**submit).run_id
    other = workspace_client.jobs.submit(**(submit | {"idempotency_token": "retail-43"})).run_id

    assert second == first and other != first
    assert sorted(fast.jobs.submitted_runs) == sorted({first, other})
    assert len(fast.requests.find("POST", r"/jobs/runs/submit$")) == 3
    assert wait_done(workspace_client, first).state.result_state.value == "SUCCESS"
    with pytest.raises(KeyError, match="no one-time run 1"):
        fast.jobs.submitted(1)


def test_the_2_1_path_answers_like_2_2(fast, workspace_client, tmp_path):
    script = tmp_path / "ok.py"
    script.write_text("print('ok')\n", encoding="utf-8")
    body = {
        "tasks": [{"task_key": "t", "environment_key": "e", "spark_python_task": {"python_file": str(script)}}],
        "environments": [{"environment_key": "e", "spec": {"client": "1"}}],
    }
    run_id = workspace_client.api_client.do("POST", "/api/2.1/jobs/runs/submit", body=body)["run_id"]
    assert wait_done(workspace_client, run_id).state.result_state.value == "SUCCESS"


# -- refusals --------------------------------------------------------------------------------

PY = SparkPythonTask(python_file="/Workspace/Users/x/main.py")
WHEEL = PythonWheelTask(package_name="p", entry_point="e")
NEW = ClusterSpec(spark_version="15.4.x-scala2.12")


def task(key: str = "t", **fields: Any) -> SubmitTask:
    """A serverless script task on environment "default", with ``fields`` changed (None removes one)."""
    fields = {"spark_python_task": PY, "environment_key": "default"} | fields
    return SubmitTask(task_key=key, **{k: v for k, v in fields.items() if v is not None})


def serverless(*tasks: SubmitTask, environments: list[JobEnvironment] | None = None, **body: Any) -> dict[str, Any]:
    return {"environments": environments or [environment()], "tasks": list(tasks), **body}


REFUSALS = [
    (serverless(), "tasks must be a non-empty list"),
    (serverless(task(environment_key=None)), "must specify exactly one compute"),
    (serverless(task(new_cluster=NEW)), "got new_cluster, environment_key"),
    (
        serverless(task(environment_key="gpu")),
        "refers to environment_key 'gpu', which is not defined in environments (defined: default)",
    ),
    (serverless(task(), task()), "Duplicate task_key t"),
    (
        serverless(task(depends_on=[TaskDependency("nope")])),
        "depends on task 'nope', which is not in tasks",
    ),
    (
        serverless(task("a", depends_on=[TaskDependency("b")]), task("b", depends_on=[TaskDependency("a")])),
        "tasks a, b form a cycle",
    ),
    (
        serverless(task(spark_python_task=None)),
        "must specify exactly one task type, such as spark_python_task or python_wheel_task; got none",
    ),
    (serverless(task(python_wheel_task=WHEEL)), "got spark_python_task, python_wheel_task"),
    (
        serverless(task(environment_key=None, existing_cluster_id="0000-nope")),
        "Cluster 0000-nope does not exist",
    ),
    (
        serverless(task(libraries=[Library(whl="/Volumes/c/s/v/x.whl")])),
        "libraries are not supported on serverless compute",
    ),
    (
        serverless(task(), environments=[JobEnvironment("default", Environment(environment_version="latest"))]),
        "must be a serverless environment version such as '2' or '4', got 'latest'",
    ),
    (
        serverless(task(environment_key="a/b"), environments=[environment(key="a/b")]),
        "Every environment needs an environment_key of at most 100 letters",
    ),
    (serverless(task(), environments=[environment(), environment()]), "Duplicate environment_key 'default'"),
    (
        serverless(task(spark_python_task=SparkPythonTask("main.py"))),
        "python_file 'main.py' must be an absolute path",
    ),
    (
        serverless(task(spark_python_task=None, notebook_task=NotebookTask("/Users/x/nb"))),
        "notebook_task is not run by the stand-in",
    ),
    (
        serverless(
            task(
                spark_python_task=None,
                python_wheel_task=PythonWheelTask("p", "e", named_parameters={"a": "1"}, parameters=["x"]),
            )
        ),
        "accepts parameters or named_parameters, not both",
    ),
    (serverless(task("bad key!")), "task_key 'bad key!' is invalid"),
    (serverless(task(), idempotency_token="x" * 65), "idempotency_token must be at most 64 characters"),
    (
        serverless(task(environment_key=None, new_cluster=ClusterSpec(num_workers=1))),
        "new_cluster needs a spark_version",
    ),
    (
        serverless(
            task(
                environment_key=None,
                existing_cluster_id="0000-000000-standin0",
                libraries=[Library(jar="/Volumes/c/s/v/x.jar")],
            )
        ),
        "library {'jar': '/Volumes/c/s/v/x.jar'} is not supported by the stand-in",
    ),
]


@pytest.mark.parametrize(("submit", "fragment"), REFUSALS, ids=[fragment[:40] for _, fragment in REFUSALS])
def test_submit_refuses_what_the_service_refuses(fast, workspace_client, submit, fragment):
    with pytest.raises(InvalidParameterValue) as caught:
        workspace_client.jobs.submit(**submit)

    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert fragment in str(caught.value)
    assert fast.jobs.submitted_runs == {}
    assert [r.status for r in fast.requests.find("POST", r"/jobs/runs/submit$")] == [400]


# -- installation failures -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wheel_options", "extra_dependency", "fragments"),
    [
        (
            {"requires": ("numpy>=999",)},
            None,
            [
                "Library installation failed for library due to user error for whl:",
                "Error code: ERROR_NO_MATCHING_DISTRIBUTION",
                "Could not find a version that satisfies the requirement numpy>=999 (from standin-core==0.1.0)",
            ],
        ),
        (
            {"requires_python": ">=4"},
            None,
            ["Package 'standin-core' requires a different Python", "not in '>=4'"],
        ),
        (
            None,
            "/Volumes/{volume}/libs/missing-0.1-py3-none-any.whl",
            ["Error code: ERROR_FILE_NOT_FOUND", "missing-0.1-py3-none-any.whl does not exist"],
        ),
        (
            None,
            "no-such-package-anywhere==1.0",
            [
                'for pypi: "no-such-package-anywhere==1.0"',
                "No matching distribution found for no-such-package-anywhere==1.0",
            ],
        ),
    ],
    ids=["unmet-requires-dist", "requires-python", "missing-path", "unknown-requirement"],
)
def test_a_dependency_that_cannot_be_installed_fails_the_run_before_the_task_runs(
    fast, workspace_client, volume, tmp_path, wheel_options, extra_dependency, fragments
):
    dependencies = []
    if wheel_options is not None:
        dependencies.append(upload_to_volume(workspace_client, volume, build_wheel(tmp_path, **wheel_options)))
    if extra_dependency is not None:
        dependencies.append(extra_dependency.replace("/Volumes/{volume}", volume.path))
    marker = tmp_path / "ran.txt"
    script = tmp_path / "main.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")

    waiter = workspace_client.jobs.submit(environments=[environment(*dependencies)], tasks=[script_task(str(script))])
    with pytest.raises(OperationFailed) as caught:
        waiter.result(timeout=timedelta(seconds=60))
    run = workspace_client.jobs.get_run(waiter.run_id)

    assert "INTERNAL_ERROR" in str(caught.value)
    assert (run.state.life_cycle_state.value, run.state.result_state.value) == ("INTERNAL_ERROR", "FAILED")
    assert run.status.termination_details.code.value == "LIBRARY_INSTALLATION_ERROR"
    assert run.status.termination_details.type.value == "CLIENT_ERROR"
    for fragment in fragments:
        assert fragment in run.state.state_message
    assert "serverless compute" in run.state.state_message
    (task,) = run.tasks
    assert task.state.life_cycle_state.value == "INTERNAL_ERROR"
    assert workspace_client.jobs.get_run_output(task.run_id).error == run.state.state_message
    assert not marker.exists()
    assert fast.jobs.submitted(waiter.run_id).installed == []


# -- clusters --------------------------------------------------------------------------------


def test_a_terminated_existing_cluster_is_started_first_and_installs_the_task_libraries(
    fast, workspace_client, volume, core_wheel
):
    cluster = fast.add_cluster(state="TERMINATED", start_delay=0.6)
    wheel_path = upload_to_workspace(workspace_client, core_wheel, core_wheel.name)
    script = f"{volume.path}/code/main.py"
    workspace_client.files.upload(script, io.BytesIO(MAIN_SCRIPT.encode()), overwrite=True)

    libraries = [Library(whl=wheel_path), Library(pypi=PythonPyPiLibrary(package="numpy>=1.20"))]

    run_id = workspace_client.jobs.submit(
        tasks=[script_task(script, existing_cluster_id=cluster.cluster_id, libraries=libraries)]
    ).run_id
    waiting = wait_for(workspace_client, run_id, lambda run: "Waiting for cluster" in run.state.state_message)
    assert waiting.state.life_cycle_state.value == "PENDING"
    assert waiting.state.state_message == f"Waiting for cluster {cluster.cluster_id} to start"
    assert workspace_client.clusters.get(cluster.cluster_id).state.value == "PENDING"
    run = wait_done(workspace_client, run_id)

    assert run.state.result_state.value == "SUCCESS", run.state.state_message
    assert cluster.starts == 1
    assert workspace_client.clusters.get(cluster.cluster_id).state.value == "RUNNING"
    (task,) = run.tasks
    assert task.existing_cluster_id == cluster.cluster_id
    assert task.cluster_instance.cluster_id == cluster.cluster_id
    assert task.libraries[0].whl == wheel_path
    assert "hello from standin-core" in workspace_client.jobs.get_run_output(task.run_id).logs
    submission = fast.jobs.submitted(run_id)
    assert submission.installed == ["standin-core"]
    assert submission.environments == {} and list(submission.task_libraries) == ["main"]
    assert [(d.name, d.installed) for d in submission.task_libraries["main"]] == [
        ("standin-core", True),
        ("numpy", False),
    ]


def test_cancel_while_the_cluster_starts_ends_the_run_before_its_task_ran(fast, workspace_client, tmp_path):
    cluster = fast.add_cluster(state="TERMINATED", start_delay=30)
    script = tmp_path / "main.py"
    script.write_text("print('never')\n", encoding="utf-8")
    run_id = workspace_client.jobs.submit(
        tasks=[script_task(str(script), existing_cluster_id=cluster.cluster_id)]
    ).run_id
    wait_for(workspace_client, run_id, lambda run: "Waiting for cluster" in run.state.state_message)

    run = workspace_client.jobs.cancel_run(run_id).result(timeout=timedelta(seconds=30))

    assert (run.state.life_cycle_state.value, run.state.result_state.value) == ("TERMINATED", "CANCELED")
    assert run.tasks[0].state.result_state.value == "CANCELED"
    assert workspace_client.jobs.get_run_output(run.tasks[0].run_id).logs == ""


def test_a_new_cluster_task_runs_on_a_job_cluster_that_ends_with_it(fast, workspace_client, tmp_path):
    script = tmp_path / "main.py"
    script.write_text("print('on a job cluster')\n", encoding="utf-8")
    spec = ClusterSpec(spark_version="16.4.x-scala2.12", num_workers=2, node_type_id="i3.xlarge")

    run = wait_done(
        workspace_client, workspace_client.jobs.submit(tasks=[script_task(str(script), new_cluster=spec)]).run_id
    )

    assert run.state.result_state.value == "SUCCESS", run.state.state_message
    (task,) = run.tasks
    assert task.new_cluster.spark_version == "16.4.x-scala2.12" and task.new_cluster.num_workers == 2
    details = workspace_client.clusters.get(task.cluster_instance.cluster_id)
    assert details.cluster_source.value == "JOB"
    assert details.spark_version == "16.4.x-scala2.12"
    assert details.state.value == "TERMINATED"
    assert fast.jobs.submitted(run.run_id).spec["tasks"][0]["new_cluster"]["num_workers"] == 2


def test_clusters_tell_all_purpose_from_job_clusters(fast, workspace_client):
    shared = fast.add_cluster(
        cluster_source="API", data_security_mode="USER_ISOLATION", spark_version="14.3.x-scala2.12"
    )
    job = fast.add_cluster(cluster_source="JOB")

    shared_details = workspace_client.clusters.get(shared.cluster_id)
    job_details = workspace_client.clusters.get(job.cluster_id)
    default = workspace_client.clusters.get(fast.cluster_id)

    assert (shared_details.cluster_source.value, shared_details.data_security_mode.value) == ("API", "USER_ISOLATION")
    assert shared_details.spark_version == "14.3.x-scala2.12"
    assert shared_details.single_user_name is None
    assert job_details.cluster_source.value == "JOB"
    assert (default.cluster_source.value, default.data_security_mode.value) == ("UI", "SINGLE_USER")
    assert default.single_user_name == USER_NAME
    # The service answers 400 INVALID_PARAMETER_VALUE; the SDK's own override maps it to ResourceDoesNotExist.
    with pytest.raises(ResourceDoesNotExist, match="Cluster 0000-000000-unknown does not exist") as caught:
        workspace_client.clusters.get("0000-000000-unknown")
    assert (caught.value.error_code, caught.value.args[0]) == (
        "INVALID_PARAMETER_VALUE",
        "Cluster 0000-000000-unknown does not exist",
    )


# -- failures, output, cancel, timeout -------------------------------------------------------


def test_a_failing_task_fails_the_run_skips_its_dependents_and_reports_its_error(fast, workspace_client, tmp_path):
    failing = tmp_path / "fail.py"
    failing.write_text("print('about to fail')\nraise ValueError('catalog main does not exist')\n", encoding="utf-8")
    after = tmp_path / "after.py"
    after.write_text("print('never')\n", encoding="utf-8")

    run_id = workspace_client.jobs.submit(
        environments=[environment()],
        tasks=[
            script_task(str(failing), task_key="generate"),
            SubmitTask(
                task_key="publish",
                environment_key="default",
                depends_on=[TaskDependency(task_key="generate")],
                spark_python_task=SparkPythonTask(python_file=str(after)),
            ),
        ],
    ).run_id
    run = wait_done(workspace_client, run_id)

    assert (run.state.life_cycle_state.value, run.state.result_state.value) == ("INTERNAL_ERROR", "FAILED")
    assert run.state.state_message.startswith("Task generate failed with message: Workload failed")
    assert run.status.termination_details.code.value == "RUN_EXECUTION_ERROR"
    generate, publish = run.tasks
    assert (generate.state.life_cycle_state.value, generate.state.result_state.value) == ("TERMINATED", "FAILED")
    assert generate.state.state_message == "Workload failed, see run output for details"
    assert (publish.state.life_cycle_state.value, publish.state.result_state.value) == ("SKIPPED", "UPSTREAM_FAILED")
    output = workspace_client.jobs.get_run_output(generate.run_id)
    assert output.error == "ValueError: catalog main does not exist"
    assert "Traceback (most recent call last)" in output.error_trace and "\x1b[" in output.error_trace
    assert "about to fail" in output.logs
    assert output.metadata.run_id == generate.run_id
    assert output.metadata.state.result_state.value == "FAILED"
    with pytest.raises(InvalidParameterValue, match="output of runs with multiple tasks is not supported"):
        workspace_client.jobs.get_run_output(run_id)


def test_an_injected_fault_fails_only_the_named_task(fast, workspace_client, tmp_path):
    script = tmp_path / "ok.py"
    script.write_text("print('fine')\n", encoding="utf-8")
    fast.faults.fail_submitted_runs("Catalog does not exist: nowhere", task_key="b")

    run = wait_done(
        workspace_client,
        workspace_client.jobs.submit(
            environments=[environment()], tasks=[script_task(str(script), task_key=k) for k in ("a", "b")]
        ).run_id,
    )

    a, b = run.tasks
    assert a.state.result_state.value == "SUCCESS" and b.state.result_state.value == "FAILED"
    assert workspace_client.jobs.get_run_output(b.run_id).error == "RuntimeError: Catalog does not exist: nowhere"
    assert run.state.state_message.startswith("Task b failed with message")


def test_a_missing_python_file_fails_the_run(fast, workspace_client):
    run = wait_done(
        workspace_client,
        workspace_client.jobs.submit(
            environments=[environment()], tasks=[script_task(f"{WORKSPACE_DIR}/nowhere.py")]
        ).run_id,
    )

    assert (run.state.life_cycle_state.value, run.state.result_state.value) == ("INTERNAL_ERROR", "FAILED")
    assert f"Cannot read the python file {WORKSPACE_DIR}/nowhere.py" in run.state.state_message
    assert run.status.termination_details.code.value == "RESOURCE_NOT_FOUND"


def test_cancel_ends_a_running_task_and_the_run(fast, workspace_client, tmp_path):
    started = tmp_path / "started"
    script = tmp_path / "slow.py"
    script.write_text(f"import time\nopen({str(started)!r}, 'w').close()\ntime.sleep(120)\n", encoding="utf-8")
    run_id = workspace_client.jobs.submit(environments=[environment()], tasks=[script_task(str(script))]).run_id
    wait_for(workspace_client, run_id, lambda run: is_running(run) and started.exists())

    began = time.monotonic()
    run = workspace_client.jobs.cancel_run(run_id).result(timeout=timedelta(seconds=30))

    assert time.monotonic() - began < 20
    assert (run.state.life_cycle_state.value, run.state.result_state.value) == ("TERMINATED", "CANCELED")
    assert run.state.user_cancelled_or_timedout is True
    assert run.status.termination_details.code.value == "USER_CANCELED"
    assert run.tasks[0].state.result_state.value == "CANCELED"
    assert fast.jobs.submitted_runs[run_id].tasks[0].process.running is False


@pytest.mark.parametrize("where", ["run", "task", "cluster start"])
def test_a_run_longer_than_its_timeout_is_stopped(fast, workspace_client, tmp_path, where):
    script = tmp_path / "slow.py"
    script.write_text("import time\nprint('working')\ntime.sleep(120)\n", encoding="utf-8")
    compute: dict[str, Any] = {"environment_key": "default"}
    if where == "cluster start":
        compute = {"existing_cluster_id": fast.add_cluster(state="TERMINATED", start_delay=60).cluster_id}
    task = script_task(str(script), **compute)
    if where == "task":
        task.timeout_seconds = 1
    run_timeout = None if where == "task" else 1

    began = time.monotonic()
    run_id = workspace_client.jobs.submit(
        environments=[environment()], tasks=[task], timeout_seconds=run_timeout
    ).run_id
    run = wait_done(workspace_client, run_id)

    assert time.monotonic() - began < 15
    assert (run.state.life_cycle_state.value, run.state.result_state.value) == ("TERMINATED", "TIMEDOUT")
    assert run.state.user_cancelled_or_timedout is True
    expected = (
        "timed out waiting for cluster"
        if where == "cluster start"
        else "ran longer than the timeout_seconds of the run or task"
    )
    assert expected in run.state.state_message


def test_a_429_storm_on_submit_is_ridden_out_and_creates_one_run(fast, workspace_client, tmp_path):
    script = tmp_path / "ok.py"
    script.write_text("print('ok')\n", encoding="utf-8")
    rule = fast.faults.throttle(r"/jobs/runs/submit$", count=2, retry_after=1)

    run_id = workspace_client.jobs.submit(environments=[environment()], tasks=[script_task(str(script))]).run_id

    assert rule.hits == 2
    assert [r.status for r in fast.requests.find("POST", r"/jobs/runs/submit$")] == [429, 429, 200]
    assert list(fast.jobs.submitted_runs) == [run_id]
    assert wait_done(workspace_client, run_id).state.result_state.value == "SUCCESS"


# -- Spark -----------------------------------------------------------------------------------

SPARK_SCRIPT = """
import sys
from pyspark.sql import SparkSession

out = sys.argv[1]
spark = SparkSession.builder.appName("standin-submit").getOrCreate()
print("master", spark.sparkContext.master)
spark.range(0, 1000, numPartitions=2).selectExpr("id", "id % 7 AS store_id").write.mode("overwrite").parquet(out)
spark.stop()
"""


def test_a_submitted_script_runs_local_spark_with_the_task_env(fast, workspace_client, tmp_path):
    script = tmp_path / "spark_job.py"
    script.write_text(SPARK_SCRIPT, encoding="utf-8")
    out = tmp_path / "orders"
    fast.jobs.task_env = {
        "PYSPARK_SUBMIT_ARGS": "--master local[2] --driver-memory 1g --conf spark.ui.enabled=false pyspark-shell",
        "PYSPARK_PYTHON": sys.executable,
    }

    run_id = workspace_client.jobs.submit(
        tasks=[script_task(str(script), str(out), existing_cluster_id=fast.cluster_id)]
    ).run_id
    run = wait_done(workspace_client, run_id, limit=180)

    logs = workspace_client.jobs.get_run_output(run.tasks[0].run_id).logs
    assert run.state.result_state.value == "SUCCESS", logs[-3000:]
    assert "master local[2]" in logs
    table = pq.read_table(out)
    assert table.num_rows == 1000 and table.column_names == ["id", "store_id"]
    assert fast.jobs.submitted(run_id).task_env["PYSPARK_PYTHON"] == sys.executable
