"""Log retention: execution and activity logs and snippet runs older than `log_retention_days`
are deleted; the code of snippet runs older than `dotnet_snippet_code_retention_days` is erased.

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from polybox.forge.settings import get_settings
from polybox.jobs import PeriodicJob
from polybox.store.models import ActivityLog, ExecutionLog, SnippetRun
from polybox.store.types import utcnow

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
FIRST_PASS_DELAY = 5.0  # seconds after start: out of the way of start-up, soon enough to matter


@dataclass(frozen=True)
class Purged:
    """Rows one pass deleted."""

    execution_logs: int
    activity_logs: int
    snippet_runs: int = 0
    snippet_codes: int = 0  # runs whose code was erased (their record stays)


async def purge_old_logs(
    sessions: async_sessionmaker[AsyncSession],
    retention_days: int,
    *,
    code_retention_days: int | None = None,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> Purged:
    """Delete execution and activity logs and snippet runs created more than `retention_days`
    before `now`; erase the code of snippet runs older than `code_retention_days` (if given).

    Each batch commits on its own; rows written meanwhile are never touched (they are newer).
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    executions = await _purge(sessions, ExecutionLog, cutoff, batch_size)
    activities = await _purge(sessions, ActivityLog, cutoff, batch_size)
    snippets = await _purge(sessions, SnippetRun, cutoff, batch_size)
    codes = 0
    if code_retention_days is not None:
        code_cutoff = now - timedelta(days=code_retention_days)
        codes = await _erase_snippet_code(sessions, code_cutoff, batch_size)
    return Purged(executions, activities, snippets, codes)


Logs = type[ExecutionLog] | type[ActivityLog] | type[SnippetRun]


async def _purge(
    sessions: async_sessionmaker[AsyncSession], model: Logs, cutoff: datetime, batch_size: int
) -> int:
    batch = select(model.id).where(model.created_at < cutoff).limit(batch_size)
    return await _in_batches(
        sessions, delete(model).where(model.id.in_(batch.scalar_subquery())), batch_size
    )


async def _erase_snippet_code(
    sessions: async_sessionmaker[AsyncSession], cutoff: datetime, batch_size: int
) -> int:
    batch = (
        select(SnippetRun.id)
        .where(SnippetRun.created_at < cutoff, SnippetRun.code.is_not(None))
        .limit(batch_size)
    )
    erase = update(SnippetRun).where(SnippetRun.id.in_(batch.scalar_subquery())).values(code=None)
    return await _in_batches(sessions, erase, batch_size)


async def _in_batches(
    sessions: async_sessionmaker[AsyncSession], statement: Executable, batch_size: int
) -> int:
    """Run `statement` (which changes at most `batch_size` rows) until it changes fewer."""
    total = 0
    while True:
        async with sessions.begin() as session:
            result = await session.execute(statement)
        deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < batch_size:
            return total
        await asyncio.sleep(0)  # let waiting writers in between batches


class LogRetention(PeriodicJob):
    """The background purge; `start()` it once, `close()` it at shutdown (it stops at once).

    `code_retention_days` is asked on every pass: an admin may change it at run time.
    """

    name = "log-retention"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        interval: float,
        code_retention_days: Callable[[], Awaitable[int]] | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        super().__init__(interval=interval, first_delay=min(FIRST_PASS_DELAY, interval))
        self._sessions = sessions
        self._code_retention_days = code_retention_days
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
        purged = await purge_old_logs(
            self._sessions,
            days,
            code_retention_days=(
                None if self._code_retention_days is None else await self._code_retention_days()
            ),
            batch_size=self._batch_size,
        )
        if purged != Purged(0, 0):
            logger.info(
                "log retention: deleted %d execution logs, %d activity logs and %d snippet runs "
                "older than %d days; erased the code of %d snippet runs",
                purged.execution_logs,
                purged.activity_logs,
                purged.snippet_runs,
                days,
                purged.snippet_codes,
            )
        return purged

    async def run_pass(self) -> None:
        self.last_pass = await self.run_once()
        passed, self._passed = self._passed, asyncio.Event()
        passed.set()
