"""transaction(): commit then publish, roll back and stay silent; activity rows in the same unit."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.conftest import RecordingBus
from polybox.events import EventKind
from polybox.forge.actors import SYSTEM, admin
from polybox.forge.unit import queue_event, record_activity, transaction
from polybox.store.enums import ActorKind
from polybox.store.models import ActivityLog, Server

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


async def _create_then_fail(sessions: Sessions, events: RecordingBus) -> None:
    """A unit that writes a row, an activity record and an event, then fails."""
    async with transaction(sessions, events) as session:
        session.add(Server(name="weather"))
        record_activity(session, SYSTEM, "server.created", target_kind="server")
        queue_event(session, EventKind.SERVER_CHANGED, {"server": "weather"})
        await session.flush()
        raise Boom


async def test_queued_events_are_published_in_order_only_after_the_commit(
    sessions: Sessions, events: RecordingBus
) -> None:
    async with transaction(sessions, events) as session:
        session.add(Server(name="weather"))
        queue_event(session, EventKind.SERVER_CHANGED, {"server": "weather"})
        queue_event(session, EventKind.SERVER_STARTED, {"server": "weather"})
        await session.flush()
        assert events.published == []
    assert events.kinds() == [EventKind.SERVER_CHANGED, EventKind.SERVER_STARTED]
    assert events.published[0].data == {"server": "weather"}
    async with sessions() as session:
        assert (await session.scalars(select(Server.name))).all() == ["weather"]


async def test_a_failed_unit_rolls_back_rows_and_activity_and_publishes_nothing(
    sessions: Sessions, events: RecordingBus
) -> None:
    with pytest.raises(Boom):
        await _create_then_fail(sessions, events)
    assert events.published == []
    async with sessions() as session:
        assert (await session.scalars(select(Server))).all() == []
        assert (await session.scalars(select(ActivityLog))).all() == []


async def test_events_of_a_rolled_back_unit_do_not_leak_into_the_next(
    sessions: Sessions, events: RecordingBus
) -> None:
    with pytest.raises(Boom):
        await _create_then_fail(sessions, events)
    async with transaction(sessions, events) as session:
        queue_event(session, EventKind.SETTINGS_CHANGED, {"keys": "x"})
    assert events.kinds() == [EventKind.SETTINGS_CHANGED]


async def test_a_unit_without_a_bus_still_commits(sessions: Sessions) -> None:
    async with transaction(sessions, None) as session:
        session.add(Server(name="weather"))
        queue_event(session, EventKind.SERVER_CHANGED, {"server": "weather"})
    async with sessions() as session:
        assert (await session.scalars(select(Server.name))).all() == ["weather"]


async def test_activity_is_attributed_to_the_actor_with_its_target_and_details(
    sessions: Sessions,
) -> None:
    async with transaction(sessions, None) as session:
        record_activity(
            session,
            admin("root"),
            "tool.approved",
            target_kind="tool",
            target_id=42,
            details={"server": "weather", "version": 3},
        )
    async with sessions() as session:
        row = (await session.scalars(select(ActivityLog))).one()
    assert (row.actor_kind, row.actor_name, row.action) == (
        ActorKind.ADMIN,
        "root",
        "tool.approved",
    )
    assert (row.target_kind, row.target_id) == ("tool", "42")
    assert row.details == {"server": "weather", "version": 3}
    assert row.created_at.tzinfo is not None
