"""A local stand-in Databricks workspace: a real HTTP server that the real databricks-sdk talks to.

Why: the Databricks functions of this project must be tested over HTTP with the real
SDK (its retries, error mapping, URL encoding, waiters), without a workspace and without
mocking the SDK. The stand-in speaks the REST shapes and error codes of the services the
project uses: ``/.well-known/databricks-config``, SCIM ``Me``, the Files API (Volumes),
the Workspace API, Clusters, Command Execution 1.2, Jobs 2.2 (with one-time runs,
``runs/submit``, and serverless environments: see ``submit_api``), Lakebase database
instances, SQL warehouses with the Statement Execution API 2.0 and Unity Catalog 2.1.
The cluster and the jobs really run Python (see ``cluster_runner``); SQL really runs, on
DuckDB, against a Unity Catalog emulation that shares its catalogs, schemas and volumes
with the Files API (see ``unity_catalog`` and ``sql_api``).

How ``/Volumes/...`` paths work for code that runs "on the cluster"
--------------------------------------------------------------------
On Databricks, code on a cluster sees Unity Catalog volumes as a FUSE mount at
``/Volumes``. The most faithful local equivalent is a real ``/Volumes`` folder, so the
stand-in uses **symlink mode** whenever it can: ``/Volumes`` is a symlink to one shared
folder, ``<tempdir>/databricks-standin/Volumes``, created when absent (this needs write
access to ``/``, which the project's sandbox and CI machines have: they run as root) and
reused when it already is that symlink. It is never removed, because another test run
may be using it at the same time. Parallel runs cannot clash because every volume a test
creates lives in a catalog of its own (``standin_<random hex>`` by default), and a
stand-in deletes the catalogs it created when it stops.

When ``/Volumes`` cannot be that symlink (no permission, or something else already is
at ``/Volumes``, as on macOS) the stand-in falls back to **rewrite mode**: volumes live in
a private temporary folder, and the literal text ``/Volumes/`` in submitted commands and
job parameters is replaced by that folder (and replaced back in outputs). That covers
code that receives its output path as data (``OUTPUT_PATH``, ``--output``), which is how
this project passes paths; code that builds ``/Volumes`` paths itself can use the
``STANDIN_VOLUMES_ROOT`` environment variable, set for every cluster and job process.
``DATABRICKS_STANDIN_VOLUMES_MODE=rewrite`` forces rewrite mode.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import os
import secrets
import shutil
import socket
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cluster_runner import sandbox_env
from .compute_api import ComputeApi
from .faults import Faults, LoggedRequest, RequestLog
from .files_api import FilesApi, VolumeStore
from .http_core import ApiError, Request, Response, Router
from .lakebase_api import DatabaseInstance, LakebaseApi
from .spark_runtime import SparkRuntime
from .sql_api import SqlApi, Warehouse
from .sql_engine import SqlEngine
from .submit_api import SubmitRunsApi
from .uc_api import UnityCatalogApi
from .unity_catalog import UnityCatalog
from .workspace_api import WorkspaceApi, WorkspaceStore

LOG = logging.getLogger("databricks_standin")
TEST_TOKEN = "dapi-test-secret-token"
USER_NAME = "standin.user@example.com"
USER_ID = "4711000000000001"
WORKSPACE_ID = "1234567890123456"
SHARED_VOLUMES_ROOT = Path(tempfile.gettempdir()) / "databricks-standin" / "Volumes"
VOLUMES_LINK = Path("/Volumes")


def setup_volumes_mapping(forced_mode: str | None = None) -> tuple[str, Path]:
    """Choose symlink mode (``/Volumes`` -> shared folder) or rewrite mode; see the module doc."""
    mode = forced_mode or os.environ.get("DATABRICKS_STANDIN_VOLUMES_MODE") or "auto"
    if mode != "rewrite":
        try:
            SHARED_VOLUMES_ROOT.mkdir(parents=True, exist_ok=True)
            target = os.path.realpath(SHARED_VOLUMES_ROOT)
            if not VOLUMES_LINK.is_symlink() and not VOLUMES_LINK.exists():
                with contextlib.suppress(FileExistsError):  # another run may have made it a moment ago
                    os.symlink(SHARED_VOLUMES_ROOT, VOLUMES_LINK)
            if VOLUMES_LINK.is_symlink() and os.path.realpath(VOLUMES_LINK) == target:
                return "symlink", Path(target)
        except OSError as exc:
            LOG.info("cannot use a /Volumes symlink (%s); using rewrite mode", exc)
        if mode == "symlink":
            raise RuntimeError("symlink mode was asked for but /Volumes cannot be the stand-in's symlink")
    return "rewrite", Path(tempfile.mkdtemp(prefix="standin-volumes-"))


@dataclass(frozen=True)
class VolumeRef:
    """A volume created on the stand-in: its names, its ``/Volumes`` path and its local folder."""

    catalog: str
    schema: str
    volume: str
    path: str
    local: Path


class _Connections:
    """The keep-alive connections being served, so that stopping ends their threads too.

    Why: a client's idle keep-alive connection holds a handler thread; left running it makes
    ``threading.active_count()`` lie to later code in the same process (the generator's
    runner forks only when it is the sole thread).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[socket.socket, threading.Thread] = {}

    def open(self, connection: socket.socket) -> None:
        with self._lock:
            self._open[connection] = threading.current_thread()

    def closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.pop(connection, None)

    def close_all(self) -> None:
        with self._lock:
            served = list(self._open.items())
        for connection, _ in served:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for _, thread in served:
            thread.join(timeout=5)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DatabricksStandin/1.0"
    standin: StandinWorkspace  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        LOG.debug("%s " + format, self.address_string(), *args)

    def setup(self) -> None:
        super().setup()
        self.standin.connections.open(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.standin.connections.closed(self.connection)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        standin = self.standin
        body = self._read_body()
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        logged = LoggedRequest(
            method=self.command,
            path=path,
            query=query,
            headers={k: v for k, v in headers.items() if k != "authorization"},
            body_size=len(body),
        )
        standin.requests.append(logged)
        if standin.faults.not_answering:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        request = Request(self.command, path, split.path, query, headers, body)
        try:
            response = standin.dispatch(request)
        except ApiError as err:
            response = err.to_response()
        except Exception as exc:  # noqa: BLE001 - a bug in the stand-in becomes a 500, logged
            LOG.exception("stand-in handler failed")
            response = ApiError(500, "INTERNAL_ERROR", f"stand-in bug: {exc!r}").to_response()
        logged.status = response.status
        self._send(response)

    def _send(self, response: Response) -> None:
        data, content_type = response.encode()
        self.send_response(response.status)
        headers = dict(response.headers)
        headers.setdefault("Content-Type", content_type)
        if self.command == "HEAD":
            headers.setdefault("Content-Length", "0")
        else:
            headers["Content-Length"] = str(len(data))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle


class StandinWorkspace:
    """The stand-in workspace. Start it with ``start()`` (or the ``standin`` pytest fixture).

    Attributes tests use: ``url``, ``token``, ``volumes_root``, ``workspace_root``,
    ``volumes_mode``, ``faults`` (see ``faults.Faults``), ``requests`` (the request log),
    ``cluster_id`` (a RUNNING cluster made at start), ``warehouse_id`` (a RUNNING SQL warehouse
    made at start), ``uc`` (the Unity Catalog emulation: ``uc.describe(full_name)``,
    ``uc.rows(full_name)``, ``uc.tables(catalog, schema)``, ``uc.set_owner(name, user)``), and
    the helpers below.
    """

    def __init__(self, workspace_root: Path, *, volumes_mode: str | None = None, token: str = TEST_TOKEN) -> None:
        self.token = token
        self.user_name = USER_NAME
        self.volumes_mode, self.volumes_root = setup_volumes_mapping(volumes_mode)
        self.workspace_root = Path(workspace_root)
        self.faults = Faults()
        self.requests = RequestLog()
        self.router = Router()
        self.volume_store = VolumeStore(self.volumes_root)
        self.workspace_store = WorkspaceStore(self.workspace_root)
        self.workspace_store.mkdirs(f"/Users/{USER_NAME}")
        self.workspace_store.mkdirs("/Shared")
        self.files_api = FilesApi(self.volume_store)
        self.workspace_api = WorkspaceApi(self.workspace_store)
        self.compute = ComputeApi(self.faults, USER_NAME, self._process_env, self._rewrite_text, self._unrewrite_text)
        self.jobs = SubmitRunsApi(
            lambda: self.url,
            self.faults,
            USER_NAME,
            self._process_env,
            self._rewrite_text,
            compute=self.compute,
            workspace=self.workspace_store,
            volumes=self.volume_store,
        )
        self.lakebase = LakebaseApi(USER_NAME)
        self.uc = UnityCatalog(USER_NAME, USER_ID, self.volume_store)
        self.sql = SqlApi(self.faults, SqlEngine(self.uc), USER_NAME, lambda: self.url)
        self.router.add("GET", r"/\.well-known/databricks-config", self._well_known)
        self.router.add("GET", r"/api/2\.0/preview/scim/v2/Me", self._scim_me)
        self.files_api.register(self.router)
        self.workspace_api.register(self.router)
        self.compute.register(self.router)
        self.jobs.register(self.router)
        self.lakebase.register(self.router)
        self.sql.register(self.router)
        UnityCatalogApi(self.uc).register(self.router)
        handler = type("StandinHandler", (_Handler,), {"standin": self})
        self.connections = _Connections()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread: threading.Thread | None = None
        self.cluster_id = self.add_cluster(cluster_id="0000-000000-standin0", name="standin-running").cluster_id
        self.warehouse_id = self.add_warehouse(name="standin-warehouse").id

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> StandinWorkspace:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="standin-http", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self.faults.clear()
        self.jobs.close_all()
        self.compute.close_all()
        self.sql.close()
        self._server.shutdown()
        self.connections.close_all()
        self._server.server_close()
        self.volume_store.remove_created()
        self.uc.close()
        if self.volumes_mode == "rewrite":  # a private folder: nobody else uses it
            shutil.rmtree(self.volumes_root, ignore_errors=True)

    def __enter__(self) -> StandinWorkspace:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- dispatch ------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        rule = self.faults.match(request.method, request.path)
        if rule is not None:
            err = ApiError(rule.status, rule.error_code, rule.message, headers=rule.headers)
            return err.to_response()
        if request.path != "/.well-known/databricks-config":
            auth = request.headers.get("authorization", "")
            if auth != f"Bearer {self.token}":
                raise ApiError(
                    401,
                    "UNAUTHENTICATED",
                    "Credential was not sent or was of an unsupported type for this API.",
                )
        return self.router.dispatch(request)

    def _well_known(self, req: Request) -> Response:
        return Response(200, {"oidc_endpoint": f"{self.url}/oidc", "workspace_id": WORKSPACE_ID})

    def _scim_me(self, req: Request) -> Response:
        return Response(
            200,
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": USER_ID,
                "userName": USER_NAME,
                "displayName": "Standin User",
                "active": True,
                "emails": [{"type": "work", "value": USER_NAME, "primary": True}],
            },
        )

    # -- what cluster and job processes see -----------------------------------------------

    def _process_env(self) -> dict[str, str]:
        root = "/Volumes" if self.volumes_mode == "symlink" else str(self.volumes_root)
        return sandbox_env(root)

    def _rewrite_text(self, text: str) -> str:
        if self.volumes_mode == "symlink":
            return text
        return text.replace("/Volumes/", f"{self.volumes_root}/")

    def _unrewrite_text(self, text: str) -> str:
        if self.volumes_mode == "symlink":
            return text
        return text.replace(f"{self.volumes_root}/", "/Volumes/")

    # -- helpers for tests ---------------------------------------------------------------

    def client(self, **config: Any) -> Any:
        """A ``WorkspaceClient`` for this stand-in (``config`` overrides the defaults)."""
        from databricks.sdk import WorkspaceClient
        from databricks.sdk.config import Config

        options: dict[str, Any] = {
            "host": self.url,
            "token": self.token,
            "auth_type": "pat",
            "retry_timeout_seconds": 10,
            "disable_experimental_files_api_client": True,
        }
        options.update(config)
        return WorkspaceClient(config=Config(**options))

    def create_volume(self, catalog: str | None = None, schema: str = "synthetic", volume: str = "data") -> VolumeRef:
        """Create a volume; the default catalog name is unique (``standin_<hex>``) so runs never clash."""
        catalog = catalog or f"standin_{secrets.token_hex(4)}"
        ref = self.uc.create_volume(catalog, schema, volume)
        c, s, v = ref.catalog, ref.schema, ref.name
        return VolumeRef(c, s, v, f"/Volumes/{c}/{s}/{v}", self.volume_store.root / c / s / v)

    def create_catalog(self, name: str | None = None) -> str:
        """Create a catalog (with its ``default`` schema) visible to SQL and Unity Catalog; returns its name."""
        return self.uc.create_catalog(name or f"standin_{secrets.token_hex(4)}", if_not_exists=True).name

    def add_warehouse(
        self,
        *,
        name: str = "standin-warehouse",
        state: str = "RUNNING",
        start_delay: float = 1.0,
        serverless: bool = True,
    ) -> Warehouse:
        """Add a SQL warehouse; a STOPPED one, started (or sent a statement), runs ``start_delay`` s later."""
        return self.sql.add_warehouse(name, state, start_delay, serverless=serverless)

    def stop_warehouse(self, warehouse_id: str) -> None:
        """Stop a warehouse now, as auto-stop does after idle minutes."""
        warehouse = self.sql.warehouses[warehouse_id]
        warehouse.state, warehouse.changes_at = "STOPPED", None

    def enable_spark(self, root: Path) -> SparkRuntime:
        """Run one-time runs' tasks on local Spark, their tables mirrored into the catalog spark_catalog
        (see ``spark_runtime``); ``root`` keeps the metastore and the warehouse."""
        self.jobs.spark = SparkRuntime(Path(root), self.uc)
        return self.jobs.spark

    def local_path(self, volume_path: str) -> Path:
        """The local file behind a ``/Volumes/...`` path."""
        return self.volume_store.local_path(volume_path)

    def add_cluster(
        self,
        *,
        cluster_id: str | None = None,
        name: str = "standin-cluster",
        state: str = "RUNNING",
        start_delay: float = 1.0,
        cluster_source: str = "UI",
        data_security_mode: str = "SINGLE_USER",
        spark_version: str = "15.4.x-scala2.12",
    ) -> Any:
        """Add a cluster (``state="TERMINATED"``: ``clusters/start`` makes it RUNNING after ``start_delay`` s).

        ``cluster_source`` is "UI" or "API" for an all-purpose cluster, "JOB" for a job cluster.
        """
        cid = cluster_id or f"0000-{secrets.token_hex(3)}-standin{secrets.token_hex(2)}"
        return self.compute.add_cluster(
            cid,
            name,
            state,
            start_delay,
            cluster_source=cluster_source,
            data_security_mode=data_security_mode,
            spark_version=spark_version,
        )

    def register_job(
        self,
        name: str,
        script: str | os.PathLike[str],
        *,
        job_id: int | None = None,
        default_params: list[str] | None = None,
        task_key: str = "generate",
        max_concurrent_runs: int = 1,
        pending_seconds: float = 0.2,
        libraries: list[str | os.PathLike[str]] | None = None,
        env: dict[str, str] | None = None,
    ) -> int:
        """Register a job whose one task runs ``script`` (a local Python file); returns the job id.

        ``libraries`` emulates the job's ``libraries: - whl: ...``: each folder (e.g. the project
        root) or pure-Python ``.whl`` is importable in this job's task process (and the Python
        processes it starts) only. ``env`` adds environment variables to the task process.
        """
        return self.jobs.add_job(
            name,
            str(script),
            job_id=job_id,
            default_params=default_params,
            task_key=task_key,
            max_concurrent_runs=max_concurrent_runs,
            pending_seconds=pending_seconds,
            libraries=[str(lib) for lib in libraries or []],
            env=env,
        ).job_id

    def add_database_instance(self, name: str, host: str, port: int, **options: Any) -> DatabaseInstance:
        """Add a Lakebase instance served by a real PostgreSQL at ``host:port``.

        ``options``: ``on_credential(token, expires_at)``, ``state``, ``token_ttls`` (see ``lakebase_api``).
        """
        return self.lakebase.add_instance(name, host, port, **options)

    def put_workspace_file(self, path: str, content: bytes | str, *, notebook: bool = False) -> str:
        """Place a workspace file (or a Python notebook) directly, creating its folders."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        normalized = self.workspace_store.normalize(path)
        parent = normalized.rsplit("/", 1)[0] or "/"
        self.workspace_store.mkdirs(parent)
        return self.workspace_store.put(
            normalized,
            data,
            object_type="NOTEBOOK" if notebook else "FILE",
            language="PYTHON" if notebook else None,
            overwrite=True,
        )

    def workspace_object(self, path: str) -> dict[str, Any]:
        """``get-status`` of a workspace object, without going through HTTP."""
        return self.workspace_store.info(self.workspace_store.normalize(path))

    @property
    def open_contexts(self) -> list[str]:
        """Ids of execution contexts not destroyed yet."""
        return self.compute.open_context_ids
