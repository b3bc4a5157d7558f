"""create_tables_from_volume: a dataset on a Volume (as upload_to_volume or the cluster path left it) made
into typed Delta tables in ``<catalog>.<schema>`` through a SQL warehouse, every table or none.

How a call goes (one deadline, ``timeout_sec``, bounds all of it; progress is reported per step):

1. Checks before any statement: the volume exists; the dataset's ``_manifest.json`` is there (it is
   uploaded last, so its presence means the dataset is complete) and lists a Parquet dataset with the
   seven tables (customers_history too when the dataset has it: the tables are the manifest's); the
   target catalog exists and the schema exists or is created (a refused CREATE SCHEMA is the
   workspace's message plus the GRANT to ask for); a warehouse is chosen (the one named, else a running
   one, else a stopped one, started), and the result says which.
2. Staging: per table, ``CREATE TABLE <table>__staging_<token>`` with the exact types, NOT NULL and
   comments of ``generator.schema``, then ``INSERT ... SELECT CAST(...) FROM read_files(<folder>)``;
   each count must equal the manifest's (stale files from an earlier upload are caught here).
3. Swap (``table_swap``): only when every staging table is filled, each target is replaced in place
   with its primary and foreign keys; a failure restores what was replaced. Staging tables are always
   dropped, with a minute of grace past the deadline.

A failure during 2 or 3 is returned (``success`` false, ``error`` says what failed and what state the
previous tables are in), as other operations of this package return what happened inside them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from databricks.sdk import WorkspaceClient
from generator import name_rules, rules
from generator.fields import (
    CatalogName,
    FolderOrRoot,
    SchemaName,
    StatementsTimeout,
    TargetCatalog,
    TargetSchema,
    VolumeName,
    WarehouseId,
    validated,
)
from generator.manifest import MANIFEST_NAME, Manifest
from generator.schema import ALL_TABLES, OPTIONAL_TABLES, TABLE_NAMES, TableDefinition
from server.adapters.databricks.auth import resolve_client, workspace_host
from server.adapters.databricks.calls import api_error, is_not_found, with_retries
from server.adapters.databricks.errors import DatabricksApiError
from server.adapters.databricks.polling import ProgressFn, report
from server.adapters.databricks.statements import StatementRunner, first_value
from server.adapters.databricks.table_ddl import create_table, full_name, insert_from_files
from server.adapters.databricks.table_swap import SwapFailed, swap_in
from server.adapters.databricks.unity_catalog import ensure_schema, existing_tables, require_catalog
from server.adapters.databricks.volumes import ensure_volume_exists
from server.adapters.databricks.warehouses import choose_warehouse

#: Seconds past the deadline that dropping staging tables and restoring targets may take.
CLEANUP_GRACE_SEC = 60.0


def read_manifest(client: WorkspaceClient, base: str) -> Manifest:
    """The dataset's manifest on the volume; DatabricksApiError saying how to get a complete dataset there."""
    path = f"{base}/{MANIFEST_NAME}"
    try:
        data = with_retries(lambda: client.files.download(path).contents.read())
    except Exception as exc:
        if is_not_found(exc):
            raise DatabricksApiError(
                f"{path} does not exist: a dataset on a volume is complete only once its manifest is there "
                "(upload_to_volume sends it last). Upload one with generate_data then upload_to_volume, or check "
                "remote_subfolder.",
                error_code="NOT_FOUND",
                operation="read the dataset's manifest",
            ) from None
        raise api_error(exc, f"read {path}") from None
    try:
        return Manifest.from_dict(json.loads(data))
    except ValueError as exc:
        raise DatabricksApiError(
            f"{path} is not a retail-datagen manifest ({exc}).", operation="read the manifest"
        ) from None


def _tables_of(manifest: Manifest, base: str) -> list[TableDefinition]:
    """The tables the manifest lists, parents first: the seven (required), then the optional ones it has."""
    if manifest.format != "parquet":
        raise rules.refusal(
            "remote_subfolder",
            base,
            "a Parquet dataset (generate_data with format=parquet, the default)",
            f"the dataset there is {manifest.format}",
        )
    missing = [t for t in TABLE_NAMES if t not in manifest.tables]
    if missing:
        raise rules.refusal(
            "remote_subfolder", base, "a dataset with the seven tables", f"its manifest lacks {', '.join(missing)}"
        )
    return [table for name, table in ALL_TABLES.items() if name in manifest.tables]


