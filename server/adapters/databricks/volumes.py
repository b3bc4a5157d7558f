"""Uploading generated data to a Unity Catalog Volume through the Files API.

``upload_to_volume`` sends every file under a local data folder (table folders of Parquet
files, Delta tables with their ``_delta_log``, ``_manifest.json``) to
``/Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>/``, keeping relative paths, in
parallel, retrying transient failures, and reports each file that still failed without
hiding the ones that worked.

Order matters to readers of the volume, so files go up in three phases:

1. data files, in parallel;
2. each Delta table's ``_delta_log`` files, in version order, only when every data file of
   that table arrived (a log pointing at missing Parquet files would be a broken table);
3. the top-level ``_manifest.json`` last, only when everything else arrived, so that its
   presence means the dataset is complete.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import StrictBool

from databricks.sdk import WorkspaceClient
from generator import name_rules, rules
from generator.fields import CatalogName, FolderOrRoot, MaxFiles, SchemaName, VolumeName, validated, whole_number
from generator.manifest import MANIFEST_NAME
from server.adapters.databricks.auth import resolve_client
from server.adapters.databricks.calls import api_error, describe, is_not_found, with_retries
from server.adapters.databricks.errors import VolumeNotFoundError
from server.adapters.databricks.polling import ProgressFn, report
from server.adapters.secrets import redact

LOG = logging.getLogger(__name__)

DELTA_LOG_DIR = "_delta_log"
MAX_PARALLEL = 32
UPLOAD_ATTEMPTS = 4
Parallelism = whole_number(1, MAX_PARALLEL, "Files uploaded at the same time.")


def refuse_cleaning_the_root(remote_subfolder: str, clean: bool) -> None:
    """`""` (the volume's root) is a target only without clean: cleaning would empty the whole volume."""
    if clean and not remote_subfolder:
        raise rules.refusal("remote_subfolder", "", "a folder inside the volume", "clean=True would empty the volume")


def ensure_volume_exists(client: WorkspaceClient, catalog: str, schema: str, volume: str) -> str:
    """The volume's root path; ``VolumeNotFoundError`` (with the SQL to create it) when missing."""
    root = name_rules.volume_path_of(catalog, schema, volume)
    try:
        with_retries(lambda: client.files.get_directory_metadata(root))
    except Exception as exc:
        if is_not_found(exc):
            raise VolumeNotFoundError(
                redact(
                    f"Volume {root} does not exist, or you cannot access it. Create it with "
                    f"`CREATE VOLUME IF NOT EXISTS {catalog}.{schema}.{volume}` (after `CREATE SCHEMA IF NOT "
                    f"EXISTS {catalog}.{schema}`), or check your USE CATALOG / USE SCHEMA / READ VOLUME / "
                    "WRITE VOLUME grants."
                ),
                error_code="NOT_FOUND",
                operation="check the volume",
            ) from None
        raise api_error(exc, f"check the volume {root}") from None
    return root


def list_volume_tree(
    client: WorkspaceClient, remote_dir: str, *, limit: int | None = None
) -> tuple[list[str], list[str]] | None:
    """(files, directories) under ``remote_dir``, recursively; None when it does not exist.

    Directory paths come back without their trailing slash. ``limit`` stops after that many files.
    """
    files: list[str] = []
    dirs: list[str] = []
    pending = [remote_dir.rstrip("/")]
    first = True
    while pending:
        current = pending.pop()
        try:
            entries = with_retries(lambda current=current: list(client.files.list_directory_contents(current)))
        except Exception as exc:
            if is_not_found(exc):
                if first:
                    return None
                continue  # vanished while listing (implicit directories on some clouds)
            raise
        first = False
        for entry in entries:
            path = (entry.path or "").rstrip("/")
            if not path:
                continue
            if entry.is_directory:
                dirs.append(path)
                pending.append(path)
            else:
                files.append(path)
                if limit is not None and len(files) >= limit:
                    return files, dirs
    return files, dirs


def delete_volume_folder(
    client: WorkspaceClient,
    remote_dir: str,
    *,
    progress: ProgressFn | None = None,
    max_parallel: int = 8,
    cancel: threading.Event | None = None,
) -> int:
    """Delete ``remote_dir`` and everything under it; returns the number of files deleted.

    The Files API deletes only empty directories, so this lists the tree, deletes the files
    (in parallel), then the directories deepest first. A folder that does not exist is fine;
    an entry that vanished meanwhile is fine too. Raises ``DatabricksApiError`` on failure.
    """
    try:
        tree = list_volume_tree(client, remote_dir)
    except Exception as exc:
        raise api_error(exc, f"list {remote_dir} to clean it") from None
    if tree is None:
        return 0
    files, dirs = tree
    report(progress, 0, len(files), f"Removing {len(files)} old files from {remote_dir}")

    def delete_file(path: str) -> None:
        try:
            with_retries(lambda: client.files.delete(path), cancel=cancel)
        except Exception as exc:
            if not is_not_found(exc):
                raise

    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, min(max_parallel, MAX_PARALLEL))) as pool:
        futures = {pool.submit(delete_file, path): path for path in files}
        for future, path in futures.items():
            try:
                future.result()
            except Exception as exc:
                failures.append(f"{path}: {describe(exc)}")
    if failures:
        shown = "; ".join(failures[:5]) + (f"; and {len(failures) - 5} more" if len(failures) > 5 else "")
        raise api_error(
            RuntimeError(f"{len(failures)} of {len(files)} files could not be deleted: {shown}"),
            f"clean {remote_dir}",
        )
    for directory in sorted(dirs, key=lambda d: d.count("/"), reverse=True) + [remote_dir.rstrip("/")]:
        try:
            with_retries(lambda directory=directory: client.files.delete_directory(directory), cancel=cancel)
        except Exception as exc:
            if is_not_found(exc):
                continue
            raise api_error(exc, f"delete the folder {directory} while cleaning {remote_dir}") from None
    report(progress, len(files), len(files), f"Removed {len(files)} old files from {remote_dir}")
    return len(files)


