"""Which compute a cluster id names, refusals before anything is sent to it, and getting it running.

Why: the Command Execution API (``execute_script_on_cluster``) works only on classic all-purpose
clusters. Serverless compute has no cluster id, a SQL warehouse runs SQL only, a job cluster runs only
its own job's tasks, and a terminated cluster takes minutes to start: each of those is refused at once,
with the tool that does work there, instead of failing later with an opaque API error.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import PermissionDenied
from databricks.sdk.service.compute import ClusterDetails, ClusterSource, State
from generator import name_rules, rules
from server.adapters.databricks.calls import api_error, is_not_found, with_retries
from server.adapters.databricks.errors import ClusterNotFoundError
from server.adapters.databricks.polling import ProgressFn, remaining, report, sleep_until_next_poll
from server.adapters.secrets import redact

ALL_PURPOSE = "the id of an all-purpose cluster (created on the Compute page or with the Clusters API)"
_JOB_SOURCES = {ClusterSource.JOB, ClusterSource.PIPELINE, ClusterSource.PIPELINE_MAINTENANCE, ClusterSource.MODELS}
NO_CLUSTER_TOOL = "submit_generation_run (serverless by default: nothing to start or install)"


class RunOutcome(Exception):
    """Ends a cluster run early with a returned (not raised) failure message."""


def state_name(state: Any) -> str:
    return state.value if hasattr(state, "value") else str(state)


def stop_or_wait(
    deadline: float, cancel: threading.Event | None, interval: float, longest: float, *, cancelled: str, timed_out: str
) -> float:
    """One poll's pause: RunOutcome(``cancelled`` or ``timed_out``) when the waiting must end, else sleep
    ``interval`` (never past the deadline); returns the next, longer interval (at most ``longest``)."""
    if cancel is not None and cancel.is_set():
        raise RunOutcome(cancelled)
    if remaining(deadline) <= 0:
        raise RunOutcome(timed_out)
    sleep_until_next_poll(interval, deadline, cancel)
    return min(interval * 1.5, longest)


def _warehouse_refusal(client: WorkspaceClient, cluster_id: str) -> rules.RuleError | None:
    """A refusal when ``cluster_id`` names a SQL warehouse of this workspace."""
    try:  # warehouse ids are 16 hexadecimal digits; cluster ids look like 0123-456789-abcdef01
        name_rules.WAREHOUSE_ID(cluster_id, "cluster_id")
    except rules.RuleError:
        return None
    try:
        warehouse = with_retries(lambda: client.warehouses.get(cluster_id))
    except Exception:  # noqa: BLE001 - not a warehouse either: the cluster's own error is the answer
        return None
    return rules.refusal(
        "cluster_id",
        cluster_id,
        ALL_PURPOSE,
        f"it is the SQL warehouse {warehouse.name!r}, which runs SQL only; to make tables from a Volume use "
        f"create_tables_from_volume(warehouse_id='{cluster_id}'), to generate use {NO_CLUSTER_TOOL}",
    )


def get_cluster(client: WorkspaceClient, cluster_id: str) -> ClusterDetails:
    """The cluster's details; a refusal for a warehouse id, ClusterNotFoundError for an unknown id."""
    if cluster_id.lower() == "serverless":
        raise rules.refusal(
            "cluster_id", cluster_id, ALL_PURPOSE, f"serverless compute has no cluster id; use {NO_CLUSTER_TOOL}"
        )
    try:
        return with_retries(lambda: client.clusters.get(cluster_id))
    except Exception as exc:
        if not (is_not_found(exc) or "does not exist" in str(exc)):
            raise api_error(exc, f"get the state of cluster {cluster_id}") from None
        refusal = _warehouse_refusal(client, cluster_id)
        if refusal is not None:
            raise refusal from None
        raise ClusterNotFoundError(
            redact(f"Cluster {cluster_id} does not exist in this workspace. Check the cluster id."),
            error_code="RESOURCE_DOES_NOT_EXIST",
            operation="get the cluster",
        ) from None


def check_cluster(client: WorkspaceClient, cluster_id: str, *, for_commands: bool, may_start: bool) -> ClusterDetails:
    """The cluster, when it can take this work: commands (Command Execution API) or a submitted job task.

    Refuses (RuleError naming the tool to use instead) serverless, a SQL warehouse id, a job or pipeline
    cluster, a SQL warehouse's cluster, and a terminated cluster that ``may_start`` is false for.
    """
    info = get_cluster(client, cluster_id)
    if info.cluster_source == ClusterSource.SQL:
        raise rules.refusal(
            "cluster_id", cluster_id, ALL_PURPOSE, "it belongs to a SQL warehouse; use create_tables_from_volume"
        )
    if info.cluster_source in _JOB_SOURCES:
        what = "takes no commands" if for_commands else "cannot run another run's tasks"
        raise rules.refusal(
            "cluster_id",
            cluster_id,
            ALL_PURPOSE,
            f"it is a {state_name(info.cluster_source).lower()} cluster, which runs only its own job and {what}; "
            f"use {NO_CLUSTER_TOOL}, or name an all-purpose cluster",
        )
    if info.state == State.TERMINATED and not may_start:
        raise rules.refusal(
            "cluster_id",
            cluster_id,
            "a running cluster, or start_cluster=true",
            f"cluster {info.cluster_name or cluster_id!r} is TERMINATED and start_cluster is false; start it "
            f"(3-7 minutes), pass start_cluster=true, or use {NO_CLUSTER_TOOL}",
        )
    return info


def ensure_cluster_running(
    client: WorkspaceClient,
    cluster_id: str,
    deadline: float,
    notes: list[str],
    progress: ProgressFn | None,
    cancel: threading.Event | None,
) -> bool:
    """Make sure the cluster is RUNNING, starting it when TERMINATED; True when this call started it."""
    started = False
    begun = time.monotonic()
    interval = 0.5
    while True:
        info = get_cluster(client, cluster_id)
        state = info.state
        if state == State.RUNNING:
            if started:
                notes.append(f"Cluster {cluster_id} is running (started in {time.monotonic() - begun:.0f} s).")
            return started
        if state in (State.ERROR, State.UNKNOWN):
            raise RunOutcome(f"Cluster {cluster_id} is in state {state_name(state)}: {info.state_message or ''}")
        if state == State.TERMINATED:
            notes.append(f"Cluster {cluster_id} was TERMINATED; starting it.")
            report(progress, 0, None, f"Starting cluster {cluster_id}")
            try:
                with_retries(lambda: client.clusters.start(cluster_id))
            except Exception as exc:
                if getattr(exc, "error_code", None) != "INVALID_STATE":  # someone else started it meanwhile
                    hint = (
                        f"Ask for CAN RESTART on the cluster, or use {NO_CLUSTER_TOOL}."
                        if isinstance(exc, PermissionDenied)
                        else ""
                    )
                    raise api_error(exc, f"start cluster {cluster_id}", hint=hint) from None
            started = True
        elif state in (State.PENDING, State.RESTARTING, State.RESIZING, State.TERMINATING):
            report(progress, 0, None, f"Waiting for cluster {cluster_id} ({state_name(state)})")
        interval = stop_or_wait(
            deadline,
            cancel,
            interval,
            10.0,
            cancelled="Cancelled while waiting for the cluster to start.",
            timed_out=f"Cluster {cluster_id} did not reach RUNNING within the timeout (last state "
            f"{state_name(state)}). Start it first, or raise timeout_sec.",
        )
