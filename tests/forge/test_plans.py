"""Call plans: read once, trusted while the event bus reports no change, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import anyio
import pytest
from sqlalchemy import update
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.runner_setup import BOX, add_tool
from polybox.config import Settings
from polybox.events import EventBus, EventKind, SqliteEventBus, create_event_bus
from polybox.forge import approvals, servers
from polybox.forge.actors import admin
from polybox.forge.errors import ForbiddenError, ForgeError, UnavailableError
from polybox.forge.plans import CallPlans
from polybox.forge.secrets import set_secret_value
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.store.models import ToolVersion

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio

ROOT = admin("root")
PROBE = "weather__probe"
CODE = 'async def main(city: str) -> dict:\n    """Probe."""\n    return {"city": city}\n'
DEADLINE = 10.0


@pytest.fixture
async def bus(db_url: URL) -> AsyncIterator[EventBus]:
    started = create_event_bus(db_url)
    await started.start()
    yield started
    await started.close()


@pytest.fixture
def plans(tmp_path: Path) -> CallPlans:
    return CallPlans(BOX, Settings(data_dir=tmp_path))


async def change_code_behind_the_bus(sessions: Sessions, code: str) -> None:
    """A change no event announces (as a replica whose event was lost would make it)."""
    async with sessions() as session, session.begin():
        await session.execute(update(ToolVersion).values(code=code))


async def test_a_plan_is_read_once_and_kept_until_the_bus_reports_a_change(
    sessions: Sessions, bus: EventBus, plans: CallPlans
) -> None:
    await add_tool(sessions, CODE)
    first = await plans.get(sessions, bus, PROBE)
    await change_code_behind_the_bus(sessions, CODE + "# changed\n")
    assert await plans.get(sessions, bus, PROBE) is first  # no store read: still the old code
    await bus.publish(EventKind.TOOL_CHANGED, {"server": "weather", "tool": "probe"})
    again = await plans.get(sessions, bus, PROBE)
    assert again.code.endswith("# changed\n")


Change = Callable[[AsyncSession], Awaitable[object]]
REFUSALS: dict[str, tuple[Change, type[ForgeError], str]] = {
    "revoke": (
        lambda session: approvals.revoke_tool(session, ROOT, "weather", "probe"),
        ForbiddenError,
        "pending review, not approved",
    ),
    "disable": (
        lambda session: approvals.set_tool_enabled(session, ROOT, "weather", "probe", False),
        ForbiddenError,
        "disabled by an admin",
    ),
    "stop": (
        lambda session: servers.stop_server(session, ROOT, "weather"),
        UnavailableError,
        "is stopped",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_a_change_committed_here_refuses_the_very_next_call(
    sessions: Sessions, bus: EventBus, plans: CallPlans, case: str
) -> None:
    change, refusal, message = REFUSALS[case]
    await add_tool(sessions, CODE)
    await plans.get(sessions, bus, PROBE)
    async with transaction(sessions, bus) as session:
        await change(session)
    with pytest.raises(refusal, match=message):
        await plans.get(sessions, bus, PROBE)


async def test_new_secret_values_and_settings_reach_the_next_call(
    sessions: Sessions, bus: EventBus, plans: CallPlans
) -> None:
    await add_tool(sessions, CODE, secrets={"KEY": "old-value"})
    before = (await plans.get(sessions, bus, PROBE)).run
    assert (dict(before.secrets), before.redact) == ({"KEY": "old-value"}, True)
    async with transaction(sessions, bus) as session:
        await set_secret_value(session, ROOT, BOX, "weather", "KEY", value="new-value")
        await update_settings(session, ROOT, redact_secrets_in_output=False)
    after = (await plans.get(sessions, bus, PROBE)).run
    assert (dict(after.secrets), after.redact) == ({"KEY": "new-value"}, False)
    assert after.redactor.text("new-value") == "new-value"


async def test_another_replicas_change_reaches_the_next_call_once_its_event_arrives(
    sessions: Sessions, bus: EventBus, db_url: URL, plans: CallPlans
) -> None:
    await add_tool(sessions, CODE)
    await plans.get(sessions, bus, PROBE)
    other = create_event_bus(db_url)
    await other.start()
    try:
        async with bus.subscribe() as heard:
            async with transaction(sessions, other) as session:
                await approvals.revoke_tool(session, ROOT, "weather", "probe")
            with anyio.fail_after(DEADLINE):  # NOTIFY on PostgreSQL, the counter poll on SQLite
                await anext(heard)
    finally:
        await other.close()
    with pytest.raises(ForbiddenError, match="not approved"):
        await plans.get(sessions, bus, PROBE)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_without_a_bus_that_hears_other_processes_every_call_reads_the_store(
    sessions: Sessions, db_url: URL, plans: CallPlans
) -> None:
    await add_tool(sessions, CODE)
    deaf = SqliteEventBus(db_url)  # never started: it hears nothing from other processes
    assert not deaf.listening
    for events in (None, deaf):
        first = await plans.get(sessions, events, PROBE)
        assert await plans.get(sessions, events, PROBE) is not first
    assert len(plans) == 0


async def test_plans_past_the_limit_push_out_the_oldest(
    sessions: Sessions, bus: EventBus, tmp_path: Path
) -> None:
    await add_tool(sessions, CODE)
    await add_tool(sessions, CODE, server="other")
    plans = CallPlans(BOX, Settings(data_dir=tmp_path), limit=1)
    first = await plans.get(sessions, bus, PROBE)
    await plans.get(sessions, bus, "other__probe")
    assert len(plans) == 1
    assert await plans.get(sessions, bus, PROBE) is not first
