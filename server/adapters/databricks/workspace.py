"""Putting the generation script into the Databricks workspace, and reading it back.

The cluster workflow runs a script that lives in the workspace; on a fresh workspace it is
not there yet, so ``upload_script_to_workspace`` imports a local file (by default the
package's ``templates/generate_data.py``). With ``format="AUTO"`` (the default) a plain
Python file becomes a *workspace file* that keeps its name; content that starts with
``# Databricks notebook source`` becomes a notebook and, as Databricks does, loses its
``.py`` extension; the returned ``workspace_path`` is the path actually created.
"""

from __future__ import annotations

import base64
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import StrictBool

from databricks.sdk import WorkspaceClient
from databricks.sdk.service.workspace import ImportFormat, Language, ObjectType
from generator.fields import WorkspacePath, validated
from generator.portable import SCRIPT_TEMPLATE
from generator.rules import refusal
from server.adapters.databricks.auth import resolve_client
from server.adapters.databricks.calls import api_error, is_not_found, with_retries
from server.adapters.databricks.errors import WorkspaceObjectNotFoundError
from server.adapters.secrets import redact

MAX_IMPORT_BYTES = 10 * 1024 * 1024


@validated
def upload_script_to_workspace(
    workspace_path: WorkspacePath,
    local_script_path: str | Path | None = None,
    *,
    client: WorkspaceClient | None = None,
    overwrite: StrictBool = True,
    format: Literal["AUTO", "SOURCE"] = "AUTO",  # noqa: A002 - the API's own name for it
    content: str | bytes | None = None,
) -> dict[str, Any]:
    """Import a local Python script to ``workspace_path`` (parent folders are created).

    ``content`` (text or bytes) is imported instead of a local file when given (then
    ``local_script_path`` must be None), e.g. ``generator.portable.portable_script()``.

    Returns ``{workspace_path, bytes}`` with the path actually created. ``format`` is
    ``"AUTO"`` (workspace file, or notebook when the content has the notebook header) or
    ``"SOURCE"`` (always a Python notebook). Raises ``FileNotFoundError`` for a missing local
    file (default: the package's ``templates/generate_data.py``), ``RuleErrors`` for a bad path or
    format or a script over 10 MB, and ``DatabricksApiError`` when the workspace refuses the
    import (for instance an existing object with ``overwrite=False``).
    """
    path, fmt = workspace_path, format
    if content is not None:
        if local_script_path:
            raise refusal("content", "...", "content or local_script_path, not both")
        data = content.encode("utf-8") if isinstance(content, str) else content
        source_name = PurePosixPath(path).name
        limit_field = "content"
    else:
        local = Path(local_script_path).expanduser() if local_script_path else SCRIPT_TEMPLATE
        if not local.is_file():
            raise FileNotFoundError(f"Script to upload not found: {local}")
        data = local.read_bytes()
        source_name = local.name
        limit_field = "local_script_path"
    if len(data) > MAX_IMPORT_BYTES:
        raise refusal(limit_field, f"{len(data):,} bytes", "a script of at most 10 MB (the Workspace import limit)")

    client = resolve_client(client)
    parent = path.rsplit("/", 1)[0] or "/"
    try:
        with_retries(lambda: client.workspace.mkdirs(parent))
    except Exception as exc:
        raise api_error(exc, f"create the workspace folder {parent}") from None
    kwargs: dict[str, Any] = {
        "content": base64.b64encode(data).decode("ascii"),
        "format": ImportFormat(fmt),
        "overwrite": overwrite,
    }
    if fmt == "SOURCE":
        kwargs["language"] = Language.PYTHON
    try:
        with_retries(lambda: client.workspace.import_(path, **kwargs))
    except Exception as exc:
        hint = "Pass overwrite=True to replace it." if "ALREADY_EXISTS" in str(getattr(exc, "error_code", "")) else ""
        raise api_error(exc, f"import {source_name} to {path}", hint=hint) from None
    final = path
    if fmt == "AUTO" and path.endswith(".py") and data.lstrip().startswith(b"# Databricks notebook source"):
        final = path[: -len(".py")]
    return {"workspace_path": final, "bytes": len(data)}


def read_workspace_script(client: WorkspaceClient, workspace_path: str) -> tuple[str, str]:
    """(source text, object type) of a workspace file or notebook.

    Raises ``WorkspaceObjectNotFoundError`` when the path does not exist (with how to upload
    the script), ``RuleErrors`` when it is a folder or not UTF-8 text, and
    ``DatabricksApiError`` when the request fails.
    """
    try:
        info = with_retries(lambda: client.workspace.get_status(workspace_path))
    except Exception as exc:
        if is_not_found(exc):
            raise WorkspaceObjectNotFoundError(
                redact(
                    f"The script {workspace_path} does not exist in the workspace. Upload it first "
                    "(upload_script_to_workspace), or check the path (e.g. /Workspace/Users/<you>/generate_data.py)."
                ),
                error_code="RESOURCE_DOES_NOT_EXIST",
                operation="read the script",
            ) from None
        raise api_error(exc, f"look up {workspace_path} in the workspace") from None
    object_type = info.object_type.value if isinstance(info.object_type, ObjectType) else str(info.object_type)
    if object_type in ("DIRECTORY", "REPO"):
        raise refusal("workspace_path", workspace_path, "the path of a Python file or notebook", "it is a folder")
    try:
        data = with_retries(lambda: client.workspace.download(workspace_path).read())
    except Exception as exc:
        raise api_error(exc, f"export {workspace_path} from the workspace") from None
    try:
        return data.decode("utf-8-sig"), object_type
    except UnicodeDecodeError:
        raise refusal(
            "workspace_path", workspace_path, "a UTF-8 Python source file", "its content is not UTF-8 text"
        ) from None