def _stage(
    runner: StatementRunner,
    catalog: str,
    schema: str,
    base: str,
    manifest: Manifest,
    tables: list[TableDefinition],
    suffix: str,
    staged: list[str],
    say: Callable[[str], None],
) -> dict[str, int]:
    """Create and fill every staging table (``<table><suffix>``, listed in ``staged`` once created); their row
    counts, each checked against the manifest."""
    rows: dict[str, int] = {}
    for table in tables:
        target = full_name(catalog, schema, table.name + suffix)
        create = create_table("CREATE TABLE", catalog, schema, table.name + suffix, table, keys=False)
        runner.run(create, f"create {target}")
        staged.append(target)
        folder = f"{base}/{table.name}"
        loaded = runner.run(insert_from_files(target, table, folder), f"load {folder} into {target}")
        rows[table.name] = int(first_value(loaded, "num_inserted_rows") or 0)
        expected = manifest.tables[table.name].rows
        if rows[table.name] != expected:
            raise DatabricksApiError(
                f"{table.name}: {rows[table.name]:,} rows were read from {folder} but the manifest says {expected:,}: "
                "the folder holds files of another run. Upload the dataset again with clean=true."
            )
        say(f"{table.name}: {rows[table.name]:,} rows staged")
    return rows


@validated
def create_tables_from_volume(
    catalog: CatalogName,
    schema: SchemaName,
    volume: VolumeName,
    remote_subfolder: FolderOrRoot = "incoming_data",
    warehouse_id: WarehouseId = None,
    timeout_sec: StatementsTimeout = 600,
    *,
    target_catalog: TargetCatalog = None,
    target_schema: TargetSchema = None,
    client: WorkspaceClient | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Make the dataset at ``/Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>`` into Delta tables in
    ``<target_catalog>.<target_schema>`` (default: the volume's catalog and schema), all or none.

    Returns ``{success, error, tables ({name: {full_name, rows}}), source, target, warehouse_id,
    warehouse_name, warehouse_started, warehouse_note, schema_created, left_as_is (optional tables of an
    earlier dataset that this one lacks, kept), statements, duration_sec, workspace_host}``. Raises
    RuleErrors (bad names, a dataset that is not seven Parquet tables), DatabricksApiError (missing volume,
    manifest or catalog, a refused CREATE SCHEMA, no usable warehouse) before any table is touched; what
    fails after that is in ``error``, with the state of the targets.
    """
    started = time.monotonic()
    deadline = started + timeout_sec
    base = name_rules.volume_path_of(catalog, schema, volume, remote_subfolder)
    tcat, tsch = target_catalog or catalog, target_schema or schema
    client = resolve_client(client)

    def say(message: str) -> None:
        report(progress, 0, None, message)

    ensure_volume_exists(client, catalog, schema, volume)
    manifest = read_manifest(client, base)
    tables = _tables_of(manifest, base)
    schema_created = ensure_schema(client, tcat, tsch, require_catalog(client, tcat))
    choice = choose_warehouse(client, warehouse_id, deadline, progress, cancel)
    say(choice.note)
    runner = StatementRunner(client, choice.id, deadline, cancel, progress)
    suffix = f"__staging_{uuid.uuid4().hex[:12]}"
    staged: list[str] = []
    result: dict[str, Any] = {
        "success": False,
        "error": None,
        "tables": {},
        "source": base,
        "target": f"{tcat}.{tsch}",
        "warehouse_id": choice.id,
        "warehouse_name": choice.name,
        "warehouse_started": choice.started,
        "warehouse_note": choice.note,
        "schema_created": schema_created,
        "left_as_is": [],
    }

    def restorer() -> StatementRunner:
        return StatementRunner(client, choice.id, max(deadline, time.monotonic()) + CLEANUP_GRACE_SEC, None, progress)

    try:
        rows = _stage(runner, tcat, tsch, base, manifest, tables, suffix, staged, say)
        say(f"all {len(tables)} tables staged; replacing the targets")
        optional_absent = [name for name in OPTIONAL_TABLES if name not in manifest.tables]
        present = existing_tables(client, tcat, tsch, [t.name for t in tables] + optional_absent)
        existing = set(present) - set(optional_absent)
        result["left_as_is"] = [f"{tcat}.{tsch}.{name}" for name in present if name in optional_absent]
        swap_in(runner, restorer, tcat, tsch, tables, lambda name: full_name(tcat, tsch, name + suffix), existing, say)
    except SwapFailed as exc:
        result["error"] = str(exc)
    except DatabricksApiError as exc:
        result["error"] = f"{exc} Nothing was replaced: the tables in {tcat}.{tsch} are as they were."
    else:
        result["success"] = True
        result["tables"] = {t.name: {"full_name": f"{tcat}.{tsch}.{t.name}", "rows": rows[t.name]} for t in tables}
    finally:
        cleanup = restorer()
        for name in staged:
            try:
                cleanup.run(f"DROP TABLE IF EXISTS {name}", f"drop {name}")
            except DatabricksApiError as exc:
                say(f"could not drop {name} ({exc}); drop it by hand")
        result["statements"] = runner.sent + cleanup.sent
        result["duration_sec"] = round(time.monotonic() - started, 3)
        result["workspace_host"] = workspace_host(client)
    return result
