"""Log retention: execution and activity logs older than `log_retention_days` are deleted.

`LogRetention` is a background job owned by the Instance: a first pass shortly after start
(`FIRST_PASS_DELAY`, or the interval if that is shorter), then one every
`retention_interval_seconds`. Each pass reads the setting afresh (an admin's change
applies from the next pass) and deletes in batches of `BATCH_SIZE` rows, one short transaction
each, so tool calls writing their logs are never held up behind one long delete (on SQLite a
write transaction locks the whole file). A pass that fails (store unreachable) is logged and the
next one tries again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge.settings import get_settings
from polybox.jobs import PeriodicJob
from polybox.store.models import ActivityLog, ExecutionLog
from polybox.store.types import utcnow

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
FIRST_PASS_DELAY = 5.0  # seconds after start: out of the way of start-up, soon enough to matter


@dataclass(frozen=True)
class Purged:
    """Rows one pass deleted."""

    execution_logs: int
    activity_logs: int


async def purge_old_logs(
    sessions: async_sessionmaker[AsyncSession],
    retention_days: int,
    *,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> Purged:
    """Delete execution and activity logs created more than `retention_days` before `now`.

    Each batch commits on its own; rows written meanwhile are never touched (they are newer).
    """
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    executions = await _purge(sessions, ExecutionLog, cutoff, batch_size)
    activities = await _purge(sessions, ActivityLog, cutoff, batch_size)
    return Purged(execution_logs=executions, activity_logs=activities)


async def _purge(
    sessions: async_sessionmaker[AsyncSession],
    model: type[ExecutionLog] | type[ActivityLog],
    cutoff: datetime,
    batch_size: int,
) -> int:
    total = 0
    while True:
        batch = select(model.id).where(model.created_at < cutoff).limit(batch_size)
        async with sessions.begin() as session:
            result = await session.execute(
                delete(model).where(model.id.in_(batch.scalar_subquery()))
            )
        deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < batch_size:
            return total
        await asyncio.sleep(0)  # let waiting writers in between batches


class LogRetention(PeriodicJob):
    """The background purge; `start()` it once, `close()` it at shutdown (it stops at once)."""

    name = "log-retention"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        interval: float,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        super().__init__(interval=interval, first_delay=min(FIRST_PASS_DELAY, interval))
        self._sessions = sessions
        self._batch_size = batch_size
        self._passed = asyncio.Event()  # replaced after every background pass
        self.last_pass: Purged | None = None

    async def next_pass(self) -> Purged | None:
        """Wait for the next background pass to complete; what it deleted (`last_pass`)."""
        await self._passed.wait()
        return self.last_pass

    async def run_once(self) -> Purged:
        """One pass under the current `log_retention_days` setting."""
        async with self._sessions() as session:
            days = (await get_settings(session)).log_retention_days
        purged = await purge_old_logs(self._sessions, days, batch_size=self._batch_size)
        if purged.execution_logs or purged.activity_logs:
            logger.info(
                "log retention: deleted %d execution and %d activity logs older than %d days",
                purged.execution_logs,
                purged.activity_logs,
                days,
            )
        return purged

    async def run_pass(self) -> None:
        self.last_pass = await self.run_once()
        passed, self._passed = self._passed, asyncio.Event()
        passed.set()
