"""Workspace API of the stand-in: notebooks, workspace files and folders on a local folder.

A workspace path ``/Users/me/x.py`` (``/Workspace/Users/me/x.py`` is accepted too, as the
real API does) is stored at ``<workspace_root>/Users/me/x.py``; whether an object is a
notebook or a file is kept beside it in memory. ``import`` with ``format=AUTO`` makes a
notebook of content that starts with ``# Databricks notebook source`` (dropping the
``.py`` extension) and a workspace file of anything else; ``format=SOURCE`` makes a
notebook and needs ``language``.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import itertools
import shutil
import threading
from pathlib import Path
from typing import Any

from .http_core import ApiError, Request, Response, Router

NOTEBOOK_HEADER = b"# Databricks notebook source"
MAX_IMPORT_BYTES = 10 * 1024 * 1024
_EXTENSIONS = {"PYTHON": ".py", "SQL": ".sql", "SCALA": ".scala", "R": ".r"}


def _not_found(path: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Path ({path}) doesn't exist.")


class WorkspaceStore:
    """Workspace objects on disk plus their types."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.RLock()
        self._meta: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1_000_000_000_001)
        self.root.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def normalize(path: str | None) -> str:
        if not path or not path.startswith("/"):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Path ({path}) is not absolute.")
        if path == "/Workspace" or path.startswith("/Workspace/"):
            path = path[len("/Workspace") :] or "/"
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
        parts = path.split("/")[1:]
        if path != "/" and any(p in ("", ".", "..") for p in parts):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Path ({path}) is not a valid workspace path.")
        return path

    def local(self, path: str) -> Path:
        return self.root if path == "/" else self.root.joinpath(*path.split("/")[1:])

    def info(self, path: str) -> dict[str, Any]:
        local = self.local(path)
        with self._lock:
            if local.is_dir():
                meta = self._meta.setdefault(path, {"object_id": next(self._ids)})
                return {"path": path, "object_type": "DIRECTORY", "object_id": meta["object_id"]}
            if not local.is_file():
                raise _not_found(path)
            meta = self._meta.setdefault(path, {"object_type": "FILE", "object_id": next(self._ids)})
            info: dict[str, Any] = {
                "path": path,
                "object_type": meta["object_type"],
                "object_id": meta["object_id"],
                "size": local.stat().st_size,
                "modified_at": int(local.stat().st_mtime * 1000),
            }
            if meta.get("language"):
                info["language"] = meta["language"]
            return info

    def mkdirs(self, path: str) -> None:
        with self._lock:
            probe = self.local(path)
            chain = []
            while probe != self.root:
                chain.append(probe)
                probe = probe.parent
            for item in reversed(chain):
                if item.exists() and not item.is_dir():
                    raise ApiError(
                        400,
                        "RESOURCE_ALREADY_EXISTS",
                        f"Cannot create directory {path}: a non-directory object exists at a prefix of it.",
                    )
            self.local(path).mkdir(parents=True, exist_ok=True)

    def put(self, path: str, content: bytes, *, object_type: str, language: str | None, overwrite: bool) -> str:
        """Store an object and return its final path (notebooks imported with AUTO lose .py)."""
        with self._lock:
            local = self.local(path)
            if not local.parent.is_dir():
                parent = "/" + "/".join(path.split("/")[1:-1])
                raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"The parent folder ({parent}) does not exist.")
            if local.is_dir():
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"Path ({path}) already exists as a directory.")
            if local.exists() and not overwrite:
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"Path ({path}) already exists.")
            local.write_bytes(content)
            meta = self._meta.setdefault(path, {"object_id": next(self._ids)})
            meta["object_type"] = object_type
            meta["language"] = language
            return path

    def read(self, path: str) -> tuple[bytes, dict[str, Any]]:
        info = self.info(path)
        if info["object_type"] == "DIRECTORY":
            raise ApiError(
                400,
                "INVALID_PARAMETER_VALUE",
                f"Path ({path}) is a directory; the stand-in only exports notebooks and files.",
            )
        return self.local(path).read_bytes(), info

    def delete(self, path: str, recursive: bool) -> None:
        with self._lock:
            local = self.local(path)
            if not local.exists():
                raise _not_found(path)
            if local.is_dir():
                if any(local.iterdir()) and not recursive:
                    raise ApiError(400, "DIRECTORY_NOT_EMPTY", f"Folder ({path}) is not empty.")
                shutil.rmtree(local)
            else:
                local.unlink()
            for key in [k for k in self._meta if k == path or k.startswith(path + "/")]:
                del self._meta[key]


