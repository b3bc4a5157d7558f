"""The body of ``POST /api/2.2/jobs/runs/submit`` checked as the Jobs API checks it, as plain dataclasses.

Field names are those of the SDK's ``SubmitTask``, ``JobEnvironment``, ``compute.Environment``,
``SparkPythonTask`` and ``PythonWheelTask``. Everything the service refuses at submit time is a
400 ``INVALID_PARAMETER_VALUE`` naming the task, the field, the bad value and what is accepted:
no tasks, a bad, missing or duplicate ``task_key``, a ``depends_on`` on an unknown task or a cycle,
a task without compute or with two, an ``environment_key`` not in ``environments``, a task with no
task type or two, an ``existing_cluster_id`` that does not exist, ``libraries`` on a serverless task
(they belong in the environment). Task types other than ``spark_python_task`` and
``python_wheel_task`` are refused too: the stand-in does not run them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .http_core import ApiError
from .jobs_api import check_idempotency_token

RUNNABLE_TASK_TYPES = ("spark_python_task", "python_wheel_task")
OTHER_TASK_TYPES = (
    "notebook_task",
    "spark_jar_task",
    "spark_submit_task",
    "pipeline_task",
    "sql_task",
    "dbt_task",
    "dbt_cloud_task",
    "run_job_task",
    "condition_task",
    "for_each_task",
    "clean_rooms_notebook_task",
    "dashboard_task",
    "power_bi_task",
    "python_operator_task",
    "alert_task",
    "ai_function_task",
    "ai_runtime_task",
    "gen_ai_compute_task",
    "dbt_platform_task",
)
COMPUTE_FIELDS = ("existing_cluster_id", "new_cluster", "environment_key")
KEY = re.compile(r"[\w\-.]{1,100}")


def invalid(message: str) -> ApiError:
    """The Jobs API's answer to a request it refuses."""
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


@dataclass(frozen=True)
class EnvironmentSpec:
    """One entry of ``environments``: a serverless environment version and its pip dependencies."""

    key: str
    version: str
    dependencies: tuple[str, ...]


@dataclass(frozen=True)
class TaskSpec:
    """One submitted task, with its compute choice and the command line it runs."""

    task_key: str
    compute: str  # "environment_key", "existing_cluster_id" or "new_cluster"
    environment_key: str | None
    existing_cluster_id: str | None
    new_cluster: dict[str, Any] | None
    task_type: str  # "spark_python_task" or "python_wheel_task"
    python_file: str | None
    package_name: str | None
    entry_point: str | None
    parameters: tuple[str, ...]  # argv after the script or entry point (named parameters as --k=v)
    libraries: tuple[str, ...]  # pip requirement strings: wheel paths or pypi packages
    depends_on: tuple[str, ...]
    timeout_seconds: int
    raw: dict[str, Any]  # the task as submitted, echoed by runs/get


@dataclass(frozen=True)
class SubmitSpec:
    """A checked ``runs/submit`` request; ``tasks`` are in an order that respects ``depends_on``."""

    run_name: str
    tasks: tuple[TaskSpec, ...]
    environments: dict[str, EnvironmentSpec]
    idempotency_token: str | None
    timeout_seconds: int
    body: dict[str, Any]


def _timeout(value: Any, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid(f"{where}timeout_seconds must be a non-negative integer of seconds, got {value!r}")
    return value


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"{field} must be a list of strings, got {value!r}")
    return tuple(value)


