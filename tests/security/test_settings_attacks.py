"""Attacks on the runtime settings: reading a credential out of the activity log or the API,
and a caller changing what only an admin may."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.forge.actors import admin, llm
from polybox.forge.errors import ForbiddenError
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.store.models import ActivityLog
from polybox.workspaces import live_settings

pytestmark = pytest.mark.anyio
WEBHOOK = "https://hooks.slack.com/services/T000/B000/very-secret-token"


async def test_webhook_url_is_not_readable_from_the_activity_log(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Whoever reads the activity feed must not learn the Slack/Discord token in the URL."""
    async with transaction(sessions, None) as session:
        await update_settings(
            session, admin("root"), alert_webhook_url=WEBHOOK, alert_cooldown_minutes=5
        )
    async with sessions() as session:
        activity = (await session.scalars(select(ActivityLog))).one()
    changes = activity.details["changes"]
    assert changes == {"alert_webhook_url": "(changed)", "alert_cooldown_minutes": 5}
    assert "very-secret-token" not in str(activity.details)


FEED = "https://ci-bot:feed-password-123@nuget.example/v3/index.json"


async def test_nuget_feed_password_is_not_readable_from_the_activity_log_or_the_settings_api(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A private feed's credentials in its URL stay out of what admins and the feed read."""
    startup = Settings()
    async with transaction(sessions, None) as session:
        listed = await live_settings.update(
            session, admin("root"), startup, {"dotnet_nuget_source": FEED}
        )
    async with sessions() as session:
        activity = (await session.scalars(select(ActivityLog))).one()
        shown = await live_settings.describe(session, startup)
    masked = "https://***@nuget.example/v3/index.json"
    assert activity.details["changes"] == {"dotnet_nuget_source": masked}
    assert {item.name: item.value for item in shown}["dotnet_nuget_source"] == masked
    assert "feed-password-123" not in f"{activity.details} {listed} {shown}"


async def test_llm_cannot_change_the_dotnet_settings(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Raising its own caps or timeouts is an admin's decision, never the caller's."""
    async with transaction(sessions, None) as session:
        with pytest.raises(ForbiddenError, match="only an admin"):
            await live_settings.update(
                session, llm("claude"), Settings(), {"dotnet_workspace_max_per_client": 1000}
            )
        with pytest.raises(ForbiddenError, match="only an admin"):
            await live_settings.reset(
                session, llm("claude"), Settings(), "dotnet_workspace_max_per_client"
            )
    async with sessions() as session:
        assert await live_settings.stored_changes(session) == {}
