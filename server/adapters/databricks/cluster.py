"""Running the generation script on a Databricks cluster, writing straight into a Volume.

How a run works (``execute_script_on_cluster``):

1. the script is read from the workspace (``workspace/get-status`` + ``workspace/export``);
2. the cluster is started when it is stopped, and waited for (the output says so);
3. a Python execution context is created (Command Execution API 1.2) and one command runs
   the script as ``__main__`` with ``SCALE_FACTOR`` and ``OUTPUT_PATH`` set in
   ``os.environ``. Values travel as data, never as code: the environment mapping is
   embedded as a JSON string literal decoded by ``json.loads`` and the script as base64,
   so no quote or newline in a value or in the script can change the command;
4. the command is polled until it finishes, fails, times out or is cancelled; on timeout or
   cancellation the command is cancelled;
5. the context is *always* destroyed (``finally``), because a cluster holds at most 145.

A Python error in the script comes back from the cluster as HTML and ANSI-coloured text; it
is returned as plain text (summary and traceback). Output is capped at 20,000 characters,
keeping its head and tail.

Errors: bad arguments raise ``ValueError`` subclasses before any request; a request the
workspace refuses (cluster or script not found, permission, unreachable) raises
``DatabricksApiError``; what happens during the run (script error, timeout, cancellation,
cluster that does not start) is returned with ``success: False`` and ``error``.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from typing import Any

from pydantic import StrictBool

from databricks.sdk import WorkspaceClient
from databricks.sdk.service.compute import CommandStatus, ContextStatus, Language
from generator import name_rules, rules
from generator.fields import (
    CatalogName,
    ClusterId,
    ClusterTimeout,
    Env,
    RelativeFolder,
    ScaleFactor,
    SchemaName,
    VolumeFolder,
    VolumeName,
    WorkspacePath,
    validated,
)
from server.adapters.databricks.auth import resolve_client
from server.adapters.databricks.calls import api_error, describe, with_retries
from server.adapters.databricks.cluster_state import (
    RunOutcome,
    check_cluster,
    ensure_cluster_running,
    state_name,
    stop_or_wait,
)
from server.adapters.databricks.polling import ProgressFn, remaining, report, sleep_until_next_poll
from server.adapters.databricks.volumes import delete_volume_folder, ensure_volume_exists, list_volume_tree
from server.adapters.databricks.workspace import read_workspace_script
from server.adapters.secrets import redact
from server.adapters.text import cap_text, clean_text

LOG = logging.getLogger(__name__)

MAX_OUTPUT_CHARS = 20_000
MAX_ERROR_CHARS = 12_000
POLL_FIRST_SEC = 0.2
POLL_MAX_SEC = 3.0
CANCEL_GRACE_SEC = 10.0


def build_command(source: str, filename: str, env: dict[str, str]) -> str:
    """The Python command that runs ``source`` as ``__main__`` with ``env`` added to ``os.environ``.

    ``env`` is embedded as a JSON text inside a Python string literal (``repr`` of ASCII
    JSON) and ``source`` as base64, so neither can inject code into the command.
    """
    env_literal = repr(json.dumps(env, ensure_ascii=True, sort_keys=True))
    source_literal = repr(base64.b64encode(source.encode("utf-8")).decode("ascii"))
    name_literal = repr(filename)
    return "\n".join(
        [
            "import base64 as _rd_base64, json as _rd_json, os as _rd_os",
            f"_rd_os.environ.update(_rd_json.loads({env_literal}))",
            f"_rd_source = _rd_base64.b64decode({source_literal}).decode('utf-8')",
            f"_rd_globals = {{'__name__': '__main__', '__file__': {name_literal}, '__builtins__': __builtins__}}",
            "try:",
            f"    exec(compile(_rd_source, {name_literal}, 'exec'), _rd_globals)",
            "except SystemExit as _rd_exit:",
            "    if _rd_exit.code not in (None, 0):",
            "        raise RuntimeError(",
            f"            '{{}} exited with status {{!r}}'.format({name_literal}, _rd_exit.code)",
            "        ) from None",
            "finally:",
            "    del _rd_source, _rd_globals",
            "",
        ]
    )


def _wait_context_running(
    client: WorkspaceClient, cluster_id: str, context_id: str, deadline: float, cancel: threading.Event | None
) -> None:
    interval = POLL_FIRST_SEC
    while True:
        try:
            status = with_retries(lambda: client.command_execution.context_status(cluster_id, context_id))
        except Exception as exc:
            raise api_error(exc, f"get the status of the execution context on cluster {cluster_id}") from None
        if status.status == ContextStatus.RUNNING:
            return
        if status.status == ContextStatus.ERROR:
            raise RunOutcome("The cluster could not create a Python execution context.")
        interval = stop_or_wait(
            deadline,
            cancel,
            interval,
            POLL_MAX_SEC,
            cancelled="Cancelled while the execution context was being created.",
            timed_out="Timed out while the execution context was being created.",
        )


def _error_text(results: Any) -> str:
    summary = clean_text(getattr(results, "summary", None)).strip()
    cause = clean_text(getattr(results, "cause", None)).strip()
    text = cause if summary and cause and summary in cause else "\n".join(part for part in (summary, cause) if part)
    return text or "The command failed on the cluster without an error message."


@validated
def execute_script_on_cluster(
    cluster_id: ClusterId,
    workspace_path: WorkspacePath,
    volume_output_path: VolumeFolder,
    scale_factor: ScaleFactor = 1.0,
    timeout_sec: ClusterTimeout = 600,
    *,
    client: WorkspaceClient | None = None,
    extra_env: Env = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    start_cluster: StrictBool = True,
) -> dict[str, Any]:
    """Run the workspace script ``workspace_path`` on ``cluster_id`` with its output in a Volume.

    The script sees ``SCALE_FACTOR`` (e.g. ``"1.0"``), ``OUTPUT_PATH`` (``volume_output_path``)
    and ``extra_env`` in ``os.environ`` and runs with ``__name__ == "__main__"``. The whole run
    (cluster start included) is bounded by ``timeout_sec``; setting ``cancel`` stops it.

    Returns ``{success, output, error, duration_sec, cluster_started}``: ``output`` is the
    script's printed output (capped, with notes such as the cluster having been started),
    ``error`` is None on success or plain text (Python error summary and traceback, timeout,
    cancellation), ``duration_sec`` is the real wall time, and ``cluster_started`` (an extra
    key beyond the reference contract) tells whether this call had to start the cluster.

    Before anything is sent, RuleErrors refuses compute that cannot run the command, naming the tool
    to use instead: serverless, a SQL warehouse id, a job cluster, and a terminated cluster when
    ``start_cluster`` is false (see ``cluster_state.check_cluster``).
    """
    env = dict(extra_env or {})
    for reserved in ("SCALE_FACTOR", "OUTPUT_PATH"):
        if reserved in env:
            raise rules.refusal("extra_env", reserved, "names other than SCALE_FACTOR and OUTPUT_PATH")
    env.update({"SCALE_FACTOR": repr(scale_factor), "OUTPUT_PATH": volume_output_path})
    timeout = timeout_sec

    started_at = time.monotonic()
    deadline = started_at + timeout
    client = resolve_client(client)
    check_cluster(client, cluster_id, for_commands=True, may_start=start_cluster)
    notes: list[str] = []
    result: dict[str, Any] = {
        "success": False,
        "output": "",
        "error": None,
        "duration_sec": 0.0,
        "cluster_started": False,
    }

    source, _ = read_workspace_script(client, workspace_path)
    context_id: str | None = None
    command_id: str | None = None
    command_done = False
    output = ""
    try:
        result["cluster_started"] = ensure_cluster_running(client, cluster_id, deadline, notes, progress, cancel)
        report(progress, 0, None, f"Creating an execution context on cluster {cluster_id}")
        try:
            created = client.command_execution.create(cluster_id=cluster_id, language=Language.PYTHON)
            context_id = created.response.id
        except Exception as exc:
            raise api_error(exc, f"create an execution context on cluster {cluster_id}") from None
        _wait_context_running(client, cluster_id, context_id, deadline, cancel)

        command = build_command(source, workspace_path, env)
        try:
            submitted = client.command_execution.execute(
                cluster_id=cluster_id, context_id=context_id, language=Language.PYTHON, command=command
            )
            command_id = submitted.response.id
        except Exception as exc:
            raise api_error(exc, f"submit the script to cluster {cluster_id}") from None
        report(progress, 0, timeout, f"Running {workspace_path} on cluster {cluster_id}")

        interval = POLL_FIRST_SEC
        while True:
            try:
                status = with_retries(
                    lambda: client.command_execution.command_status(cluster_id, context_id, command_id)
                )
            except Exception as exc:
                raise api_error(exc, f"get the status of the command on cluster {cluster_id}") from None
            state = status.status
            if state in (CommandStatus.FINISHED, CommandStatus.ERROR, CommandStatus.CANCELLED):
                command_done = True
                break
            elapsed = time.monotonic() - started_at
            report(progress, min(elapsed, timeout), timeout, f"Running on cluster {cluster_id}: {elapsed:.0f} s")
            interval = stop_or_wait(
                deadline,
                cancel,
                interval,
                POLL_MAX_SEC,
                cancelled="Cancelled: the command was cancelled on the cluster.",
                timed_out=f"Timed out after {timeout} s: the command was cancelled and the execution context "
                "destroyed. Raise timeout_sec or lower scale_factor.",
            )

        results = status.results
        result_type = state_name(getattr(results, "result_type", None)) if results is not None else None
        data = getattr(results, "data", None) if results is not None else None
        if data is not None:
            output = data if isinstance(data, str) else json.dumps(data, default=str)
        if state == CommandStatus.FINISHED and result_type != "error":
            result["success"] = True
        elif state == CommandStatus.CANCELLED:
            result["error"] = "The command was cancelled on the cluster."
        else:
            result["error"] = _error_text(results)
    except RunOutcome as outcome:
        result["error"] = str(outcome)
    finally:
        if command_id is not None and context_id is not None and not command_done:
            _cancel_command(client, cluster_id, context_id, command_id)
        if context_id is not None:
            try:
                with_retries(lambda: client.command_execution.destroy(cluster_id, context_id))
            except Exception as exc:  # noqa: BLE001 - cleanup must not hide the run's own outcome
                LOG.warning("could not destroy execution context %s: %s", context_id, describe(exc))
                notes.append(f"Warning: the execution context {context_id} could not be destroyed ({describe(exc)}).")
        result["duration_sec"] = round(time.monotonic() - started_at, 3)

    text = "\n".join(notes + ([clean_text(output)] if output else []))
    result["output"] = redact(cap_text(text, MAX_OUTPUT_CHARS))
    if result["error"] is not None:
        result["error"] = redact(cap_text(result["error"], MAX_ERROR_CHARS, head_share=0.3))
    return result


def _cancel_command(client: WorkspaceClient, cluster_id: str, context_id: str, command_id: str) -> None:
    """Ask the cluster to cancel a command and wait briefly until it says it stopped."""
    try:
        with_retries(
            lambda: client.command_execution.cancel(cluster_id=cluster_id, context_id=context_id, command_id=command_id)
        )
    except Exception as exc:  # noqa: BLE001 - the context is destroyed next anyway
        LOG.warning("could not cancel command %s: %s", command_id, describe(exc))
        return
    deadline = time.monotonic() + CANCEL_GRACE_SEC
    interval = POLL_FIRST_SEC
    while remaining(deadline) > 0:
        try:
            status = client.command_execution.command_status(cluster_id, context_id, command_id)
        except Exception:  # noqa: BLE001
            return
        if status.status in (CommandStatus.CANCELLED, CommandStatus.FINISHED, CommandStatus.ERROR):
            return
        sleep_until_next_poll(interval, deadline, None)
        interval = min(interval * 1.5, 1.0)


@validated
def generate_and_upload_on_cluster(
    cluster_id: ClusterId,
    workspace_path: WorkspacePath,
    catalog: CatalogName,
    schema: SchemaName,
    volume: VolumeName,
    scale_factor: ScaleFactor = 1.0,
    remote_subfolder: RelativeFolder = "incoming_data",
    clean: StrictBool = True,
    timeout_sec: ClusterTimeout = 600,
    *,
    client: WorkspaceClient | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    extra_env: Env = None,
) -> dict[str, Any]:
    """Generate on the cluster straight into ``/Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>``.

    Checks the volume exists, deletes the remote folder first when ``clean`` (Files API),
    then runs ``execute_script_on_cluster`` with ``OUTPUT_PATH`` set to that folder, and
    finally checks that the script really wrote files there (a script that ignores
    ``OUTPUT_PATH`` is reported as a failure).

    Returns ``{success, output, volume_path, error, duration_sec, cluster_started}``.
    """
    target = name_rules.volume_path_of(catalog, schema, volume, remote_subfolder)

    started_at = time.monotonic()
    client = resolve_client(client)
    check_cluster(client, cluster_id, for_commands=True, may_start=True)  # before the folder is cleaned
    ensure_volume_exists(client, catalog, schema, volume)
    cleaned = 0
    if clean:
        cleaned = delete_volume_folder(client, target, progress=progress, cancel=cancel)
    left = max(1, int(timeout_sec - (time.monotonic() - started_at)))
    run = execute_script_on_cluster.raw_function(  # type: ignore[attr-defined]  # checked on entry here
        cluster_id,
        workspace_path,
        target,
        scale_factor,
        left,
        client=client,
        extra_env=extra_env,
        progress=progress,
        cancel=cancel,
    )
    output = run["output"]
    if clean and cleaned:
        output = f"Removed {cleaned} old files from {target}.\n{output}"
    success = bool(run["success"])
    error = run["error"]
    if success:
        try:
            tree = list_volume_tree(client, target, limit=100_000)
        except Exception as exc:
            raise api_error(exc, f"list {target} after the run") from None
        count = len(tree[0]) if tree else 0
        if count == 0:
            success = False
            error = (
                f"The script finished but wrote no files under {target}. "
                "It must write its tables under the folder given in the OUTPUT_PATH environment variable."
            )
        else:
            output = (
                f"{output}\n{count} files are now in {target}." if output else f"{count} files are now in {target}."
            )
    return {
        "success": success,
        "output": cap_text(output, MAX_OUTPUT_CHARS),
        "volume_path": target,
        "error": error,
        "duration_sec": round(time.monotonic() - started_at, 3),
        "cluster_started": run["cluster_started"],
    }
