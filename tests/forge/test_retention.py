"""Log retention: old execution and activity logs go, in batches, under the current setting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from polybox.config import load_settings
from polybox.forge.actors import admin
from polybox.forge.retention import LogRetention, Purged, purge_old_logs
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.store.engine import create_engine, create_session_factory
from polybox.store.enums import ActorKind, ExecutionStatus
from polybox.store.models import ActivityLog, ExecutionLog
from polybox.store.types import utcnow

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
DEADLINE = 15.0


async def add_logs(sessions: Sessions, days_ago: int, count: int = 1) -> None:
    """`count` execution logs and as many activity logs, created `days_ago` days ago."""
    created = utcnow() - timedelta(days=days_ago)
    async with sessions.begin() as session:
        for _ in range(count):
            session.add(
                ExecutionLog(
                    server_name="weather",
                    tool_name=f"aged_{days_ago}",
                    status=ExecutionStatus.OK,
                    duration_ms=1.0,
                    created_at=created,
                )
            )
            session.add(
                ActivityLog(
                    actor_kind=ActorKind.ADMIN,
                    actor_name="root",
                    action=f"aged_{days_ago}",
                    created_at=created,
                )
            )


async def ages_left(sessions: Sessions) -> tuple[list[str], list[str]]:
    async with sessions() as session:
        executions = await session.scalars(select(ExecutionLog.tool_name).distinct())
        activities = await session.scalars(select(ActivityLog.action).distinct())
        return sorted(executions), sorted(activities)


async def test_a_pass_deletes_logs_older_than_the_setting_and_follows_its_changes(
    sessions: Sessions,
) -> None:
    for days_ago in (40, 10, 0):
        await add_logs(sessions, days_ago)
    retention = LogRetention(sessions, interval=3600)

    assert await retention.run_once() == Purged(execution_logs=1, activity_logs=1)  # 30 days
    assert await ages_left(sessions) == (["aged_0", "aged_10"], ["aged_0", "aged_10"])

    async with transaction(sessions, None) as session:
        await update_settings(session, admin("root"), log_retention_days=7)

    assert await retention.run_once() == Purged(execution_logs=1, activity_logs=1)  # 7 days
    executions, activities = await ages_left(sessions)
    assert executions == ["aged_0"]
    assert "aged_10" not in activities
    assert "aged_0" in activities  # with the record of the settings change


async def test_old_logs_are_deleted_in_batches_of_one_short_transaction_each(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    await add_logs(sessions, 40, count=250)
    await add_logs(sessions, 0, count=3)
    commits: list[object] = []
    event.listen(engine.sync_engine, "commit", commits.append)

    purged = await purge_old_logs(sessions, 30, batch_size=100)

    assert purged == Purged(execution_logs=250, activity_logs=250)
    assert len(commits) == 7  # 100 + 100 + 50 rows of each log table, one for no snippet runs
    assert await ages_left(sessions) == (["aged_0"], ["aged_0"])


async def test_an_instance_purges_old_logs_soon_after_start_and_stops_with_it(
    db_url: URL, tmp_path: Path
) -> None:
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    await add_logs(sessions, 40)
    await add_logs(sessions, 0)
    database_url = db_url.render_as_string(hide_password=False)
    settings = load_settings(
        data_dir=tmp_path, database_url=database_url, retention_interval_seconds=1
    )
    try:
        async with Instance.running(settings, run_tools=False) as instance:
            with anyio.fail_after(DEADLINE):
                purged = await instance.retention.next_pass()
        assert purged == Purged(execution_logs=1, activity_logs=1)
        assert await ages_left(sessions) == (["aged_0"], ["aged_0"])
    finally:
        await engine.dispose()
