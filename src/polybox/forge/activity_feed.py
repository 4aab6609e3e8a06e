"""A live feed of activity rows as they are committed, on this replica or any other.

The store is the source of truth and the event bus only says when to look: every service change
publishes an event after its commit (LISTEN/NOTIFY reaches every PostgreSQL replica; on SQLite
another process's change arrives as `bus.resync`), and the feed also looks every POLL_INTERVAL for
actions that publish nothing (a login, say). So a row reaches the feed within milliseconds of the
event, and within POLL_INTERVAL in any case.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.events import EventBus, Subscription
from polybox.forge.activity import ActivityFilter, ActivityOut, activity_after, latest_activity_id

POLL_INTERVAL = 1.0  # seconds between looks when no event arrives
LATE_WINDOW = 100  # ids below the newest one sent that are still watched for late commits
BATCH = 200  # rows read per look; more than LATE_WINDOW, so every full look moves forward


class ActivityFeed:
    """New matching activity rows, oldest first, each once; iterate it with `async for`.

    Ids come from a sequence, so a transaction that took an id earlier may commit after a higher
    id was sent: the feed keeps reading LATE_WINDOW ids below its high-water mark and skips the
    ids it has sent. `resume_id` (the high-water mark) is what a client resumes from; rows that
    commit below it while the client is away are not replayed. Iteration ends when the bus
    closes; a client hanging up cancels it.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        events: Subscription,
        where: ActivityFilter,
        after_id: int,
    ) -> None:
        self._sessions = sessions
        self._events = events
        self._where = where
        self._floor = after_id  # rows at or below this id are never sent
        self._sent: set[int] = set()
        self.resume_id = after_id

    async def __aiter__(self) -> AsyncIterator[ActivityOut]:
        while True:
            fresh, full = await self._look()
            for row in fresh:
                yield row
            if not full and not await _woken(self._events):
                return

    async def _look(self) -> tuple[list[ActivityOut], bool]:
        """The unsent rows of one read, and whether the read was full (more may wait)."""
        start = max(self._floor, self.resume_id - LATE_WINDOW)
        async with self._sessions() as session:
            rows = await activity_after(session, self._where, start, BATCH)
        fresh = [row for row in rows if row.id not in self._sent]
        if rows:
            self.resume_id = max(self.resume_id, rows[-1].id)
        self._sent = {id_ for id_ in self._sent if id_ > self.resume_id - LATE_WINDOW}
        self._sent.update(row.id for row in fresh)
        return fresh, len(rows) == BATCH


@asynccontextmanager
async def following(
    sessions: async_sessionmaker[AsyncSession],
    events: EventBus,
    where: ActivityFilter,
    after_id: int | None = None,
) -> AsyncIterator[ActivityFeed]:
    """A feed of rows committed after `after_id` (default: after entering).

    Once entered, no row committed later can be missed, so a caller may say it is ready.
    """
    async with events.subscribe() as subscription:
        if after_id is None:
            async with sessions() as session:
                after_id = await latest_activity_id(session)
        yield ActivityFeed(sessions, subscription, where, after_id)


async def _woken(events: Subscription) -> bool:
    """Wait for the next event or POLL_INTERVAL; False once the bus is closed."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(POLL_INTERVAL):
            try:
                await anext(events)
            except StopAsyncIteration:
                return False
    return True