class WorkspaceApi:
    """Handlers of ``/api/2.0/workspace/*``."""

    def __init__(self, store: WorkspaceStore) -> None:
        self.store = store

    def register(self, router: Router) -> None:
        router.add("GET", r"/api/2\.0/workspace/export", self.export)
        router.add("POST", r"/api/2\.0/workspace/import", self.import_)
        router.add("POST", r"/api/2\.0/workspace/mkdirs", self.mkdirs)
        router.add("GET", r"/api/2\.0/workspace/get-status", self.get_status)
        router.add("GET", r"/api/2\.0/workspace/list", self.list)
        router.add("POST", r"/api/2\.0/workspace/delete", self.delete)

    def export(self, req: Request) -> Response:
        path = self.store.normalize(req.query.get("path"))
        fmt = req.query.get("format", "SOURCE")
        if fmt not in {"SOURCE", "AUTO", "RAW", "HTML", "JUPYTER", "DBC", "R_MARKDOWN"}:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid export format: {fmt}")
        content, info = self.store.read(path)
        if fmt not in {"SOURCE", "AUTO", "RAW"}:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"The stand-in does not export format {fmt}.")
        if req.query.get("direct_download", "false").lower() == "true":
            return Response(200, content, {"Content-Type": "application/octet-stream"})
        file_type = "py" if info.get("language") == "PYTHON" or path.endswith(".py") else ""
        return Response(200, {"content": base64.b64encode(content).decode("ascii"), "file_type": file_type})

    def _parse_import(self, req: Request) -> dict[str, Any]:
        ctype = req.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + req.body
            )
            fields: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if name == "content":
                    fields["raw"] = payload
                elif name:
                    fields[name] = payload.decode("utf-8")
            if isinstance(fields.get("overwrite"), str):
                fields["overwrite"] = fields["overwrite"].lower() == "true"
            return fields
        body = req.json()
        if "content" in body:
            try:
                body["raw"] = base64.b64decode(body["content"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", "content is not valid base64") from exc
        return body

    def import_(self, req: Request) -> Response:
        body = self._parse_import(req)
        path = self.store.normalize(body.get("path"))
        raw: bytes = body.get("raw", b"")
        if len(raw) > MAX_IMPORT_BYTES:
            raise ApiError(
                400, "MAX_NOTEBOOK_SIZE_EXCEEDED", "File size imported is (>10485760 bytes), exceeded max size."
            )
        fmt = body.get("format") or "SOURCE"
        language = body.get("language")
        overwrite = bool(body.get("overwrite", False))
        if fmt == "AUTO":
            if raw.lstrip().startswith(NOTEBOOK_HEADER):
                language = language or "PYTHON"
                ext = _EXTENSIONS.get(language, "")
                if ext and path.lower().endswith(ext):
                    path = path[: -len(ext)]
                object_type = "NOTEBOOK"
            else:
                object_type, language = "FILE", None
        elif fmt == "SOURCE":
            if not language:
                raise ApiError(
                    400,
                    "INVALID_PARAMETER_VALUE",
                    "The language must be specified to import a single file in SOURCE format.",
                )
            object_type = "NOTEBOOK"
        elif fmt == "RAW":
            object_type, language = "FILE", None
        else:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"The stand-in does not import format {fmt}.")
        self.store.put(path, raw, object_type=object_type, language=language, overwrite=overwrite)
        return Response(200, {})

    def mkdirs(self, req: Request) -> Response:
        path = self.store.normalize(req.json().get("path"))
        self.store.mkdirs(path)
        return Response(200, {})

    def get_status(self, req: Request) -> Response:
        path = self.store.normalize(req.query.get("path"))
        return Response(200, self.store.info(path))

    def list(self, req: Request) -> Response:
        path = self.store.normalize(req.query.get("path"))
        info = self.store.info(path)
        if info["object_type"] != "DIRECTORY":
            return Response(200, {"objects": [info]})
        local = self.store.local(path)
        prefix = "" if path == "/" else path
        objects = [self.store.info(f"{prefix}/{child.name}") for child in sorted(local.iterdir())]
        return Response(200, {"objects": objects} if objects else {})

    def delete(self, req: Request) -> Response:
        body = req.json()
        path = self.store.normalize(body.get("path"))
        self.store.delete(path, bool(body.get("recursive", False)))
        return Response(200, {})
