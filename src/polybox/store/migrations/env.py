"""Alembic environment for polybox.

`polybox.store.migrate` hands over an open connection (in `config.attributes["connection"]`) so it
can hold its advisory lock around the run. Used without one (e.g. `alembic` pointed at this folder
by a developer generating a revision), it opens its own async engine from `sqlalchemy.url`.
Logging is deliberately left alone: no fileConfig, the process's configuration stays as it is.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

import polybox.store.models  # noqa: F401 - registers every table on Base.metadata
from polybox.store.base import Base
from polybox.store.engine import create_engine

config = context.config


def _run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_own_engine() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; polybox migrates at start")

shared = config.attributes.get("connection")
if shared is None:
    asyncio.run(_run_on_own_engine())
else:
    _run_migrations(shared)
