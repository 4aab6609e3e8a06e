"""The admin dashboard's numbers: what exists, what waits for a decision, how calls went.

Counts are exact. Call statistics cover the 24 hours up to now in hourly buckets (UTC, the
current hour included, so the oldest bucket starts 23 h before the current one). Latency
percentiles are computed here from the durations of the most recent LATENCY_SAMPLE calls of the
window, the same way on SQLite and PostgreSQL, so their cost stays bounded however busy the
instance is; `latency_sampled` says when older calls were left out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.schemas import Out
from polybox.store.enums import ExecutionStatus, RequestStatus, ServerStatus, ToolStatus
from polybox.store.models import ExecutionLog, ModuleRequest, NetworkRequest, Server, Tool
from polybox.store.types import utcnow

HOURS = 24
LATENCY_SAMPLE = 20_000
SLOWEST = 5

State = TypeVar("State", bound=StrEnum)


class HourCalls(Out):
    """Calls that started in the hour beginning at `hour` (UTC), and how many failed."""

    hour: datetime
    calls: int
    errors: int


class ToolLatency(Out):
    """A tool's calls in the window; percentiles in ms, None when no sampled call was its."""

    server: str
    tool: str
    calls: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None


class PendingApprovals(Out):
    tools: int
    modules: int
    network: int


class ForgeDashboardOut(Out):
    """The tool forge's part of the dashboard; counts by status list every status, zero included."""

    generated_at: datetime
    servers: dict[ServerStatus, int]
    tools: dict[ToolStatus, int]
    pending_approvals: PendingApprovals
    calls_per_hour: list[HourCalls]  # HOURS buckets, oldest first
    calls: int
    errors: int  # calls that ended in an error or a timeout
    error_rate: float  # errors / calls, 0 when there were no calls
    latency: list[ToolLatency]  # every tool called in the window, most calls first
    slowest_tools: list[ToolLatency]  # the SLOWEST tools by p95
    latency_sampled: bool


async def dashboard(session: AsyncSession, now: datetime | None = None) -> ForgeDashboardOut:
    """The dashboard as of `now` (default: the current time)."""
    now = now or utcnow()
    first_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    hourly = await _calls_per_hour(session, first_hour)
    latency, sampled = await _latency(session, first_hour)
    calls = sum(bucket.calls for bucket in hourly)
    errors = sum(bucket.errors for bucket in hourly)
    timed = [tool for tool in latency if tool.p95_ms is not None]
    return ForgeDashboardOut(
        generated_at=now,
        servers=await _count_by(session, Server.status, ServerStatus),
        tools=await _count_by(session, Tool.status, ToolStatus),
        pending_approvals=await _pending(session),
        calls_per_hour=hourly,
        calls=calls,
        errors=errors,
        error_rate=errors / calls if calls else 0.0,
        latency=latency,
        slowest_tools=sorted(timed, key=lambda tool: -(tool.p95_ms or 0.0))[:SLOWEST],
        latency_sampled=sampled,
    )


async def _count_by(
    session: AsyncSession, column: SQLColumnExpression[State], states: type[State]
) -> dict[State, int]:
    counted = dict((await session.execute(select(column, func.count()).group_by(column))).all())
    return {state: int(counted.get(state, 0)) for state in states}


async def _pending(session: AsyncSession) -> PendingApprovals:
    async def count(column: ColumnElement[bool]) -> int:
        return int(await session.scalar(select(func.count()).where(column)) or 0)

    return PendingApprovals(
        tools=await count(Tool.status == ToolStatus.PENDING_REVIEW),
        modules=await count(ModuleRequest.status == RequestStatus.PENDING),
        network=await count(NetworkRequest.status == RequestStatus.PENDING),
    )


def _failed() -> ColumnElement[bool]:
    return ExecutionLog.status != ExecutionStatus.OK


async def _calls_per_hour(session: AsyncSession, first_hour: datetime) -> list[HourCalls]:
    """One scan of the window, counted into hourly buckets by portable CASE expressions."""
    starts = [first_hour + timedelta(hours=index) for index in range(HOURS)]
    columns = []
    for start in starts:
        inside = and_(
            ExecutionLog.created_at >= start,
            ExecutionLog.created_at < start + timedelta(hours=1),
        )
        columns.append(func.sum(case((inside, 1), else_=0)))
        columns.append(func.sum(case((and_(inside, _failed()), 1), else_=0)))
    query = select(*columns).where(ExecutionLog.created_at >= first_hour)
    counts = (await session.execute(query)).one()
    return [
        HourCalls(hour=start, calls=int(counts[2 * i] or 0), errors=int(counts[2 * i + 1] or 0))
        for i, start in enumerate(starts)
    ]


async def _latency(session: AsyncSession, first_hour: datetime) -> tuple[list[ToolLatency], bool]:
    """Per-tool counts (exact) and percentiles (from the sample); whether the sample was cut."""
    in_window = ExecutionLog.created_at >= first_hour
    name = (ExecutionLog.server_name, ExecutionLog.tool_name)
    totals = await session.execute(
        select(*name, func.count(), func.sum(case((_failed(), 1), else_=0)))
        .where(in_window)
        .group_by(*name)
    )
    sample = await session.execute(
        select(*name, ExecutionLog.duration_ms)
        .where(in_window)
        .order_by(ExecutionLog.created_at.desc(), ExecutionLog.id.desc())
        .limit(LATENCY_SAMPLE + 1)
    )
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    rows = sample.all()
    for server, tool, duration in rows[:LATENCY_SAMPLE]:
        durations[server, tool].append(duration)
    tools = []
    for server, tool, calls, errors in totals.all():
        timed = sorted(durations.get((server, tool), []))
        tools.append(
            ToolLatency(
                server=server,
                tool=tool,
                calls=int(calls),
                errors=int(errors or 0),
                p50_ms=percentile(timed, 50),
                p95_ms=percentile(timed, 95),
            )
        )
    tools.sort(key=lambda item: (-item.calls, item.server, item.tool))
    return tools, len(rows) > LATENCY_SAMPLE


def percentile(ordered: list[float], percent: int) -> float | None:
    """Nearest-rank percentile of ascending values (a value that occurred), None if empty."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]