def parse_environments(value: Any) -> dict[str, EnvironmentSpec]:
    """``environments``: unique keys, each with a ``spec`` that names an environment version."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise invalid(f"environments must be a list of {{environment_key, spec}} objects, got {value!r}")
    environments: dict[str, EnvironmentSpec] = {}
    for entry in value:
        key = entry.get("environment_key") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise invalid(
                f"Every environment needs an environment_key of at most 100 letters, digits, '_', '-' and '.', "
                f"got {entry!r}"
            )
        if key in environments:
            raise invalid(f"Duplicate environment_key {key!r} in environments: each key may be defined once")
        spec = entry.get("spec")
        if not isinstance(spec, dict):
            raise invalid(f"Environment {key!r} needs a spec object with environment_version, got {spec!r}")
        version = spec.get("environment_version", spec.get("client"))
        if not isinstance(version, str) or not version.isdigit():
            raise invalid(
                f"Environment {key!r}: spec.environment_version (or the older spec.client) must be a serverless "
                f"environment version such as '2' or '4', got {version!r}"
            )
        dependencies = _strings(spec.get("dependencies"), f"Environment {key!r}: spec.dependencies")
        environments[key] = EnvironmentSpec(key, version, dependencies)
    return environments


def _libraries(value: Any, task_key: str) -> tuple[str, ...]:
    """Task ``libraries`` as pip requirement strings; the stand-in installs ``whl`` and ``pypi`` entries."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise invalid(f"Task {task_key}: libraries must be a list of library objects, got {value!r}")
    requirements = []
    for library in value:
        if isinstance(library, dict) and isinstance(library.get("whl"), str):
            requirements.append(library["whl"])
        elif isinstance(library, dict) and isinstance((library.get("pypi") or {}).get("package"), str):
            requirements.append(library["pypi"]["package"])
        else:
            raise invalid(
                f"Task {task_key}: library {library!r} is not supported by the stand-in; "
                'use {"whl": "/Volumes/.../x.whl"} or {"pypi": {"package": "name==version"}}'
            )
    return tuple(requirements)


def _check_python_file(path: Any, task_key: str) -> str:
    if not isinstance(path, str) or not path:
        raise invalid(f"Task {task_key}: spark_python_task.python_file is required, got {path!r}")
    if not path.startswith("/"):
        raise invalid(
            f"Task {task_key}: spark_python_task.python_file {path!r} must be an absolute path: a workspace "
            "file (/Workspace/..., /Users/...), a /Volumes/... file or (stand-in only) a local file"
        )
    return path


def _the_one(task: dict[str, Any], fields: tuple[str, ...], task_key: str, what: str) -> str:
    """The one of ``fields`` set in ``task``; the refusal says ``what`` is needed and what was set."""
    chosen = [f for f in fields if task.get(f) is not None]
    if len(chosen) != 1:
        found = f"got {', '.join(chosen)}" if chosen else "got none"
        raise invalid(f"Task {task_key} must specify exactly one {what}; {found}")
    return chosen[0]


def _command(task: dict[str, Any], task_key: str) -> tuple[str, str | None, str | None, str | None, tuple[str, ...]]:
    """(task type, python_file, package_name, entry_point, argv parameters) of one task."""
    what = "task type, such as spark_python_task or python_wheel_task"
    task_type = _the_one(task, (*RUNNABLE_TASK_TYPES, *OTHER_TASK_TYPES), task_key, what)
    if task_type not in RUNNABLE_TASK_TYPES:
        raise invalid(
            f"Task {task_key}: {task_type} is not run by the stand-in; use spark_python_task or python_wheel_task"
        )
    body = task[task_type]
    if not isinstance(body, dict):
        raise invalid(f"Task {task_key}: {task_type} must be an object, got {body!r}")
    if task_type == "spark_python_task":
        if body.get("source", "WORKSPACE") != "WORKSPACE":
            raise invalid(
                f"Task {task_key}: spark_python_task.source {body['source']!r} needs a git_source; "
                "the stand-in accepts source WORKSPACE only"
            )
        python_file = _check_python_file(body.get("python_file"), task_key)
        return task_type, python_file, None, None, _strings(body.get("parameters"), f"Task {task_key}: parameters")
    package, entry = body.get("package_name"), body.get("entry_point")
    for field, value in (("package_name", package), ("entry_point", entry)):
        if not isinstance(value, str) or not value:
            raise invalid(f"Task {task_key}: python_wheel_task.{field} is required, got {value!r}")
    named = body.get("named_parameters")
    if named is not None and body.get("parameters") is not None:
        raise invalid(f"Task {task_key}: python_wheel_task accepts parameters or named_parameters, not both")
    if named is not None:
        if not isinstance(named, dict) or not all(isinstance(v, str) for v in named.values()):
            raise invalid(f"Task {task_key}: named_parameters must map names to strings, got {named!r}")
        params = tuple(f"--{k}={v}" for k, v in named.items())
    else:
        params = _strings(body.get("parameters"), f"Task {task_key}: parameters")
    return task_type, None, package, entry, params


