"""Attacks on the runtime settings: reading a credential out of the activity log."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge.actors import admin
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.store.models import ActivityLog

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