def _plan(local_root: Path, max_files: int | None) -> tuple[list[Path], list[str]]:
    """Every file under ``local_root`` in upload order, and relative names refused up front."""
    data: list[Path] = []
    logs: list[Path] = []
    manifest: list[Path] = []
    refused: list[str] = []
    for path in sorted(p for p in local_root.rglob("*") if p.is_file()):
        relative = path.relative_to(local_root).as_posix()
        try:
            name_rules.RELATIVE_FOLDER(relative, "file name")
        except rules.RuleError as exc:
            refused.append(f"{relative}: not uploaded, its name cannot be a Volume path ({exc})")
            continue
        parts = PurePosixPath(relative).parts
        if relative == MANIFEST_NAME:
            manifest.append(path)
        elif DELTA_LOG_DIR in parts[:-1]:
            logs.append(path)
        else:
            data.append(path)
    ordered = data + logs + manifest
    if max_files is not None:
        ordered = ordered[:max_files]
    return ordered, refused


def _table_of(relative: str) -> str:
    """The table folder a file belongs to: the part before ``_delta_log`` or the first segment."""
    parts = PurePosixPath(relative).parts
    if DELTA_LOG_DIR in parts:
        return "/".join(parts[: parts.index(DELTA_LOG_DIR)])
    return parts[0] if len(parts) > 1 else ""