def _compute(
    task: dict[str, Any],
    task_key: str,
    environments: dict[str, EnvironmentSpec],
    check_cluster: Callable[[str], object],
) -> str:
    what = "compute: environment_key (serverless), existing_cluster_id or new_cluster"
    compute = _the_one(task, COMPUTE_FIELDS, task_key, what)
    value = task[compute]
    if compute == "environment_key":
        if value not in environments:
            defined = ", ".join(sorted(environments)) or "none"
            raise invalid(
                f"Task {task_key} refers to environment_key {value!r}, which is not defined in environments "
                f"(defined: {defined})"
            )
        if task.get("libraries"):
            raise invalid(
                f"Task {task_key}: libraries are not supported on serverless compute; "
                f"list them in the dependencies of environment {value!r}"
            )
    elif compute == "existing_cluster_id":
        if not isinstance(value, str) or not value:
            raise invalid(f"Task {task_key}: existing_cluster_id must be a cluster id, got {value!r}")
        check_cluster(value)
    elif not isinstance(value, dict) or not isinstance(value.get("spark_version"), str):
        raise invalid(f"Task {task_key}: new_cluster needs a spark_version (e.g. '15.4.x-scala2.12'), got {value!r}")
    return compute


def _topological(tasks: list[TaskSpec]) -> tuple[TaskSpec, ...]:
    """``tasks`` with every task after the tasks it depends on (submitted order otherwise)."""
    by_key = {t.task_key: t for t in tasks}
    for task in tasks:
        for upstream in task.depends_on:
            if upstream not in by_key:
                raise invalid(f"Task {task.task_key} depends on task {upstream!r}, which is not in tasks")
    ordered: list[TaskSpec] = []
    placed: set[str] = set()
    while len(ordered) < len(tasks):
        ready = [t for t in tasks if t.task_key not in placed and set(t.depends_on) <= placed]
        if not ready:
            cycle = sorted(t.task_key for t in tasks if t.task_key not in placed)
            raise invalid(f"The depends_on of tasks {', '.join(cycle)} form a cycle")
        ordered.append(ready[0])
        placed.add(ready[0].task_key)
    return tuple(ordered)


def _task(task: Any, environments: dict[str, EnvironmentSpec], check_cluster: Callable[[str], object]) -> TaskSpec:
    if not isinstance(task, dict):
        raise invalid(f"Every task must be an object, got {task!r}")
    key = task.get("task_key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise invalid(
            f"task_key {key!r} is invalid: it is required, at most 100 characters of letters, digits, '_', '-' and '.'"
        )
    task_type, python_file, package, entry, params = _command(task, key)
    compute = _compute(task, key, environments, check_cluster)
    depends = task.get("depends_on") or []
    if not isinstance(depends, list) or not all(
        isinstance(d, dict) and isinstance(d.get("task_key"), str) for d in depends
    ):
        raise invalid(f"Task {key}: depends_on must be a list of {{task_key}} objects, got {depends!r}")
    return TaskSpec(
        task_key=key,
        compute=compute,
        environment_key=task.get("environment_key"),
        existing_cluster_id=task.get("existing_cluster_id"),
        new_cluster=task.get("new_cluster"),
        task_type=task_type,
        python_file=python_file,
        package_name=package,
        entry_point=entry,
        parameters=params,
        libraries=_libraries(task.get("libraries"), key),
        depends_on=tuple(d["task_key"] for d in depends),
        timeout_seconds=_timeout(task.get("timeout_seconds"), f"Task {key}: "),
        raw=task,
    )


def parse_submit(body: dict[str, Any], check_cluster: Callable[[str], object]) -> SubmitSpec:
    """Check a ``runs/submit`` body; ``check_cluster`` raises the Clusters API's error for an unknown id."""
    token = check_idempotency_token(body.get("idempotency_token"))
    run_name = body.get("run_name")
    if run_name is not None and not isinstance(run_name, str):
        raise invalid(f"run_name must be a string, got {run_name!r}")
    tasks = body.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise invalid("tasks must be a non-empty list: a one-time run needs at least one task")
    environments = parse_environments(body.get("environments"))
    specs = [_task(task, environments, check_cluster) for task in tasks]
    keys = [t.task_key for t in specs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise invalid(f"Duplicate task_key {', '.join(duplicates)}: every task of a run needs its own task_key")
    return SubmitSpec(
        run_name=run_name or "Untitled",
        tasks=_topological(specs),
        environments=environments,
        idempotency_token=token,
        timeout_seconds=_timeout(body.get("timeout_seconds"), ""),
        body=body,
    )
