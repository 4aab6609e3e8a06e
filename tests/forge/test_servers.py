"""Servers: creation rules, lookups, start/stop, allow-lists, deletion, audit and events."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.conftest import RecordingBus
from polybox.events import EventKind
from polybox.forge.actors import admin, llm
from polybox.forge.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from polybox.forge.servers import (
    create_server,
    delete_server,
    get_server,
    list_servers,
    set_allowed_hosts,
    set_allowed_modules,
    start_server,
    stop_server,
)
from polybox.forge.settings import get_settings
from polybox.forge.unit import transaction
from polybox.store.enums import ActorKind, ServerStatus, ToolStatus
from polybox.store.models import ActivityLog, Server, Tool

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
ROOT = admin("root")
CLAUDE = llm("claude")


async def _create(sessions: Sessions, name: str = "weather") -> int:
    async with transaction(sessions, None) as session:
        return (await create_server(session, CLAUDE, name, "Forecasts")).id


async def test_a_new_server_is_stopped_with_empty_lists_and_zero_tool_counts(
    sessions: Sessions, events: RecordingBus
) -> None:
    async with transaction(sessions, events) as session:
        created = await create_server(session, CLAUDE, "weather", "Forecasts")
    assert created.status is ServerStatus.STOPPED
    assert (created.allowed_hosts, created.allowed_modules) == ([], [])
    assert created.tool_counts == dict.fromkeys(
        ("draft", "pending_review", "approved", "rejected"), 0
    )
    assert events.kinds() == [EventKind.SERVER_CHANGED]
    assert events.published[0].data == {"server_id": created.id, "server": "weather"}
    async with sessions() as session:
        activity = (await session.scalars(select(ActivityLog))).one()
    assert (activity.actor_kind, activity.actor_name, activity.action) == (
        ActorKind.LLM,
        "claude",
        "server.created",
    )
    assert activity.target_id == str(created.id)


async def test_bad_name_and_long_description_are_both_reported(sessions: Sessions) -> None:
    with pytest.raises(InvalidInputError) as caught:
        async with transaction(sessions, None) as session:
            await create_server(session, CLAUDE, "Weather!", "x" * 2001)
    assert [problem.field for problem in caught.value.fields] == ["name", "description"]
    async with sessions() as session:
        assert (await session.scalars(select(Server))).all() == []


async def test_a_taken_name_is_a_conflict(sessions: Sessions) -> None:
    await _create(sessions)
    with pytest.raises(ConflictError, match="'weather' already exists"):
        async with transaction(sessions, None) as session:
            await create_server(session, CLAUDE, "weather")


async def test_an_unknown_server_names_the_listing_tool(sessions: Sessions) -> None:
    async with sessions() as session:
        with pytest.raises(NotFoundError, match="polybox_list_servers"):
            await get_server(session, "nope")


async def test_a_server_is_found_by_name_or_id(sessions: Sessions) -> None:
    server_id = await _create(sessions)
    async with sessions() as session:
        assert (await get_server(session, server_id)).name == "weather"
        assert (await get_server(session, "weather")).id == server_id


async def test_the_list_is_paged_by_name_with_tool_counts(sessions: Sessions) -> None:
    for name in ("c_srv", "a_srv", "b_srv"):
        await _create(sessions, name)
    async with transaction(sessions, None) as session:
        server = (await session.scalars(select(Server).where(Server.name == "b_srv"))).one()
        session.add_all(
            [
                Tool(server_id=server.id, name="one", status=ToolStatus.APPROVED),
                Tool(server_id=server.id, name="two", status=ToolStatus.APPROVED),
                Tool(server_id=server.id, name="three"),
            ]
        )
    async with sessions() as session:
        first = await list_servers(session, page=1, page_size=2)
        second = await list_servers(session, page=2, page_size=2)
    assert [item.name for item in first.items] == ["a_srv", "b_srv"]
    assert [item.name for item in second.items] == ["c_srv"]
    assert (first.total, first.pages) == (3, 2)
    counts = first.items[1].tool_counts
    assert (counts["approved"], counts["draft"], counts["rejected"]) == (2, 1, 0)


async def test_start_and_stop_announce_only_real_changes(
    sessions: Sessions, events: RecordingBus
) -> None:
    await _create(sessions)
    for change in (start_server, start_server, stop_server, stop_server):
        async with transaction(sessions, events) as session:
            result = await change(session, CLAUDE, "weather")
    assert result.status is ServerStatus.STOPPED
    assert events.kinds() == [EventKind.SERVER_STARTED, EventKind.SERVER_STOPPED]
    async with sessions() as session:
        actions = (await session.scalars(select(ActivityLog.action).order_by(ActivityLog.id))).all()
    assert actions == ["server.created", "server.started", "server.stopped"]


async def test_an_admin_sets_allowed_hosts_normalised_including_private_ones(
    sessions: Sessions, events: RecordingBus
) -> None:
    await _create(sessions)
    async with transaction(sessions, events) as session:
        updated = await set_allowed_hosts(
            session,
            ROOT,
            "weather",
            ["API.example.com", "127.0.0.1:8080", "api.example.com", "nas.lan:5000"],
            private=["NAS.lan"],
        )
    assert updated.allowed_hosts == ["127.0.0.1:8080", "api.example.com", "nas.lan:5000"]
    assert events.kinds() == [EventKind.SERVER_CHANGED, EventKind.SETTINGS_CHANGED]
    async with sessions() as session:
        # one place: the loopback address and the name marked private reach the broker's list
        assert (await get_settings(session)).private_hosts == ["127.0.0.1", "nas.lan"]
        activity = (await session.scalars(select(ActivityLog).order_by(ActivityLog.id))).all()
    assert [a.action for a in activity][-2:] == ["server.allowed_hosts_set", "settings.updated"]
    assert activity[-2].details["added"] == [
        "127.0.0.1:8080",
        "api.example.com",
        "nas.lan:5000",
    ]


async def test_a_host_marked_private_must_be_one_of_the_hosts(sessions: Sessions) -> None:
    await _create(sessions)
    with pytest.raises(InvalidInputError, match=r"'nas\.lan' is not among the hosts"):
        async with transaction(sessions, None) as session:
            await set_allowed_hosts(
                session, ROOT, "weather", ["api.example.com"], private=["nas.lan"]
            )


async def test_every_bad_host_is_reported_and_the_list_is_unchanged(sessions: Sessions) -> None:
    await _create(sessions)
    with pytest.raises(InvalidInputError) as caught:
        async with transaction(sessions, None) as session:
            await set_allowed_hosts(
                session, ROOT, "weather", ["ok.example", "http://x.example/", "169.254.169.254"]
            )
    assert [problem.field for problem in caught.value.fields] == ["hosts[1]", "hosts[2]"]
    assert "link-local" in caught.value.message
    async with sessions() as session:
        assert (await get_server(session, "weather")).allowed_hosts == []


async def test_an_llm_cannot_change_allow_lists(sessions: Sessions) -> None:
    await _create(sessions)
    async with sessions() as session:
        with pytest.raises(ForbiddenError, match="polybox_request_network_access"):
            await set_allowed_hosts(session, CLAUDE, "weather", ["api.example.com"])
        with pytest.raises(ForbiddenError, match="polybox_request_module"):
            await set_allowed_modules(session, CLAUDE, "weather", ["yaml"])


async def test_an_admin_sets_allowed_modules_and_bad_names_are_refused(sessions: Sessions) -> None:
    await _create(sessions)
    async with transaction(sessions, None) as session:
        updated = await set_allowed_modules(session, ROOT, "weather", ["yaml", "dateutil.parser"])
    assert updated.allowed_modules == ["dateutil.parser", "yaml"]
    with pytest.raises(InvalidInputError) as caught:
        async with transaction(sessions, None) as session:
            await set_allowed_modules(session, ROOT, "weather", ["secrets", "1bad"])
    assert [problem.field for problem in caught.value.fields] == ["modules[0]", "modules[1]"]


async def test_deleting_a_server_removes_its_tools_and_announces_it(
    sessions: Sessions, events: RecordingBus
) -> None:
    server_id = await _create(sessions)
    async with transaction(sessions, None) as session:
        session.add(Tool(server_id=server_id, name="forecast"))
    async with transaction(sessions, events) as session:
        await delete_server(session, CLAUDE, "weather")
    assert events.kinds() == [EventKind.SERVER_REMOVED]
    assert events.published[0].data == {"server_id": server_id, "server": "weather"}
    async with sessions() as session:
        assert (await session.scalars(select(Tool))).all() == []
        with pytest.raises(NotFoundError):
            await get_server(session, "weather")
        last = (await session.scalars(select(ActivityLog).order_by(ActivityLog.id.desc()))).first()
    assert last is not None
    assert (last.action, last.details) == ("server.deleted", {"name": "weather"})