@validated
def upload_to_volume(
    catalog: CatalogName,
    schema: SchemaName,
    volume: VolumeName,
    local_data_dir: str | Path,
    remote_subfolder: FolderOrRoot = "incoming_data",
    clean: StrictBool = True,
    max_files: MaxFiles = None,
    *,
    client: WorkspaceClient | None = None,
    progress: ProgressFn | None = None,
    max_parallel: Parallelism = 8,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Upload every file under ``local_data_dir`` to ``/Volumes/<catalog>/<schema>/<volume>/<remote_subfolder>``.

    Returns exactly ``{success, files_uploaded, uploaded_paths, errors, remote_base}``:
    ``success`` is true only when every planned file arrived; ``errors`` has one line per
    file that did not (with why). ``clean=True`` first deletes the remote folder recursively.
    ``max_files`` caps the number of files (for debugging). ``progress(done, total, message)``
    is called from the calling thread after each file. Setting ``cancel`` stops starting new
    uploads; files not sent are reported in ``errors``.

    Raises ``RuleErrors`` for bad arguments (before any request; ``remote_subfolder`` may be ``""``,
    the volume root, only with ``clean=False``),
    ``FileNotFoundError`` when ``local_data_dir`` is missing, ``DatabricksNotConfigured``
    without credentials, ``VolumeNotFoundError`` when the volume does not exist and
    ``DatabricksApiError`` when cleaning fails or the workspace cannot be reached.
    """
    refuse_cleaning_the_root(remote_subfolder, clean)
    local_root = Path(local_data_dir).expanduser()
    if not local_root.is_dir():
        what = "is not a folder" if local_root.exists() else "does not exist"
        raise FileNotFoundError(
            f"local_data_dir {local_root} {what}: generate the data first (it should hold one folder per table)."
        )
    remote_base = name_rules.volume_path_of(catalog, schema, volume, remote_subfolder)
    planned, refused = _plan(local_root, max_files)

    client = resolve_client(client)
    ensure_volume_exists(client, catalog, schema, volume)
    if clean:
        delete_volume_folder(client, remote_base, progress=progress, max_parallel=max_parallel, cancel=cancel)
    try:
        with_retries(lambda: client.files.create_directory(remote_base))
    except Exception as exc:
        raise api_error(exc, f"create the folder {remote_base}") from None

    total = len(planned)
    uploaded: list[str] = []
    errors: list[str] = list(refused)
    failed_tables: set[str] = set()
    any_failure = bool(refused)
    report(progress, 0, total, f"Uploading {total} files to {remote_base}")

    def upload_one(path: Path) -> str:
        relative = path.relative_to(local_root).as_posix()
        remote = f"{remote_base}/{relative}"

        def attempt() -> None:
            with open(path, "rb") as handle:
                client.files.upload(remote, handle, overwrite=True)

        with_retries(attempt, attempts=UPLOAD_ATTEMPTS, cancel=cancel)
        return remote

    processed = 0

    def record(path: Path, future: Future[str]) -> None:
        nonlocal any_failure, processed
        relative = path.relative_to(local_root).as_posix()
        processed += 1
        try:
            uploaded.append(future.result())
            what = f"uploaded {relative}"
        except Exception as exc:
            any_failure = True
            failed_tables.add(_table_of(relative))
            errors.append(redact(f"{relative}: {describe(exc)}"))
            what = f"FAILED {relative}"
        report(progress, processed, total, f"{processed}/{total} files done ({what})")

    def skip(paths: Iterable[Path], why: str) -> None:
        nonlocal any_failure
        for path in paths:
            any_failure = True
            errors.append(f"{path.relative_to(local_root).as_posix()}: not uploaded, {why}")

    data = [p for p in planned if not _is_log(p, local_root) and not _is_manifest(p, local_root)]
    logs = [p for p in planned if _is_log(p, local_root)]
    manifest = [p for p in planned if _is_manifest(p, local_root)]

    with ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="volume-upload") as pool:
        pending: dict[Future[str], Path] = {}
        queue = list(reversed(data))
        while queue or pending:
            while queue and len(pending) < max_parallel * 2 and not (cancel is not None and cancel.is_set()):
                path = queue.pop()
                pending[pool.submit(upload_one, path)] = path
            if cancel is not None and cancel.is_set() and queue:
                skip(reversed(queue), "the upload was cancelled")
                queue.clear()
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                record(pending.pop(future), future)

    def upload_in_order(path: Path) -> None:
        future: Future[str] = Future()
        try:
            future.set_result(upload_one(path))
        except Exception as exc:
            future.set_exception(exc)
        record(path, future)

    for path in logs:
        table = _table_of(path.relative_to(local_root).as_posix())
        if cancel is not None and cancel.is_set():
            skip([path], "the upload was cancelled")
        elif table in failed_tables:
            skip([path], f"data files of table '{table}' failed, and a Delta log must not point at missing files")
        else:
            upload_in_order(path)
    for path in manifest:
        if any_failure:
            skip([path], "other files failed; the manifest is sent last and only for a complete dataset")
        elif cancel is not None and cancel.is_set():
            skip([path], "the upload was cancelled")
        else:
            upload_in_order(path)

    uploaded.sort()
    success = not errors and len(uploaded) == total
    if errors:
        LOG.warning("upload to %s: %d of %d files failed", remote_base, len(errors), total + len(refused))
    return {
        "success": success,
        "files_uploaded": len(uploaded),
        "uploaded_paths": uploaded,
        "errors": errors,
        "remote_base": remote_base,
    }


def _is_log(path: Path, root: Path) -> bool:
    return DELTA_LOG_DIR in PurePosixPath(path.relative_to(root).as_posix()).parts[:-1]


def _is_manifest(path: Path, root: Path) -> bool:
    return path.relative_to(root).as_posix() == MANIFEST_NAME
