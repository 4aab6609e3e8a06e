"""Server secrets: placeholders, admin-set values, decryption for the runner only, audit, events."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.conftest import RecordingBus
from polybox.crypto import SecretBox
from polybox.events import EventKind
from polybox.forge.actors import admin, llm
from polybox.forge.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)
from polybox.forge.secrets import (
    create_secret_placeholder,
    delete_secret,
    list_secrets,
    server_secrets,
    set_secret_value,
)
from polybox.forge.servers import create_server
from polybox.forge.unit import transaction
from polybox.store.models import ActivityLog, ServerSecret

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
ROOT = admin("root")
CLAUDE = llm("claude")
BOX = SecretBox(bytes(range(32)))


@pytest.fixture
async def server_id(sessions: Sessions) -> int:
    async with transaction(sessions, None) as session:
        return (await create_server(session, CLAUDE, "weather")).id


async def _set(
    sessions: Sessions, key: str, value: str, server: str = "weather", *, raw: bool = False
) -> None:
    async with transaction(sessions, None) as session:
        await set_secret_value(session, ROOT, BOX, server, key, value=value, raw=raw)


async def test_an_llm_creates_a_placeholder_without_a_value(
    sessions: Sessions, events: RecordingBus, server_id: int
) -> None:
    async with transaction(sessions, events) as session:
        created = await create_secret_placeholder(
            session, CLAUDE, "weather", "API_KEY", "Key of the weather API"
        )
    assert (created.key, created.has_value) == ("API_KEY", False)
    assert events.published[0].kind is EventKind.SERVER_CHANGED
    assert events.published[0].data == {"server_id": server_id, "server": "weather"}
    async with sessions() as session:
        assert (await server_secrets(session, BOX, server_id))[0] == {}
        activity = (await session.scalars(select(ActivityLog).order_by(ActivityLog.id))).all()[-1]
    assert (activity.actor_name, activity.action, activity.details) == (
        "claude",
        "secret.created",
        {"key": "API_KEY"},
    )


async def test_bad_key_and_description_are_both_reported(
    sessions: Sessions, server_id: int
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        async with transaction(sessions, None) as session:
            await create_secret_placeholder(session, CLAUDE, "weather", "api-key", "x" * 2001)
    assert [problem.field for problem in caught.value.fields] == ["key", "description"]
    assert "WEATHER_API_KEY" in caught.value.message


async def test_a_duplicate_key_is_a_conflict(sessions: Sessions, server_id: int) -> None:
    async with transaction(sessions, None) as session:
        await create_secret_placeholder(session, CLAUDE, "weather", "API_KEY")
    with pytest.raises(ConflictError, match="already has a secret API_KEY"):
        async with transaction(sessions, None) as session:
            await create_secret_placeholder(session, CLAUDE, "weather", "API_KEY")


async def test_an_admin_sets_a_value_the_runner_reads_and_listings_never_show(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        await create_secret_placeholder(session, CLAUDE, "weather", "API_KEY", "weather api")
    await _set(sessions, "API_KEY", "v4lue-1")
    await _set(sessions, "TOKEN", "t0ken")  # no placeholder: created by the admin
    async with sessions() as session:
        listed = await list_secrets(session, "weather")
        values, raw = await server_secrets(session, BOX, server_id)
        details = (await session.scalars(select(ActivityLog.details))).all()
    assert [(s.key, s.description, s.has_value) for s in listed] == [
        ("API_KEY", "weather api", True),
        ("TOKEN", "", True),
    ]
    assert values == {"API_KEY": "v4lue-1", "TOKEN": "t0ken"}
    assert raw == frozenset()
    shown = repr(listed) + repr(details)
    assert "v4lue-1" not in shown
    assert "t0ken" not in shown


async def test_setting_a_value_again_replaces_it(sessions: Sessions, server_id: int) -> None:
    await _set(sessions, "API_KEY", "old")
    await _set(sessions, "API_KEY", "new")
    async with sessions() as session:
        assert (await server_secrets(session, BOX, server_id))[0] == {"API_KEY": "new"}


async def test_raw_is_chosen_with_each_value_and_off_unless_asked(
    sessions: Sessions, server_id: int
) -> None:
    await _set(sessions, "SIGNING_KEY", "k1", raw=True)
    async with sessions() as session:
        assert await server_secrets(session, BOX, server_id) == (
            {"SIGNING_KEY": "k1"},
            frozenset({"SIGNING_KEY"}),
        )
        assert [s.raw for s in await list_secrets(session, "weather")] == [True]
    await _set(sessions, "SIGNING_KEY", "k2")
    async with sessions() as session:
        assert await server_secrets(session, BOX, server_id) == ({"SIGNING_KEY": "k2"}, frozenset())


async def test_an_llm_cannot_set_or_delete_values(sessions: Sessions, server_id: int) -> None:
    await _set(sessions, "API_KEY", "v")
    async with sessions() as session:
        with pytest.raises(ForbiddenError, match="only an admin can set secret values"):
            await set_secret_value(session, CLAUDE, BOX, "weather", "API_KEY", value="x")
        with pytest.raises(ForbiddenError, match="only an admin can delete secrets"):
            await delete_secret(session, CLAUDE, "weather", "API_KEY")


async def test_empty_and_oversize_values_are_refused(sessions: Sessions, server_id: int) -> None:
    for value, message in (("", "empty"), ("x" * 16_385, "the limit is 16384")):
        with pytest.raises(InvalidInputError, match=message):
            await _set(sessions, "API_KEY", value)


async def test_a_deleted_secret_is_gone_and_deleting_it_again_is_not_found(
    sessions: Sessions, server_id: int
) -> None:
    await _set(sessions, "API_KEY", "v")
    async with transaction(sessions, None) as session:
        await delete_secret(session, ROOT, "weather", "API_KEY")
    async with sessions() as session:
        assert await list_secrets(session, "weather") == []
        with pytest.raises(NotFoundError, match="no secret API_KEY"):
            await delete_secret(session, ROOT, "weather", "API_KEY")


async def test_a_ciphertext_copied_to_another_row_fails_with_a_clear_error(
    sessions: Sessions, server_id: int
) -> None:
    async with transaction(sessions, None) as session:
        other_id = (await create_server(session, CLAUDE, "other")).id
    await _set(sessions, "API_KEY", "weather-value")
    await _set(sessions, "API_KEY", "other-value", server="other")
    async with transaction(sessions, None) as session:
        stolen = await session.scalar(
            select(ServerSecret.ciphertext).where(ServerSecret.server_id == server_id)
        )
        await session.execute(
            update(ServerSecret).where(ServerSecret.server_id == other_id).values(ciphertext=stolen)
        )
    async with sessions() as session:
        with pytest.raises(UnavailableError, match=r"secret API_KEY .* cannot be decrypted"):
            await server_secrets(session, BOX, other_id)
        assert (await server_secrets(session, BOX, server_id))[0] == {"API_KEY": "weather-value"}
