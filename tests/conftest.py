"""Fixtures shared by the whole suite.

- `anyio_backend`: async tests run on asyncio (`@pytest.mark.anyio`).
- `sandbox_account` (session, automatic): as root, the sandbox user exists, as after installing.
- `cheap_password_hashing` (session, automatic): argon2id at its lowest cost in this process.
- `sandbox_dirs_of_this_session` (session, automatic): sandbox dirs created meanwhile are removed.
- `postgres_server` (session): a PostgreSQL server, see tests/postgres_cluster.py. It is the
  server named by POLYBOX_TEST_POSTGRES_URL, or a throwaway cluster started for this session
  (stop()/start() it to test behaviour across a restart; `restartable` says whether you may).
- `pg_url`: a fresh, empty database on that server (postgresql+asyncpg URL), dropped afterwards.
- `engine`, `sessions`: an engine and a session factory on `db_url`.
- `db_url`: a fresh store migrated to head, once on SQLite and once on PostgreSQL; a test that
  takes it runs on both backends (ids `[sqlite]` and `[postgresql]`). On PostgreSQL it is a copy
  of `pg_head_template`, on SQLite of `sqlite_head_template`, each migrated once per session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dotnet_snippets import dotnet  # noqa: F401 (one prepared .NET runtime per session)
from polybox.auth import passwords
from polybox.config import Settings
from polybox.sandbox.accounts import ensure_sandbox_user
from polybox.sandbox.hostdirs import SANDBOX_ROOT, owner_of
from polybox.store.engine import create_engine, create_session_factory, store_url
from polybox.store.migrate import upgrade_to_head
from postgres_cluster import (
    PostgresServer,
    PostgresUnavailable,
    migrated_store,
    run_sync,
    url_from_environment,
)

# argon2id at its lowest cost: no test is about the cost itself, and at the default (64 MiB, three
# passes) each admin created or logged in costs a second or more of CPU on a busy 2-core machine.
CHEAP_ARGON2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
BACKENDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def sandbox_account() -> None:
    """As root, create the sandbox account first, as installing polybox does (doctor --fix)."""
    if os.geteuid() == 0:
        ensure_sandbox_user(Settings.model_fields["sandbox_user"].default)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Hash and verify admin passwords with real argon2id, at its lowest cost (CHEAP_ARGON2).

    Only this process: a `polybox` subprocess (browser, replicas) hashes at the default cost.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", CHEAP_ARGON2)
        yield


@pytest.fixture(scope="session", autouse=True)
def sandbox_dirs_of_this_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Remove the sandbox dirs that this session's throwaway data dirs created as root.

    Only entries whose recorded data dir lies in this session's temp dir go: a polybox serving
    on the same machine meanwhile keeps its own.
    """
    yield
    if not SANDBOX_ROOT.is_dir():
        return
    temp = tmp_path_factory.getbasetemp()
    for entry in SANDBOX_ROOT.iterdir():
        owner = owner_of(entry)
        if owner is not None and owner.is_relative_to(temp):
            shutil.rmtree(entry, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    external = url_from_environment()
    try:
        server = PostgresServer.external(external) if external else PostgresServer.throwaway()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL tests SKIPPED: {exc}")
    yield server
    server.close()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[URL]:
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def pg_head_template(postgres_server: PostgresServer) -> Iterator[URL]:
    """A database migrated to head once per session; `db_url` copies it (faster than migrating)."""
    url = postgres_server.create_database()
    run_sync(upgrade_to_head(url))
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_head_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated to head once per session; `db_url` copies it (faster than
    migrating)."""
    file = tmp_path_factory.mktemp("sqlite-head") / "polybox.db"
    run_sync(upgrade_to_head(store_url(f"sqlite+aiosqlite:///{file}")))
    return file


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[URL]:
    yield from migrated_store(request, request.param, tmp_path / "polybox.db")


@pytest.fixture
async def engine(db_url: URL) -> AsyncIterator[AsyncEngine]:
    """An engine on `db_url` (both backends), disposed afterwards."""
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`, as services and `transaction()` take them."""
    return create_session_factory(engine)
