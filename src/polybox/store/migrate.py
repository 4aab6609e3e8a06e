"""Schema migrations, run in-process at start-up (no alembic.ini, no logging reconfiguration).

On PostgreSQL the upgrade holds a transaction-scoped advisory lock, so replicas started together
queue up: the first one migrates, the others find the schema at head and do nothing. DDL is
transactional there, so a failed upgrade leaves the previous revision intact.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from polybox.store.engine import create_engine, ping, store_url
from polybox.store.errors import StoreUnavailable

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Arbitrary, fixed key of the advisory lock ("polybox" in ASCII) shared by all replicas.
_MIGRATION_LOCK_KEY = 0x706F6C79626F78

_Command = Callable[[Config], None]


def alembic_config(url: str | URL) -> Config:
    """An Alembic config pointing at the packaged migrations, usable from an installed wheel."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    rendered = store_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision shipped with this code."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


async def upgrade_to_head(url: str | URL) -> None:
    """Bring the store's schema to the newest revision (a no-op when it is already there)."""
    await upgrade(url, "head")


async def upgrade(url: str | URL, revision: str) -> None:
    """Upgrade to a given revision (tests and operators; start-up uses upgrade_to_head)."""
    await _run_command(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str | URL, revision: str) -> None:
    """Downgrade to a given revision ("base" drops every polybox table)."""
    await _run_command(url, lambda config: command.downgrade(config, revision))


async def current_revision(url: str | URL) -> str | None:
    """The revision the store is at, or None for a database polybox never migrated."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision)
    finally:
        await engine.dispose()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _run_command(url: str | URL, run: _Command) -> None:
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        await ping(engine)  # an unreachable store is a one-line StoreUnavailable, not a trace
        async with engine.connect() as connection:
            await _lock_against_other_replicas(connection)
            await connection.run_sync(_with_connection, config, run)
            await connection.commit()
    finally:
        await engine.dispose()


async def _lock_against_other_replicas(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        lock = text("SELECT pg_advisory_xact_lock(:key)")
        await connection.execute(lock, {"key": _MIGRATION_LOCK_KEY})


def _with_connection(connection: Connection, config: Config, run: _Command) -> None:
    _refuse_unknown_revision(connection)
    config.attributes["connection"] = connection
    run(config)


def _refuse_unknown_revision(connection: Connection) -> None:
    """A newer polybox migrated this database: say so instead of Alembic's lookup error."""
    current = _current_revision(connection)
    known = {script.revision for script in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}
    if current is not None and current not in known:
        raise StoreUnavailable(
            connection.engine.url,
            f"its schema is at revision {current!r}, newer than this polybox knows "
            f"(newest: {head_revision()!r}); run a newer polybox or restore a backup",
        )
