"""Files API (Unity Catalog Volumes) of the stand-in, backed by a real local folder.

``/Volumes/<catalog>/<schema>/<volume>/<path>`` is stored at
``<volumes_root>/<catalog>/<schema>/<volume>/<path>``. Catalog, schema and volume names
are matched lower-case, as Unity Catalog stores them. A volume exists only once a test
created it (``StandinWorkspace.create_volume``).

Behaviour copied from the real service: uploads create missing parent directories;
``overwrite=false`` on an existing file is 409 ``ALREADY_EXISTS``; deleting a directory
that is not empty is 400 ``INVALID_PARAMETER_VALUE`` with the ErrorInfo reason
``FILES_API_DIRECTORY_IS_NOT_EMPTY``; a missing directory is 404 ``NOT_FOUND``
(``FILES_API_DIRECTORY_IS_NOT_FOUND``); listings page at 1000 entries with an opaque
``next_page_token``; directory entries in a listing end with ``/``.
"""

from __future__ import annotations

import base64
import email.utils
import os
import shutil
import tempfile
import threading
from pathlib import Path

from .http_core import ApiError, Request, Response, Router

MAX_PAGE_SIZE = 1000


class VolumeStore:
    """The local folder that holds every volume, and the volumes that exist."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self.created: list[tuple[str, str, str]] = []

    def create_volume(self, catalog: str, schema: str, volume: str) -> Path:
        folder = self.root / catalog.lower() / schema.lower() / volume.lower()
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.created.append((catalog.lower(), schema.lower(), volume.lower()))
        return folder

    def local_path(self, volume_path: str) -> Path:
        """Where a ``/Volumes/...`` path lives on the local disk (no existence check)."""
        parts = [p for p in volume_path.split("/") if p]
        if len(parts) < 4 or parts[0] != "Volumes":
            raise ValueError(f"not a volume path: {volume_path!r}")
        return self.root.joinpath(*[p.lower() for p in parts[1:4]], *parts[4:])

    def remove_created(self) -> None:
        """Delete the catalogs this store created (used when the stand-in stops)."""
        catalogs = {c for c, _, _ in self.created}
        for catalog in catalogs:
            shutil.rmtree(self.root / catalog, ignore_errors=True)


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


class FilesApi:
    """Handlers of ``/api/2.0/fs/files`` and ``/api/2.0/fs/directories``."""

    def __init__(self, store: VolumeStore) -> None:
        self.store = store
        self._write_lock = threading.Lock()

    def register(self, router: Router) -> None:
        files = r"/api/2\.0/fs/files(?P<path>/.*)"
        dirs = r"/api/2\.0/fs/directories(?P<path>/.*)"
        router.add("PUT", files, self.upload)
        router.add("GET", files, self.download)
        router.add("HEAD", files, self.file_metadata)
        router.add("DELETE", files, self.delete_file)
        router.add("PUT", dirs, self.create_directory)
        router.add("GET", dirs, self.list_directory)
        router.add("HEAD", dirs, self.directory_metadata)
        router.add("DELETE", dirs, self.delete_directory)

    # -- path handling -------------------------------------------------------------------

    def _resolve(self, path: str, *, directory: bool) -> tuple[Path, Path, str]:
        """(local path, local volume folder, canonical path) or the API's error."""
        if directory and path.endswith("/") and len(path) > 1:
            path = path[:-1]
        parts = path.split("/")[1:]
        if (
            not path.startswith("/Volumes/")
            or any(p in ("", ".", "..") for p in parts)
            or any(ord(ch) < 32 for ch in path)
        ):
            raise ApiError(
                400,
                "INVALID_PARAMETER_VALUE",
                f"Invalid path '{path}': expected an absolute path of the form "
                "/Volumes/<catalog>/<schema>/<volume>/<path>.",
            )
        minimum = 4 if directory else 5
        if len(parts) < minimum:
            raise ApiError(
                400,
                "INVALID_PARAMETER_VALUE",
                f"Invalid path '{path}': it must point inside a volume, /Volumes/<catalog>/<schema>/<volume>/...",
            )
        catalog, schema, volume = (p.lower() for p in parts[1:4])
        volume_dir = self.store.root / catalog / schema / volume
        if not volume_dir.is_dir():
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Volume '{catalog}.{schema}.{volume}' does not exist.",
                reason="FILES_API_VOLUME_NOT_FOUND",
            )
        canonical = "/" + "/".join(["Volumes", catalog, schema, volume, *parts[4:]])
        return volume_dir.joinpath(*parts[4:]), volume_dir, canonical

    # -- files ---------------------------------------------------------------------------

    def upload(self, req: Request) -> Response:
        local, volume_dir, canonical = self._resolve(req.params["path"], directory=False)
        overwrite = req.query.get("overwrite", "true").lower() != "false"
        with self._write_lock:
            if local.is_dir():
                raise ApiError(409, "ALREADY_EXISTS", f"A directory already exists at '{canonical}'.")
            if local.exists() and not overwrite:
                raise ApiError(
                    409,
                    "ALREADY_EXISTS",
                    f"The file being created already exists: '{canonical}'.",
                    reason="FILES_API_FILE_ALREADY_EXISTS",
                )
            parent = local.parent
            probe = parent
            while probe != volume_dir and not probe.exists():
                probe = probe.parent
            if probe.exists() and not probe.is_dir():
                raise ApiError(409, "ALREADY_EXISTS", f"A file exists where a parent directory of '{canonical}' is.")
            parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".standin-upload-", dir=parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(req.body)
            os.replace(tmp, local)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Response(204)

    def _existing_file(self, req: Request) -> tuple[Path, str]:
        local, _, canonical = self._resolve(req.params["path"], directory=False)
        if not local.is_file():
            raise ApiError(
                404,
                "NOT_FOUND",
                f"The file '{canonical}' does not exist.",
                reason="FILES_API_FILE_NOT_FOUND",
            )
        return local, canonical

    def download(self, req: Request) -> Response:
        local, _ = self._existing_file(req)
        stat = local.stat()
        return Response(
            200,
            local.read_bytes(),
            {"Content-Type": "application/octet-stream", "Last-Modified": _http_date(stat.st_mtime)},
        )

    def file_metadata(self, req: Request) -> Response:
        local, _ = self._existing_file(req)
        stat = local.stat()
        return Response(
            200,
            None,
            {
                "Content-Type": "application/octet-stream",
                "Content-Length": str(stat.st_size),
                "Last-Modified": _http_date(stat.st_mtime),
            },
        )

    def delete_file(self, req: Request) -> Response:
        local, _ = self._existing_file(req)
        local.unlink()
        return Response(204)

    # -- directories ---------------------------------------------------------------------

    def create_directory(self, req: Request) -> Response:
        local, volume_dir, canonical = self._resolve(req.params["path"], directory=True)
        with self._write_lock:
            probe = local
            while probe != volume_dir:
                if probe.exists() and not probe.is_dir():
                    raise ApiError(409, "ALREADY_EXISTS", f"A file already exists at '{probe}'.")
                probe = probe.parent
            local.mkdir(parents=True, exist_ok=True)
        return Response(204)

    def _existing_directory(self, req: Request) -> tuple[Path, Path, str]:
        local, volume_dir, canonical = self._resolve(req.params["path"], directory=True)
        if not local.is_dir():
            raise ApiError(
                404,
                "NOT_FOUND",
                f"The directory '{canonical}' does not exist.",
                reason="FILES_API_DIRECTORY_IS_NOT_FOUND",
            )
        return local, volume_dir, canonical

    def directory_metadata(self, req: Request) -> Response:
        self._existing_directory(req)
        return Response(200)

    def list_directory(self, req: Request) -> Response:
        local, _, canonical = self._existing_directory(req)
        try:
            page_size = int(req.query.get("page_size") or MAX_PAGE_SIZE)
        except ValueError as exc:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "page_size must be an integer") from exc
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        offset = 0
        token = req.query.get("page_token")
        if token:
            try:
                offset = int(base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)[1])
            except (ValueError, IndexError) as exc:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid page_token '{token}'") from exc
        entries = sorted(
            (e for e in local.iterdir() if not e.name.startswith(".standin-upload-")), key=lambda e: e.name
        )
        page = entries[offset : offset + page_size]
        contents = []
        for entry in page:
            stat = entry.stat()
            if entry.is_dir():
                contents.append({"path": f"{canonical}/{entry.name}/", "is_directory": True, "name": entry.name})
            else:
                contents.append(
                    {
                        "path": f"{canonical}/{entry.name}",
                        "is_directory": False,
                        "file_size": stat.st_size,
                        "last_modified": int(stat.st_mtime * 1000),
                        "name": entry.name,
                    }
                )
        body: dict = {"contents": contents}
        if offset + page_size < len(entries):
            body["next_page_token"] = base64.urlsafe_b64encode(f"o:{offset + page_size}".encode()).decode()
        return Response(200, body)

    def delete_directory(self, req: Request) -> Response:
        local, volume_dir, canonical = self._existing_directory(req)
        if local == volume_dir:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"The volume root '{canonical}' cannot be deleted.")
        with self._write_lock:
            if any(local.iterdir()):
                raise ApiError(
                    400,
                    "INVALID_PARAMETER_VALUE",
                    f"Cannot delete directory '{canonical}' because it is not empty.",
                    reason="FILES_API_DIRECTORY_IS_NOT_EMPTY",
                )
            local.rmdir()
        return Response(204)
