"""Dashboard numbers from seeded execution logs and real servers, tools and requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge import dashboard as dashboard_module
from polybox.forge.actors import admin, llm
from polybox.forge.approvals import request_publish
from polybox.forge.dashboard import dashboard
from polybox.forge.requests import request_module, request_network_access
from polybox.forge.servers import create_server, start_server
from polybox.forge.tools import create_tool
from polybox.forge.unit import transaction
from polybox.store.enums import ExecutionStatus, ServerStatus, ToolStatus
from polybox.store.models import ExecutionLog

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.anyio
ROOT = admin("root")
CLAUDE = llm("claude")
CODE = 'async def main(city: str) -> str:\n    """Now."""\n    return city\n'
NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _log(tool: str, minutes_ago: float, duration_ms: float, status: str = "ok") -> ExecutionLog:
    return ExecutionLog(
        server_name="weather",
        tool_name=tool,
        status=ExecutionStatus(status),
        duration_ms=duration_ms,
        created_at=NOW - timedelta(minutes=minutes_ago),
    )


async def _seed_logs(sessions: Sessions, logs: list[ExecutionLog]) -> None:
    async with transaction(sessions, None) as session:
        session.add_all(logs)


async def test_counts_list_every_status_and_what_waits_for_a_decision(sessions: Sessions) -> None:
    async with transaction(sessions, None) as session:
        await create_server(session, CLAUDE, "weather")
        await create_server(session, CLAUDE, "mail")
        await start_server(session, ROOT, "weather")
        await create_tool(session, CLAUDE, "weather", "now", CODE)
        await create_tool(session, CLAUDE, "weather", "later", CODE)
        await request_publish(session, CLAUDE, "weather", "now")
        await request_module(session, CLAUDE, "weather", "yaml", "parse configs")
        await request_network_access(
            session, CLAUDE, "weather", "api.example.com", reason="forecasts"
        )
    async with sessions() as session:
        board = await dashboard(session, NOW)
    assert board.servers == {ServerStatus.RUNNING: 1, ServerStatus.STOPPED: 1}
    assert board.tools == {
        ToolStatus.DRAFT: 1,
        ToolStatus.PENDING_REVIEW: 1,
        ToolStatus.APPROVED: 0,
        ToolStatus.REJECTED: 0,
    }
    assert (board.pending_approvals.tools, board.pending_approvals.modules) == (1, 1)
    assert board.pending_approvals.network == 1
    assert (board.calls, board.error_rate, board.latency, board.slowest_tools) == (0, 0.0, [], [])
    assert [bucket.calls for bucket in board.calls_per_hour] == [0] * 24


async def test_calls_per_hour_are_zero_filled_and_the_window_is_the_last_24_hours(
    sessions: Sessions,
) -> None:
    await _seed_logs(
        sessions,
        [
            _log("now", 0, 10),  # 12:30, the current hour
            _log("now", 25, 10, "error"),  # 12:05
            _log("now", 31, 10),  # 11:59
            _log("now", 23 * 60 + 30, 10, "timeout"),  # 13:00 yesterday: the oldest bucket
            _log("now", 23 * 60 + 31, 10),  # 12:59 yesterday: outside
        ],
    )
    async with sessions() as session:
        board = await dashboard(session, NOW)
    hours = board.calls_per_hour
    assert len(hours) == 24
    assert (hours[0].hour, hours[-1].hour) == (
        NOW - timedelta(hours=23, minutes=30),
        NOW - timedelta(minutes=30),
    )
    assert [(b.calls, b.errors) for b in (hours[0], hours[-2], hours[-1])] == [
        (1, 1),
        (1, 0),
        (2, 1),
    ]
    assert sum(bucket.calls for bucket in hours[1:-2]) == 0
    assert (board.calls, board.errors, board.error_rate) == (4, 2, 0.5)


async def test_percentiles_per_tool_and_the_slowest_tools_by_p95(sessions: Sessions) -> None:
    fast = [_log("fast", minute, 1 + minute) for minute in range(20)]  # 1..20 ms
    slow = [_log("slow", minute, 100.0 * (minute + 1), "error") for minute in range(4)]
    await _seed_logs(sessions, fast + slow)
    async with sessions() as session:
        board = await dashboard(session, NOW)
    by_tool = {tool.tool: tool for tool in board.latency}
    assert [tool.tool for tool in board.latency] == ["fast", "slow"]  # most calls first
    assert (by_tool["fast"].p50_ms, by_tool["fast"].p95_ms) == (10.0, 19.0)
    assert (by_tool["slow"].p50_ms, by_tool["slow"].p95_ms, by_tool["slow"].errors) == (
        200.0,
        400.0,
        4,
    )
    assert [tool.tool for tool in board.slowest_tools] == ["slow", "fast"]
    assert board.latency_sampled is False


async def test_percentiles_come_from_the_most_recent_calls_when_the_window_is_busy(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_module, "LATENCY_SAMPLE", 3)
    await _seed_logs(
        sessions,
        [_log("now", minute, 5.0) for minute in range(3)] + [_log("old", 60, 999.0)],
    )
    async with sessions() as session:
        board = await dashboard(session, NOW)
    by_tool = {tool.tool: tool for tool in board.latency}
    assert (by_tool["now"].p95_ms, by_tool["old"].calls, by_tool["old"].p95_ms) == (5.0, 1, None)
    assert board.latency_sampled is True
    assert [tool.tool for tool in board.slowest_tools] == ["now"]
