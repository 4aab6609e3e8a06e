"""Engines: per-backend tuning, concurrent writers, and `ping` failing with one clear line."""

from __future__ import annotations

import socket
from pathlib import Path

import anyio
import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL

from polybox.store.engine import create_engine, create_session_factory, ping
from polybox.store.enums import ActorKind
from polybox.store.errors import StoreUnavailable
from polybox.store.models import ActivityLog
from postgres_cluster import PostgresServer


async def _ping_error(url: str | URL) -> str:
    engine = create_engine(url)
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await ping(engine)
    finally:
        await engine.dispose()
    return str(caught.value)


def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


@pytest.mark.anyio
async def test_ping_succeeds_on_a_reachable_store(db_url: URL) -> None:
    engine = create_engine(db_url)
    try:
        await ping(engine)
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    names = ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    try:
        async with engine.connect() as connection:
            values = {name: await connection.scalar(text(f"PRAGMA {name}")) for name in names}
    finally:
        await engine.dispose()

    assert values == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "synchronous": 1,
    }


@pytest.mark.anyio
async def test_ping_on_a_refused_port_names_the_url_without_its_password() -> None:
    port = _refused_port()

    message = await _ping_error(f"postgresql://polybox:hunter2@127.0.0.1:{port}/polybox")

    assert message == (
        f"cannot use the store at postgresql+asyncpg://polybox:***@127.0.0.1:{port}/polybox: "
        f"connection refused by 127.0.0.1:{port}; is PostgreSQL running and listening there?"
    )


@pytest.mark.anyio
@pytest.mark.postgres
async def test_ping_with_a_wrong_password_says_authentication_failed(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.admin_url.set(password="not-the-password")
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        await (await asyncpg.connect(dsn)).close()
    except asyncpg.InvalidPasswordError:
        pass
    else:  # only possible with an external server configured with trust authentication
        pytest.skip("the configured PostgreSQL accepts any password (trust authentication)")

    message = await _ping_error(url)

    assert message.endswith(f"authentication failed for user {url.username!r}")
    assert "not-the-password" not in message
    assert "\n" not in message


@pytest.mark.anyio
@pytest.mark.postgres
async def test_ping_of_a_missing_database_names_it(postgres_server: PostgresServer) -> None:
    message = await _ping_error(postgres_server.admin_url.set(database="no_such_db"))

    assert message.endswith("database 'no_such_db' does not exist")


@pytest.mark.anyio
async def test_ping_of_an_unknown_host_names_the_host() -> None:
    message = await _ping_error("postgresql://u:p@no-such-host.invalid/db")

    assert message.endswith("unknown host 'no-such-host.invalid'")


@pytest.mark.anyio
async def test_ping_of_sqlite_in_a_missing_directory_says_what_to_check(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "polybox.db"

    message = await _ping_error(f"sqlite:///{path}")

    assert message.endswith(f"cannot open {path}; directory {path.parent} does not exist")


@pytest.mark.anyio
async def test_concurrent_read_then_write_sessions_all_commit(db_url: URL) -> None:
    """The pattern of every service call; on SQLite it must wait for the lock, not fail."""
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)

    async def record(number: int) -> None:
        async with sessions() as session:
            await session.scalar(select(func.count()).select_from(ActivityLog))
            session.add(
                ActivityLog(actor_kind=ActorKind.SYSTEM, actor_name="t", action=str(number))
            )
            await session.commit()

    try:
        async with anyio.create_task_group() as group:
            for number in range(20):
                group.start_soon(record, number)
        async with sessions() as session:
            actions = set(await session.scalars(select(ActivityLog.action)))
    finally:
        await engine.dispose()
    assert actions == {str(number) for number in range(20)}
