"""Health of external sources: a ping now (the admin's "check now"), and a background job.

A source's health also follows its calls (gateway.py); the job makes it current for sources
nobody called lately: every `interval` seconds it pings each source of a running server over its
pooled session, one at a time, and stores healthy/unhealthy, the last error and the time.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge.errors import ForgeError, NotFoundError
from polybox.forge.external.gateway import SourceError, SourceGateway
from polybox.forge.external.targets import RemoteTarget
from polybox.forge.plans import server_run
from polybox.jobs import PeriodicJob
from polybox.store.enums import ServerStatus
from polybox.store.models import ExternalSource, Server

DEFAULT_INTERVAL = 60.0


async def check_source(
    sessions: async_sessionmaker[AsyncSession], gateway: SourceGateway, source_id: int
) -> None:
    """Ping the source now and store the verdict (a failure is a verdict, not an error)."""
    async with sessions() as session:
        row = await session.get(ExternalSource, source_id)
        if row is None:
            raise NotFoundError(f"no external source {source_id}")
        server = await session.get(Server, row.server_id)
        if server is None:
            raise NotFoundError(f"no external source {source_id}")
        target = RemoteTarget.of(row, remote_name="")
        run = await server_run(session, gateway.secret_box, gateway.settings, server)
    gateway.forget(source_id)  # store this verdict even when it did not change
    with contextlib.suppress(SourceError, TimeoutError, ForgeError):
        await gateway.ping(sessions, target, run)


class SourceHealthChecks(PeriodicJob):
    """The background pings; `start()` once, `close()` at shutdown."""

    name = "source-health"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        gateway: SourceGateway,
        *,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        super().__init__(interval=interval)
        self._sessions = sessions
        self._gateway = gateway

    async def run_once(self) -> int:
        """Check every source of a running server; how many were checked."""
        async with self._sessions() as session:
            ids = list(
                await session.scalars(
                    select(ExternalSource.id)
                    .join(Server, ExternalSource.server_id == Server.id)
                    .where(Server.status == ServerStatus.RUNNING)
                    .order_by(ExternalSource.id)
                )
            )
        for source_id in ids:
            with contextlib.suppress(NotFoundError):  # removed meanwhile
                await check_source(self._sessions, self._gateway, source_id)
        return len(ids)

    async def run_pass(self) -> None:
        await self.run_once()
