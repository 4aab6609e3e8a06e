"""The problems an admin is alerted about, read from the store as they are now.

Each `Problem` has a stable `key` (at most 64 characters) naming the ongoing problem, so a
problem that lasts is one alert per cool-down, and a fresh key is a new alert. Facts are names
and counts only: no arguments, results, outputs or error texts of tool calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.names import public_tool_name
from polybox.forge.settings import ForgeSettings
from polybox.sandbox.status import SandboxStatus
from polybox.store.enums import ExecutionStatus, RequestStatus, ToolStatus
from polybox.store.models import ExecutionLog, ModuleRequest, NetworkRequest, Server, Tool

MIN_CALLS = 5  # fewer calls in the window say too little about a failure rate
MAX_NAMES = 10  # names listed in one alert; the counts cover the rest

Fact = str | int | float


@dataclass(frozen=True)
class Problem:
    kind: str  # tool_failures | sandbox_isolation | approvals_waiting
    key: str
    title: str
    summary: str
    facts: dict[str, Fact] = field(default_factory=dict)


async def current_problems(
    session: AsyncSession, settings: ForgeSettings, sandbox: SandboxStatus, now: datetime
) -> list[Problem]:
    """Every problem above the settings' thresholds at `now`."""
    found = [] if sandbox.usable and sandbox.isolated else [_sandbox_problem(sandbox)]
    found += await _failing_tools(session, settings, now)
    waiting = await _waiting_reviews(session, settings, now)
    return found + ([waiting] if waiting is not None else [])


def _sandbox_problem(sandbox: SandboxStatus) -> Problem:
    detail = sandbox.problem or "tool code runs without a sandbox"
    return Problem(
        kind="sandbox_isolation",
        key="sandbox_isolation",
        title="Tool code runs without sandbox isolation"
        if sandbox.usable
        else "Tools cannot run: no usable sandbox",
        summary=f"Sandbox backend {sandbox.backend!r}: {detail}. `polybox doctor` shows the fix.",
        facts={"backend": sandbox.backend, "usable": str(sandbox.usable).lower()},
    )


async def _failing_tools(
    session: AsyncSession, settings: ForgeSettings, now: datetime
) -> list[Problem]:
    window = settings.alert_failure_window_minutes
    failed = func.sum(case((ExecutionLog.status != ExecutionStatus.OK, 1), else_=0))
    query = (
        select(ExecutionLog.tool_id, ExecutionLog.server_name, ExecutionLog.tool_name,
               func.count(), failed)
        .where(ExecutionLog.created_at >= now - timedelta(minutes=window),
               ExecutionLog.tool_id.is_not(None))
        .group_by(ExecutionLog.tool_id, ExecutionLog.server_name, ExecutionLog.tool_name)
        .order_by(ExecutionLog.server_name, ExecutionLog.tool_name)
    )  # fmt: skip
    problems = []
    for tool_id, server, tool, calls, failures in (await session.execute(query)).all():
        rate = 100 * int(failures or 0) / calls
        if calls < MIN_CALLS or rate < settings.alert_failure_rate_percent:
            continue
        name = public_tool_name(server, tool)
        problems.append(
            Problem(
                kind="tool_failures",
                key=f"tool_failures:{tool_id}",
                title=f"Tool {name} is failing",
                summary=f"{failures} of its last {calls} calls in {window} minutes failed "
                f"({rate:.0f}%; the threshold is {settings.alert_failure_rate_percent}%).",
                facts={
                    "tool": name,
                    "calls": calls,
                    "failures": int(failures),
                    "failure_rate_percent": round(rate, 1),
                    "window_minutes": window,
                },
            )
        )
    return problems


async def _waiting_reviews(
    session: AsyncSession, settings: ForgeSettings, now: datetime
) -> Problem | None:
    """One problem for everything waiting longer than the threshold (tools, modules, hosts)."""
    since = now - timedelta(minutes=settings.alert_approval_wait_minutes)
    tools = (
        await session.execute(
            select(Server.name, Tool.name, Tool.updated_at)
            .join(Server, Tool.server_id == Server.id)
            .where(Tool.status == ToolStatus.PENDING_REVIEW, Tool.updated_at < since)
            .order_by(Tool.updated_at)
        )
    ).all()
    modules = (
        await session.execute(
            select(ModuleRequest.module, ModuleRequest.created_at)
            .where(ModuleRequest.status == RequestStatus.PENDING, ModuleRequest.created_at < since)
            .order_by(ModuleRequest.created_at)
        )
    ).all()
    hosts = (
        await session.execute(
            select(NetworkRequest.host, NetworkRequest.port, NetworkRequest.created_at)
            .where(
                NetworkRequest.status == RequestStatus.PENDING, NetworkRequest.created_at < since
            )
            .order_by(NetworkRequest.created_at)
        )
    ).all()
    if not (tools or modules or hosts):
        return None
    oldest = min(
        [tool.updated_at for tool in tools]
        + [module.created_at for module in modules]
        + [host.created_at for host in hosts]
    )
    names = [
        *(f"tool {public_tool_name(server, tool)}" for server, tool, _ in tools),
        *(f"module {module}" for module, _ in modules),
        *(f"host {host}" if port is None else f"host {host}:{port}" for host, port, _ in hosts),
    ]
    total = len(names)
    return Problem(
        kind="approvals_waiting",
        key="approvals_waiting",
        title=f"{total} review{'s' * (total != 1)} waiting",
        summary=f"Waiting longer than {settings.alert_approval_wait_minutes} minutes: "
        + ", ".join(names[:MAX_NAMES])
        + (f" and {total - MAX_NAMES} more" if total > MAX_NAMES else "")
        + ". Review them on the Approvals page.",
        facts={
            "tools": len(tools),
            "modules": len(modules),
            "hosts": len(hosts),
            "oldest_waiting_minutes": int((now - oldest).total_seconds() // 60),
        },
    )
