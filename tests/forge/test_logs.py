"""Execution logs: caps, batched writes that survive an unreachable store, queries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.runner_setup import Added, add_tool
from polybox.forge.errors import InvalidInputError, NotFoundError
from polybox.forge.logs import (
    BATCH_SIZE,
    LOG_FIELD_LIMIT,
    ExecutionLogWriter,
    ExecutionRecord,
    capped_json,
    capped_text,
    get_tool_logs,
)
from polybox.forge.unit import transaction
from polybox.store.engine import create_engine, create_session_factory
from polybox.store.enums import ExecutionStatus
from polybox.store.migrate import upgrade_to_head
from polybox.store.models import ExecutionLog

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
CODE = "async def main() -> dict:\n    return {}\n"


def record(added: Added, status: ExecutionStatus = ExecutionStatus.OK, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "server_id": added.server_id,
        "tool_id": added.tool_id,
        "server_name": "weather",
        "tool_name": "probe",
        "status": status,
        "arguments": {},
        "result": {"ok": True},
        "stdout": "",
        "error": None,
        "duration_ms": 1.5,
        "client_id": "claude",
    }
    return ExecutionRecord(**(values | fields))


@pytest.fixture
async def writer() -> AsyncIterator[ExecutionLogWriter]:
    started = ExecutionLogWriter()
    yield started
    await started.close()


async def stored(sessions: Sessions) -> list[ExecutionLog]:
    async with sessions() as session:
        return list((await session.scalars(select(ExecutionLog).order_by(ExecutionLog.id))).all())


def test_small_values_are_kept_and_big_ones_say_they_were_cut() -> None:
    assert capped_json({"a": [1, 2]}) == {"a": [1, 2]}
    cut = capped_json({"text": "x" * 50_000})
    assert isinstance(cut, dict)
    assert cut["truncated"] is True
    assert cut["original_bytes"] == len('{"text": ""}') + 50_000
    assert len(str(cut["preview"]).encode()) <= LOG_FIELD_LIMIT
    assert capped_text("short") == "short"
    text = capped_text("é" * 20_000)
    assert text.endswith(f"\n[cut: 40000 bytes in all, {LOG_FIELD_LIMIT} kept]")


async def test_big_arguments_results_and_output_are_stored_capped(
    sessions: Sessions, writer: ExecutionLogWriter
) -> None:
    added = await add_tool(sessions, CODE)
    big = record(added, arguments={"q": "a" * 40_000}, result=["b" * 40_000], stdout="c" * 40_000)
    writer.submit(sessions, big)
    assert await writer.flush()
    (row,) = await stored(sessions)
    assert row.arguments["truncated"] is True
    assert isinstance(row.result, dict)
    assert row.result["truncated"] is True
    assert "[cut: 40000 bytes in all" in row.stdout


async def test_logs_submitted_together_are_stored_in_order_in_one_go(
    sessions: Sessions, writer: ExecutionLogWriter
) -> None:
    added = await add_tool(sessions, CODE)
    for n in range(BATCH_SIZE + 5):
        writer.submit(sessions, record(added, arguments={"n": n}))
    assert writer.backlog == BATCH_SIZE + 5  # nothing was written on the caller's path
    assert await writer.flush()
    assert writer.backlog == 0
    assert [row.arguments["n"] for row in await stored(sessions)] == list(range(BATCH_SIZE + 5))


async def test_the_writer_stores_on_its_own_shortly_after_a_call(
    sessions: Sessions, writer: ExecutionLogWriter
) -> None:
    added = await add_tool(sessions, CODE)
    writer.submit(sessions, record(added, client_id="alone"))
    with anyio.fail_after(10):
        await writer.drained()
    assert [row.client_id for row in await stored(sessions)] == ["alone"]


async def test_logs_the_store_refused_wait_first_in_line_until_it_takes_them(
    sessions: Sessions, tmp_path: Path
) -> None:
    """The unreachable store is a real one: a SQLite file whose directory does not exist yet."""
    added = await add_tool(sessions, CODE)
    later = tmp_path / "later" / "polybox.db"
    engine = create_engine(f"sqlite+aiosqlite:///{later}")
    late_sessions = create_session_factory(engine)
    writer = ExecutionLogWriter()
    try:
        writer.submit(late_sessions, record(added, client_id="one"))
        assert not await writer.flush()
        assert writer.backlog == 1
        later.parent.mkdir()
        await upgrade_to_head(f"sqlite+aiosqlite:///{later}")
        writer.submit(late_sessions, record(added, client_id="two"))
        assert await writer.flush()
        assert writer.backlog == 0
        assert [row.client_id for row in await stored(late_sessions)] == ["one", "two"]
    finally:
        await writer.close()
        await engine.dispose()


async def test_a_log_of_a_tool_deleted_meanwhile_keeps_its_names(
    sessions: Sessions, writer: ExecutionLogWriter
) -> None:
    added = await add_tool(sessions, CODE)
    gone = Added(server_id=added.server_id + 1000, tool_id=added.tool_id + 1000)
    writer.submit(sessions, record(added, client_id="kept"))
    writer.submit(sessions, record(gone, client_id="gone"))
    assert await writer.flush()
    kept, orphan = await stored(sessions)
    assert (kept.server_id, kept.tool_id) == (added.server_id, added.tool_id)
    assert (orphan.server_id, orphan.tool_id, orphan.tool_name) == (None, None, "probe")


async def test_close_writes_what_is_waiting(sessions: Sessions) -> None:
    added = await add_tool(sessions, CODE)
    writer = ExecutionLogWriter()
    writer.submit(sessions, record(added, client_id="last"))
    await writer.close()
    assert [row.client_id for row in await stored(sessions)] == ["last"]


async def test_logs_are_listed_newest_first_and_filtered_by_tool_and_status(
    sessions: Sessions, writer: ExecutionLogWriter
) -> None:
    probe = await add_tool(sessions, CODE)
    other = await add_tool(sessions, CODE, server="other")
    writer.submit(sessions, record(probe))
    writer.submit(sessions, record(probe, ExecutionStatus.ERROR))
    writer.submit(sessions, record(other, server_name="other"))
    assert await writer.flush()
    first, failed, _ = (row.id for row in await stored(sessions))
    async with transaction(sessions, None) as session:
        everything = await get_tool_logs(session, "weather")
        errors = await get_tool_logs(session, "weather", "probe", "error")
        paged = await get_tool_logs(session, "weather", page=2, page_size=1)
    assert [item.id for item in everything.items] == [failed, first]
    assert [item.id for item in errors.items] == [failed]
    assert (paged.total, [item.id for item in paged.items]) == (2, [first])
    assert everything.items[0].client_id == "claude"


async def test_log_queries_name_what_is_wrong(sessions: Sessions) -> None:
    await add_tool(sessions, CODE)
    async with transaction(sessions, None) as session:
        with pytest.raises(NotFoundError, match="no server 'nope'"):
            await get_tool_logs(session, "nope")
        with pytest.raises(NotFoundError, match="has no tool 'nope'"):
            await get_tool_logs(session, "weather", "nope")
        with pytest.raises(InvalidInputError, match="status: must be one of ok, error, timeout"):
            await get_tool_logs(session, "weather", status="fine")
