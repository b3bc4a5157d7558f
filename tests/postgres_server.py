"""A real, throw-away PostgreSQL 15 server for tests and benches: initdb, start, SSL, stop.

Why a real server: the loader's types, keys, COPY, advisory locks, TLS and error paths are only
worth testing against PostgreSQL itself. The server runs from the binaries in
``/usr/lib/postgresql/15/bin`` (``RETAIL_DATAGEN_PG_BIN`` overrides), listens on a free port of
127.0.0.1 with its socket in its own folder, and uses a self-signed certificate made by
``openssl``. As root, every server command runs as the ``postgres`` user (``runuser``); as any
other user, as that user. TCP logins need a password (SCRAM); the socket trusts everyone.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PG_BIN = Path(os.environ.get("RETAIL_DATAGEN_PG_BIN", "/usr/lib/postgresql/15/bin"))
INSTALL_HINT = "sudo apt-get install -y postgresql-15 (or set RETAIL_DATAGEN_PG_BIN to a folder with initdb and pg_ctl)"
SUPERUSER = "postgres"
#: Settings that make a disposable test server fast; a bench passes its own (or none).
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One PostgreSQL server in a temporary folder: ``start()``, ``connect()``, ``stop()``."""

    def __init__(self, settings: dict[str, str] | None = None, *, run_as: str = SUPERUSER) -> None:
        self.settings = dict(settings or {})
        self.host = "127.0.0.1"
        self.port = 0
        self.superuser = SUPERUSER
        self.password = secrets.token_hex(16)
        self._as_root = os.geteuid() == 0
        self._run_as = run_as
        self.base = Path(tempfile.mkdtemp(prefix="retail-datagen-pg-"))
        self.data = self.base / "data"
        self.socket_dir = self.base / "socket"
        self.log_file = self.base / "server.log"
        self._ssl_only_roles: list[str] = []

    # -- running server commands ---------------------------------------------------------------

    def _command(self, binary: str, *args: str) -> list[str]:
        path = PG_BIN / binary
        command = [str(path), *args]
        return ["runuser", "-u", self._run_as, "--", *command] if self._as_root else command

    def _run(self, binary: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self._command(binary, *args), capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{binary} {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def _give_to_server(self, *paths: Path) -> None:
        """Make files the server must own (data, socket, key) belong to the server's user."""
        if not self._as_root:
            return
        user = pwd.getpwnam(self._run_as)
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)

    def _check_binaries(self) -> None:
        missing = [name for name in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / name).is_file()]
        if missing:
            raise RuntimeError(
                f"PostgreSQL server binaries {', '.join(missing)} not found in {PG_BIN}: the PostgreSQL tests need "
                f"a real server. Install it: {INSTALL_HINT}."
            )
        if self._as_root:
            try:
                pwd.getpwnam(self._run_as)
            except KeyError:
                raise RuntimeError(
                    f"running as root, but there is no {self._run_as!r} user to run PostgreSQL as. "
                    f"Install the server package (it creates that user): {INSTALL_HINT}."
                ) from None

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> PostgresServer:
        """initdb, certificate, configuration, then ``pg_ctl start``; the folder is removed when it fails."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> PostgresServer:
        self._check_binaries()
        self.base.chmod(0o755)
        self.socket_dir.mkdir()
        self.data.mkdir(mode=0o700)
        self.log_file.touch()
        password_file = self.base / "superuser.pw"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        self._give_to_server(self.data, self.socket_dir, self.log_file, password_file)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.superuser,
            f"--pwfile={password_file}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
        )
        password_file.unlink()
        self._make_certificate()
        self._write_hba()
        for attempt in range(3):
            self.port = _free_port()
            try:
                self._write_settings()
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_file), "-w", "-t", "60", "start")
                return self
            except RuntimeError as exc:
                if attempt == 2:
                    raise RuntimeError(
                        f"PostgreSQL did not start ({exc}); its log says:\n{self.server_log()}"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _make_certificate(self) -> None:
        cert, key = self.data / "server.crt", self.data / "server.key"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        key.chmod(0o600)
        self._give_to_server(cert, key)

    def _write_settings(self) -> None:
        settings = {
            "port": str(self.port),
            "listen_addresses": f"'{self.host}'",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "ssl": "on",
            "ssl_cert_file": "'server.crt'",
            "ssl_key_file": "'server.key'",
            "log_connections": "on",
            **{name: str(value) for name, value in self.settings.items()},
        }
        lines = "".join(f"{name} = {value}\n" for name, value in settings.items())
        (self.data / "postgresql.auto.conf").write_text(lines, encoding="utf-8")

    def _write_hba(self) -> None:
        rules = ["local all all trust"]
        rules += [f'hostnossl all "{role}" {self.host}/32 reject' for role in self._ssl_only_roles]
        rules.append(f"host all all {self.host}/32 scram-sha-256")
        (self.data / "pg_hba.conf").write_text("\n".join(rules) + "\n", encoding="utf-8")

    def require_ssl(self, role: str) -> None:
        """Refuse TCP logins of ``role`` that do not use TLS (pg_hba ``hostnossl ... reject``)."""
        self._ssl_only_roles.append(role)
        self._write_hba()
        with self.connect() as conn:
            conn.execute("SELECT pg_reload_conf()")

    def server_log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace") if self.log_file.exists() else ""

    # -- clients ---------------------------------------------------------------------------------

    def dsn(self, dbname: str = "postgres", user: str | None = None, password: str | None = None, **extra: Any) -> str:
        """A key=value connection string over TCP (the superuser's password unless another user is given)."""
        params: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "dbname": dbname,
            "user": user or self.superuser,
            "password": self.password if user is None else password,
            **extra,
        }
        return " ".join(f"{key}={value}" for key, value in params.items() if value is not None)

    def environment(self, dbname: str) -> dict[str, str]:
        """The PG* variables that make libpq log in to ``dbname`` as the superuser over TCP."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.superuser,
            "PGPASSWORD": self.password,
            "PGDATABASE": dbname,
        }

    def connect(self, dbname: str = "postgres", *, autocommit: bool = True) -> Any:
        """A psycopg connection as the superuser over the socket (autocommit unless asked otherwise)."""
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir), port=self.port, dbname=dbname, user=self.superuser, autocommit=autocommit
        )

    def create_database(self, name: str | None = None, owner: str | None = None) -> str:
        """Create an empty database (a fresh name unless given) and return its name."""
        from psycopg import sql

        name = name or f"test_{secrets.token_hex(4)}"
        with self.connect() as conn:
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if owner:
                statement += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
            conn.execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def create_role(self, name: str, password: str | None = None) -> str:
        """Create a login role (with a password when given) and return its name."""
        from psycopg import sql

        statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name))
        if password is not None:
            statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
        with self.connect() as conn:
            conn.execute(statement)
        return name

    @contextlib.contextmanager
    def small_tablespace(self, name: str, size_kib: int) -> Iterator[str]:
        """A tablespace on a tmpfs of ``size_kib`` KiB (a disk that really fills up); needs root to mount."""
        from psycopg import sql

        if not self._as_root:
            raise RuntimeError("a small tmpfs tablespace needs root (mount -t tmpfs); run the tests as root as CI does")
        mount_point = self.base / f"tmpfs-{name}"
        mount_point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(mount_point)], check=True)
        try:
            location = mount_point / "pg"
            location.mkdir()
            self._give_to_server(location)
            with self.connect() as conn:
                conn.execute(
                    sql.SQL("CREATE TABLESPACE {} LOCATION {}").format(sql.Identifier(name), sql.Literal(str(location)))
                )
            yield name
        finally:
            with contextlib.suppress(Exception), self.connect() as conn:
                conn.execute(sql.SQL("DROP TABLESPACE IF EXISTS {}").format(sql.Identifier(name)))
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


class TokenDatabase:
    """A database standing in for a Lakebase instance's: owned by ``role``, whose TCP logins must use TLS, and
    which accepts each token handed to ``accept`` until it expires (as Lakebase accepts its credentials)."""

    def __init__(self, server: PostgresServer, role: str) -> None:
        with server.connect() as admin:
            exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if not exists:
            server.create_role(role)
            server.require_ssl(role)
        self.server = server
        self.role = role
        self.name = server.create_database(owner=role)
        self.tokens: list[str] = []  # every token accepted, in order

    def accept(self, token: str, expires: Any) -> None:
        """The stand-in instance's ``on_credential`` hook: the role's password becomes ``token`` until ``expires``."""
        from psycopg import sql

        self.tokens.append(token)
        with self.server.connect() as admin:
            admin.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {} VALID UNTIL {}").format(
                    sql.Identifier(self.role), sql.Literal(token), sql.Literal(expires.isoformat())
                )
            )

    def schemas(self) -> set[str]:
        """The schemas of the database besides PostgreSQL's own."""
        with self.server.connect(self.name) as conn:
            names = {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
        return names - {"public", "information_schema", "pg_catalog", "pg_toast"}

    def close(self) -> None:
        self.server.drop_database(self.name)
