"""Engines and sessions for the store, tuned per backend, and a reachability check.

SQLite gets WAL (readers never block the writer), enforced foreign keys, a busy timeout instead of
instant "database is locked" errors, and synchronous=NORMAL (durable at checkpoints, safe with
WAL). PostgreSQL gets pre-ping so connections killed by a server restart are replaced silently.
`lock_transaction` makes a check-then-write one step across every process on the store.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from polybox.config import normalise_database_url
from polybox.store.errors import StoreUnavailable, describe_connect_error

SQLITE_BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_SECONDS = 10.0

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
)


def store_url(url: str | URL) -> URL:
    """The URL pinned to polybox's async driver (`sqlite+aiosqlite` or `postgresql+asyncpg`)."""
    return normalise_database_url(
        url if isinstance(url, str) else url.render_as_string(hide_password=False)
    )


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An async engine for the store URL; `kwargs` go to SQLAlchemy (e.g. `pool_size`)."""
    parsed = store_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _create_async_engine(parsed, **kwargs)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    connect_args = {"timeout": CONNECT_TIMEOUT_SECONDS, **kwargs.pop("connect_args", {})}
    return _create_async_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _configure_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


async def lock_transaction(session: AsyncSession, *key: str) -> None:
    """Hold `key` until the session's transaction ends, against every process on the store.

    For a count-then-insert (e.g. a cap) that must be one step across replicas, where an
    in-process lock is not enough. Call it first in the transaction. PostgreSQL: a
    transaction-scoped advisory lock on a 64-bit hash of `key` (READ COMMITTED alone lets two
    transactions count before either inserts). SQLite: `BEGIN IMMEDIATE`, the file's write lock
    (its driver begins only at the first write, so counts would otherwise run unlocked); that
    locks all writers, not just `key`'s, as SQLite has one writer at a time anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.blake2b("\0".join(key).encode(), digest_size=8).digest()
        lock = text("SELECT pg_advisory_xact_lock(:key)")
        await session.execute(lock, {"key": int.from_bytes(digest, "big", signed=True)})
    else:
        await session.execute(text("BEGIN IMMEDIATE"))


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no implicit reload in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Prove the store answers a query.

    Raises StoreUnavailable with one line: the URL (password hidden) and the reason, e.g.
    "connection refused", "authentication failed for user 'polybox'".
    """
    missing = _missing_sqlite_directory(engine.url)
    if missing is not None:
        # Checked up front: aiosqlite leaves a worker thread behind when it fails to open a file.
        raise StoreUnavailable(engine.url, f"cannot open {engine.url.database}; {missing}")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise StoreUnavailable(engine.url, describe_connect_error(exc, engine.url)) from exc


def _missing_sqlite_directory(url: URL) -> str | None:
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    directory = Path(url.database).parent
    return None if directory.is_dir() else f"directory {directory} does not exist"
