"""Runtime settings: defaults, every bad field at once, admin-only changes, audit and events."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.conftest import RecordingBus
from polybox.events import EventKind
from polybox.forge.actors import admin, llm
from polybox.forge.errors import ForbiddenError, InvalidInputError
from polybox.forge.settings import (
    ForgeSettings,
    get_settings,
    grant_global_modules,
    update_settings,
)
from polybox.forge.unit import transaction
from polybox.sandbox.python import DEFAULT_ALLOWED_MODULES
from polybox.store.enums import ActorKind
from polybox.store.models import ActivityLog, Setting

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
ROOT = admin("root")


async def test_an_empty_store_reads_as_the_defaults(sessions: Sessions) -> None:
    async with sessions() as session:
        settings = await get_settings(session)
    assert settings == ForgeSettings()
    assert settings.tool_approval_mode == "require_approval"
    assert settings.allowed_modules == sorted(DEFAULT_ALLOWED_MODULES)
    assert settings.redact_secrets_in_output is True


async def test_an_admin_change_is_stored_audited_and_announced_after_commit(
    sessions: Sessions, events: RecordingBus
) -> None:
    async with transaction(sessions, events) as session:
        updated = await update_settings(
            session, ROOT, module_approval_mode="auto_approve", log_retention_days=7
        )
        assert events.published == []  # nothing is announced before the commit
    assert updated.module_approval_mode == "auto_approve"
    assert events.kinds() == [EventKind.SETTINGS_CHANGED]
    assert events.published[0].data == {"keys": "log_retention_days,module_approval_mode"}
    async with sessions() as session:
        assert (await get_settings(session)).log_retention_days == 7
        activity = (await session.scalars(select(ActivityLog))).one()
        row = await session.get(Setting, "log_retention_days")
    assert (activity.actor_kind, activity.actor_name) == (ActorKind.ADMIN, "root")
    assert activity.action == "settings.updated"
    assert activity.details["changes"]["module_approval_mode"] == "auto_approve"
    assert row is not None
    assert row.updated_by == "root"


async def test_a_second_change_updates_the_existing_row(sessions: Sessions) -> None:
    for days in (7, 90):
        async with transaction(sessions, None) as session:
            await update_settings(session, ROOT, log_retention_days=days)
    async with sessions() as session:
        assert (await get_settings(session)).log_retention_days == 90
        assert len((await session.scalars(select(Setting))).all()) == 1


async def test_an_llm_cannot_change_settings(sessions: Sessions, events: RecordingBus) -> None:
    with pytest.raises(ForbiddenError, match="only an admin can change settings"):
        async with transaction(sessions, events) as session:
            await update_settings(session, llm("claude"), tool_approval_mode="auto_approve")
    async with sessions() as session:
        assert (await get_settings(session)).tool_approval_mode == "require_approval"
    assert events.published == []


async def test_every_bad_field_is_reported_and_nothing_is_written(sessions: Sessions) -> None:
    with pytest.raises(InvalidInputError) as caught:
        async with transaction(sessions, None) as session:
            await update_settings(
                session,
                ROOT,
                tool_approval_mode="sometimes",
                log_retention_days=0,
                allowed_modules=["json", "os;rm"],
                private_hosts=["db.internal:5432"],
                colour="blue",
                test_before_approval=True,
            )
    fields = {problem.field for problem in caught.value.fields}
    assert fields == {
        "tool_approval_mode",
        "log_retention_days",
        "allowed_modules[1]",
        "private_hosts[0]",
        "colour",
    }
    assert "unknown setting" in caught.value.message
    assert "without a port" in caught.value.message
    async with sessions() as session:
        assert (await session.scalars(select(Setting))).all() == []


async def test_lists_are_normalised_before_they_are_stored(sessions: Sessions) -> None:
    async with transaction(sessions, None) as session:
        updated = await update_settings(
            session,
            ROOT,
            allowed_modules=["re", "json", "re"],
            private_hosts=["DB.Internal", "127.0.0.1"],
        )
    assert updated.allowed_modules == ["json", "re"]
    assert updated.private_hosts == ["127.0.0.1", "db.internal"]


async def test_setting_a_value_it_already_has_records_and_announces_nothing(
    sessions: Sessions, events: RecordingBus
) -> None:
    async with transaction(sessions, events) as session:
        await update_settings(session, ROOT, tool_approval_mode="require_approval")
    assert events.published == []
    async with sessions() as session:
        assert (await session.scalars(select(ActivityLog))).all() == []


async def test_granting_global_modules_extends_the_list_once(
    sessions: Sessions, events: RecordingBus
) -> None:
    for _ in range(2):
        async with transaction(sessions, events) as session:
            await grant_global_modules(session, ROOT, ["yaml"])
    async with sessions() as session:
        assert "yaml" in (await get_settings(session)).allowed_modules
    assert events.kinds() == [EventKind.SETTINGS_CHANGED]


async def test_stored_keys_this_version_does_not_know_are_ignored(sessions: Sessions) -> None:
    async with transaction(sessions, None) as session:
        session.add(Setting(key="retired_setting", value=True))
    async with sessions() as session:
        assert await get_settings(session) == ForgeSettings()
