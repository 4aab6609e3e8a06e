"""A PostgreSQL server for the test suite: an existing one, or a throwaway cluster.

`POLYBOX_TEST_POSTGRES_URL` (a superuser URL, any driver spelling) points the suite at an existing
server. Otherwise `PostgresServer.throwaway()` runs `initdb` into a temporary directory and starts
a cluster on a free 127.0.0.1 port with fsync off; it can be stopped and started again, so tests can
prove behaviour across a PostgreSQL restart. Everything here is synchronous (subprocesses and a
private event loop in a worker thread) so fixtures work for sync and async tests alike.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import URL

from polybox.store.engine import store_url

T = TypeVar("T")

SUPERUSER = "polybox"
PASSWORD = "polybox-test"  # a throwaway cluster on loopback
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with "
    "`apt-get install postgresql`, or set POLYBOX_TEST_POSTGRES_URL to an existing server"
)


class PostgresUnavailable(Exception):
    """No PostgreSQL can be used; the message says how to get one."""


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a private loop in a worker thread.

    Works whether or not the calling thread already runs an event loop (fixtures of async tests).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def find_server_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH first, then the newest Debian install."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    installs = Path("/usr/lib/postgresql").glob("*/bin")
    candidates = [path for path in installs if (path / "initdb").exists()]
    candidates.sort(key=lambda path: [int(n) for n in re.findall(r"\d+", path.parent.name)])
    return candidates[-1] if candidates else None


class PostgresServer:
    """A PostgreSQL server the tests may create databases on (and restart, when throwaway)."""

    def __init__(self, admin_url: URL, cluster: _Cluster | None = None) -> None:
        self.admin_url = admin_url
        self._cluster = cluster

    @classmethod
    def external(cls, url: str) -> PostgresServer:
        return cls(store_url(url))

    @classmethod
    def throwaway(cls) -> PostgresServer:
        bindir = find_server_binaries()
        if bindir is None:
            raise PostgresUnavailable(INSTALL_HINT)
        cluster = _Cluster(bindir)
        cluster.start()
        url = URL.create(
            "postgresql+asyncpg",
            username=SUPERUSER,
            password=PASSWORD,
            host="127.0.0.1",
            port=cluster.port,
            database="postgres",
        )
        return cls(url, cluster)

    @property
    def restartable(self) -> bool:
        """Whether stop()/start() work (only for the throwaway cluster)."""
        return self._cluster is not None

    def stop(self) -> None:
        """Shut the server down (fast mode: sessions are terminated, as in a real restart)."""
        self._require_cluster().stop()

    def start(self) -> None:
        """Start the server again on the same port; returns once it accepts connections."""
        self._require_cluster().start()

    def create_database(self, template: URL | None = None) -> URL:
        """A new database (unique name) and its postgresql+asyncpg URL.

        Empty, or a copy of `template` (a database nobody is connected to).
        """
        name = f"polybox_test_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template.database}"' if template is not None else ""
        run_sync(self._execute(f'CREATE DATABASE "{name}"{copy}'))
        return self.admin_url.set(database=name)

    def drop_database(self, url: URL) -> None:
        """Drop a database made by create_database, closing any connection left open on it."""
        run_sync(self._execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))

    def close(self) -> None:
        """Stop and delete the throwaway cluster (nothing to do for an external server)."""
        if self._cluster is not None:
            self._cluster.destroy()

    async def _execute(self, statement: str) -> None:
        dsn = self.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def _require_cluster(self) -> _Cluster:
        if self._cluster is None:
            raise PostgresUnavailable("an external PostgreSQL (POLYBOX_TEST_POSTGRES_URL) is used")
        return self._cluster


class _Cluster:
    """initdb + pg_ctl in a temporary directory, run as an unprivileged user when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="polybox-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = _server_user()
        password_file = self.root / "password"
        password_file.write_text(PASSWORD)
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
            os.chown(password_file, self.user.pw_uid, self.user.pw_gid)
        self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            SUPERUSER,
            f"--pwfile={password_file}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        options = " ".join(
            [
                f"-c port={self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "--pgdata", str(self.data), "--log", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "--pgdata", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        user = self.user.pw_name if self.user is not None else None
        result = subprocess.run(
            [str(self.bindir / program), *args],
            user=user,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise PostgresUnavailable(
                f"{program} {' '.join(args)} failed ({result.returncode}): "
                f"{result.stderr.strip()} {tail}".strip()
            )


def _server_user() -> pwd.struct_passwd | None:
    """initdb refuses root: run the server as `postgres` (or `nobody`) when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and neither user `postgres` nor `nobody` exists")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def url_from_environment() -> str | None:
    """The existing server's URL the suite should use, if configured."""
    value = os.environ.get("POLYBOX_TEST_POSTGRES_URL", "").strip()
    return value or None


def migrated_store(request: pytest.FixtureRequest, backend: str, file: Path) -> Iterator[URL]:
    """A fresh store at head on `backend`: the SQLite `file`, or a new PostgreSQL database that is
    dropped afterwards (yield from it in a fixture). Either copies the session's store migrated to
    head (`sqlite_head_template`, `pg_head_template`): copying is faster than migrating."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_head_template")
        with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(file)) as copy:
            source.backup(copy)
        yield store_url(f"sqlite+aiosqlite:///{file}")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database(template=request.getfixturevalue("pg_head_template"))
    yield url
    server.drop_database(url)
