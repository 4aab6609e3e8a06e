"""A large purge does not hold up tool calls: real calls through a bwrap pool while it runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.runner_setup import BOX, add_tool
from polybox.config import Settings
from polybox.forge.actors import llm
from polybox.forge.retention import Purged, purge_old_logs
from polybox.forge.runner import ToolRunner
from polybox.store.enums import ActorKind, ExecutionStatus
from polybox.store.models import ActivityLog, ExecutionLog
from polybox.store.types import utcnow
from sandbox.python.pools import bwrap_pool

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
OLD_ROWS = 20_000
# A call plus the write of its log, while the purge runs. Unloaded it takes a few ms; one
# 20k-row delete in a single transaction would hold SQLite's write lock for far longer.
BOUND_SECONDS = 2.0
CODE = 'async def main(n: int) -> dict:\n    """Echo."""\n    return {"n": n}\n'


@pytest.fixture
async def runner(sessions: Sessions, tmp_path: Path) -> AsyncIterator[ToolRunner]:
    async with bwrap_pool(tmp_path / "pool") as pool:
        runner = ToolRunner(pool, BOX, Settings(data_dir=tmp_path, sandbox="bwrap"))
        yield runner
        await runner.close()


async def add_old_logs(sessions: Sessions, count: int) -> None:
    old = utcnow() - timedelta(days=90)
    async with sessions.begin() as session:
        execution = {"server_name": "weather", "tool_name": "echo", "duration_ms": 1.0}
        await session.execute(
            insert(ExecutionLog),
            [{**execution, "status": ExecutionStatus.OK, "created_at": old}] * count,
        )
        activity = {"actor_kind": ActorKind.SYSTEM, "actor_name": "system", "action": "old"}
        await session.execute(insert(ActivityLog), [{**activity, "created_at": old}] * count)


async def test_calls_and_their_logs_keep_flowing_while_a_large_purge_runs(
    sessions: Sessions, runner: ToolRunner
) -> None:
    await add_tool(sessions, CODE, tool="echo")
    await add_old_logs(sessions, OLD_ROWS)
    purge = asyncio.create_task(purge_old_logs(sessions, 30))
    latencies: list[float] = []

    while not purge.done():
        started = time.perf_counter()
        outcome = await runner.call_tool(sessions, None, llm(), "weather__echo", {"n": 1})
        assert outcome.ok, outcome.error
        assert await runner.logs.flush()
        latencies.append(time.perf_counter() - started)

    assert await purge == Purged(execution_logs=OLD_ROWS, activity_logs=OLD_ROWS)
    # Calls went on between the batches: one purge in a single transaction would let the first
    # call through only at its end (one latency). How many fit depends on the machine's speed.
    assert len(latencies) >= 3, latencies
    assert max(latencies) < BOUND_SECONDS, max(latencies)
    async with sessions() as session:
        kept = await session.scalar(select(func.count()).select_from(ExecutionLog))
    assert kept == len(latencies)  # every call's log written, none purged
