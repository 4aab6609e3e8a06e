"""The live activity feed: rows after the start point, each once, late commits included."""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.conftest import RecordingBus
from polybox.events import EventKind
from polybox.forge.activity import ActivityFilter
from polybox.forge.activity_feed import following
from polybox.forge.unit import queue_event, transaction
from polybox.store.enums import ActorKind
from polybox.store.models import ActivityLog

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio


async def _commit_row(sessions: Sessions, events: RecordingBus, id_: int, action: str) -> None:
    """An activity row with a chosen id, committed and announced as services do."""
    async with transaction(sessions, events) as session:
        session.add(ActivityLog(id=id_, actor_kind=ActorKind.SYSTEM, actor_name="t", action=action))
        queue_event(session, EventKind.SETTINGS_CHANGED, {})


async def test_a_row_committed_late_below_the_newest_id_is_still_sent_once(
    sessions: Sessions, events: RecordingBus
) -> None:
    await _commit_row(sessions, events, 3, "before")
    async with following(sessions, events, ActivityFilter()) as feed:
        rows = aiter(feed)
        await _commit_row(sessions, events, 20, "newest")
        with anyio.fail_after(2):
            assert (await anext(rows)).id == 20
        await _commit_row(sessions, events, 10, "late")
        await _commit_row(sessions, events, 21, "after")
        with anyio.fail_after(2):
            assert [(await anext(rows)).action for _ in range(2)] == ["late", "after"]
        assert feed.resume_id == 21


async def test_a_resumed_feed_skips_rows_up_to_its_start_and_applies_the_filter(
    sessions: Sessions, events: RecordingBus
) -> None:
    for id_, action in ((1, "a"), (2, "b"), (3, "a"), (4, "a")):
        await _commit_row(sessions, events, id_, action)
    async with following(sessions, events, ActivityFilter(action="a"), after_id=1) as feed:
        rows = aiter(feed)
        with anyio.fail_after(2):
            assert [(await anext(rows)).id for _ in range(2)] == [3, 4]
