"""Execution logs: caps, writes that survive an unreachable store, queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forge.runner_setup import Added, add_tool
from polybox.forge.errors import InvalidInputError, NotFoundError
from polybox.forge.logs import (
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


async def test_big_arguments_results_and_output_are_stored_capped(sessions: Sessions) -> None:
    added = await add_tool(sessions, CODE)
    big = record(added, arguments={"q": "a" * 40_000}, result=["b" * 40_000], stdout="c" * 40_000)
    log_id = await ExecutionLogWriter().write(sessions, big)
    async with sessions() as session:
        row = await session.get(ExecutionLog, log_id)
    assert row is not None
    assert row.arguments["truncated"] is True
    assert isinstance(row.result, dict)
    assert row.result["truncated"] is True
    assert "[cut: 40000 bytes in all" in row.stdout


async def test_a_log_the_store_refused_is_written_with_the_next_one(
    sessions: Sessions, tmp_path: Path
) -> None:
    """The unreachable store is a real one: SQLite in a directory that does not exist."""
    added = await add_tool(sessions, CODE)
    writer = ExecutionLogWriter()
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'x.db'}")
    try:
        first = await writer.write(create_session_factory(broken), record(added, client_id="one"))
    finally:
        await broken.dispose()
    assert first is None
    assert writer.backlog == 1
    second = await writer.write(sessions, record(added, client_id="two"))
    assert second is not None
    assert writer.backlog == 0
    async with sessions() as session:
        clients = (await session.scalars(select(ExecutionLog.client_id))).all()
    assert sorted(str(client) for client in clients) == ["one", "two"]


async def test_a_log_of_a_tool_deleted_meanwhile_keeps_its_names(sessions: Sessions) -> None:
    added = await add_tool(sessions, CODE)
    gone = Added(server_id=added.server_id + 1000, tool_id=added.tool_id + 1000)
    log_id = await ExecutionLogWriter().write(sessions, record(gone))
    async with sessions() as session:
        row = await session.get(ExecutionLog, log_id)
    assert row is not None
    assert (row.server_id, row.tool_id, row.tool_name) == (None, None, "probe")


async def test_logs_are_listed_newest_first_and_filtered_by_tool_and_status(
    sessions: Sessions,
) -> None:
    probe = await add_tool(sessions, CODE)
    other = await add_tool(sessions, CODE, server="other")
    writer = ExecutionLogWriter()
    first = await writer.write(sessions, record(probe))
    failed = await writer.write(sessions, record(probe, ExecutionStatus.ERROR))
    await writer.write(sessions, record(other, server_name="other"))
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
