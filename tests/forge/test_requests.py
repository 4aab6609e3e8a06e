"""Module and network requests: validation, the pending queue, decisions and auto-grants."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.conftest import RecordingBus
from polybox.events import EventKind
from polybox.forge.actors import admin, llm
from polybox.forge.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from polybox.forge.requests import (
    decide_request,
    effective_modules,
    get_allowed_modules,
    list_pending_requests,
    request_module,
    request_network_access,
)
from polybox.forge.servers import create_server, get_server
from polybox.forge.settings import get_settings, update_settings
from polybox.forge.unit import transaction
from polybox.store.enums import ActorKind, Requester, RequestStatus
from polybox.store.models import ActivityLog

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
ROOT = admin("root")
CLAUDE = llm("claude")


@pytest.fixture
async def server_id(sessions: Sessions) -> int:
    async with transaction(sessions, None) as session:
        return (await create_server(session, CLAUDE, "weather")).id


async def _settings(sessions: Sessions, **changes: str) -> None:
    async with transaction(sessions, None) as session:
        await update_settings(session, ROOT, **changes)


async def test_an_llm_module_request_waits_until_an_admin_approves_it(
    sessions: Sessions, events: RecordingBus, server_id: int
) -> None:
    async with transaction(sessions, events) as session:
        asked = await request_module(session, CLAUDE, "weather", "yaml", "parse configs")
    assert (asked.kind, asked.status, asked.requested_by) == (
        "module",
        RequestStatus.PENDING,
        Requester.LLM,
    )
    async with sessions() as session:
        assert "yaml" not in await effective_modules(session, server_id)
    async with transaction(sessions, events) as session:
        decided = await decide_request(session, ROOT, "module", asked.id, approve=True, note="ok")
    assert (decided.status, decided.decision_note) == ("installing", "ok")  # until it imports
    assert decided.decided_at is not None
    async with sessions() as session:
        assert "yaml" in await effective_modules(session, server_id)
        assert (await get_server(session, "weather")).allowed_modules == ["yaml"]
        activity = (await session.scalars(select(ActivityLog).order_by(ActivityLog.id))).all()
    assert events.kinds()[-2:] == [EventKind.SERVER_CHANGED, EventKind.APPROVAL_CHANGED]
    assert [(a.actor_name, a.action) for a in activity][-4:] == [
        ("claude", "module.requested"),
        ("root", "server.allowed_modules_set"),
        ("root", "module.approved"),
        ("root", "module.installing"),
    ]


async def test_a_global_module_request_extends_the_global_list(sessions: Sessions) -> None:
    async with transaction(sessions, None) as session:
        asked = await request_module(session, CLAUDE, None, "yaml")
    assert asked.server is None
    async with transaction(sessions, None) as session:
        await decide_request(session, ROOT, "module", asked.id, approve=True)
    async with sessions() as session:
        assert "yaml" in (await get_settings(session)).allowed_modules
        assert "yaml" in await effective_modules(session, None)


async def test_a_rejected_request_grants_nothing_and_cannot_be_decided_twice(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        asked = await request_network_access(session, CLAUDE, "weather", "api.example.com")
    async with transaction(sessions, None) as session:
        rejected = await decide_request(
            session, ROOT, "network", asked.id, approve=False, note="use the mirror"
        )
    assert rejected.status == "rejected"
    with pytest.raises(ConflictError, match="already rejected"):
        async with transaction(sessions, None) as session:
            await decide_request(session, ROOT, "network", asked.id, approve=True)
    async with sessions() as session:
        assert (await get_server(session, "weather")).allowed_hosts == []


async def test_an_llm_cannot_decide_requests(sessions: Sessions, server_id: int) -> None:
    async with transaction(sessions, None) as session:
        asked = await request_module(session, CLAUDE, "weather", "yaml")
    async with sessions() as session:
        with pytest.raises(ForbiddenError, match="only an admin"):
            await decide_request(session, CLAUDE, "module", asked.id, approve=True)
        with pytest.raises(NotFoundError, match="no network request 999"):
            await decide_request(session, ROOT, "network", 999, approve=True)


async def test_module_approval_mode_auto_approve_grants_llm_requests_as_the_system(
    sessions: Sessions, server_id: int
) -> None:
    await _settings(sessions, module_approval_mode="auto_approve")
    async with transaction(sessions, None) as session:
        asked = await request_module(session, CLAUDE, "weather", "yaml")
    assert asked.status == "installing"
    assert asked.decision_note == "granted automatically by the module_approval_mode setting"
    async with sessions() as session:
        assert "yaml" in await effective_modules(session, server_id)
        last = (await session.scalars(select(ActivityLog).order_by(ActivityLog.id.desc()))).all()
    assert [(a.actor_kind, a.action) for a in last[:2]] == [
        (ActorKind.SYSTEM, "module.installing"),
        (ActorKind.SYSTEM, "module.approved"),
    ]


async def test_network_policy_allow_all_public_grants_public_hosts_only(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        waiting = await request_network_access(session, CLAUDE, "weather", "api.example.com")
    assert waiting.status == "pending"
    await _settings(sessions, network_access_policy="allow_all_public")
    async with transaction(sessions, None) as session:
        granted = await request_network_access(
            session, CLAUDE, "weather", "data.example.org", port=8443
        )
    assert granted.status == "approved"
    with pytest.raises(
        InvalidInputError,
        match="only an admin can allow private and loopback hosts, in one place: the server's",
    ):
        async with transaction(sessions, None) as session:
            await request_network_access(session, CLAUDE, "weather", "10.1.2.3")
    async with sessions() as session:
        assert (await get_server(session, "weather")).allowed_hosts == ["data.example.org:8443"]


async def test_an_admin_request_is_granted_at_once_and_may_name_private_hosts(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        granted = await request_network_access(session, ROOT, "weather", "127.0.0.1", port=8080)
    assert (granted.status, granted.requested_by) == (RequestStatus.APPROVED, Requester.ADMIN)
    async with sessions() as session:
        assert (await get_server(session, "weather")).allowed_hosts == ["127.0.0.1:8080"]


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("127.0.0.1", "loopback address"),
        ("192.168.1.10", "private address"),
        ("169.254.169.254", "link-local address"),
        ("[::1]:8080", "loopback address"),
        ("localhost", "loopback name"),
        ("2130706433", "unusual spelling of an IP address"),
        ("https://api.example.com/v1", "give only the host name"),
        ("api.example.com:70000", "outside 1..65535"),
    ],
)
async def test_llm_network_requests_refuse_private_and_malformed_hosts(
    sessions: Sessions, server_id: int, host: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        async with transaction(sessions, None) as session:
            await request_network_access(session, CLAUDE, "weather", host)
    assert caught.value.fields[0].field == "host"
    async with sessions() as session:
        assert (await list_pending_requests(session)).total == 0


async def test_bad_module_and_long_reason_are_both_reported(
    sessions: Sessions, server_id: int
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        async with transaction(sessions, None) as session:
            await request_module(session, CLAUDE, "weather", "os; rm -rf", "x" * 2001)
    assert [problem.field for problem in caught.value.fields] == ["module", "reason"]


async def test_asking_again_returns_the_pending_request(sessions: Sessions, server_id: int) -> None:
    async with transaction(sessions, None) as session:
        first = await request_network_access(session, CLAUDE, "weather", "API.example.com")
        again = await request_network_access(session, CLAUDE, "weather", "api.example.com")
    assert again.id == first.id
    assert first.host == "api.example.com"


async def test_asking_for_what_is_already_allowed_is_a_conflict(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        with pytest.raises(ConflictError, match=r"'collections\.abc' is already allowed"):
            await request_module(session, CLAUDE, "weather", "collections.abc")


async def test_pending_requests_of_both_kinds_are_paged_oldest_first(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        await request_module(session, CLAUDE, "weather", "yaml")
        await request_network_access(session, CLAUDE, "weather", "a.example.com")
        await request_module(session, CLAUDE, None, "toml")
        decided = await request_network_access(session, CLAUDE, "weather", "b.example.com")
        await decide_request(session, ROOT, "network", decided.id, approve=False)
    async with sessions() as session:
        first = await list_pending_requests(session, page=1, page_size=2)
        second = await list_pending_requests(session, page=2, page_size=2)
        networks = await list_pending_requests(session, kind="network")
    assert (first.total, first.pages) == (3, 2)
    assert [(r.kind, r.module or r.host, r.server) for r in first.items + second.items] == [
        ("module", "yaml", "weather"),
        ("network", "a.example.com", "weather"),
        ("module", "toml", None),
    ]
    assert [r.host for r in networks.items] == ["a.example.com"]


async def test_allowed_modules_show_global_server_and_effective_lists(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        await request_module(session, ROOT, "weather", "yaml")
    async with sessions() as session:
        shown = await get_allowed_modules(session, "weather")
        everywhere = await get_allowed_modules(session)
    assert shown.server_modules == ["yaml"]
    assert set(shown.effective) == set(shown.global_modules) | {"yaml"}
    assert (everywhere.server, everywhere.server_modules) == (None, [])
    assert "yaml" not in everywhere.effective


async def test_a_granted_ipv6_entry_is_written_the_way_the_broker_compares_it(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        granted = await request_network_access(session, ROOT, "weather", "[::1]", port=8080)
    assert (granted.host, granted.port) == ("::1", 8080)
    async with sessions() as session:
        assert (await get_server(session, "weather")).allowed_hosts == ["[::1]:8080"]


async def test_an_llm_may_name_the_package_and_the_admin_may_replace_it(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        asked = await request_module(
            session, CLAUDE, "weather", "dateutil", package="python-dateutil"
        )
    assert (asked.module, asked.package) == ("dateutil", "python-dateutil")
    with pytest.raises(InvalidInputError, match="not a package name"):
        async with transaction(sessions, None) as session:
            await request_module(session, CLAUDE, "weather", "yaml", package="--index-url=x y")
    async with transaction(sessions, None) as session:
        decided = await decide_request(
            session, ROOT, "module", asked.id, approve=True, package="python-dateutil==2.9.0"
        )
    assert (decided.status, decided.package) == ("installing", "python-dateutil==2.9.0")
