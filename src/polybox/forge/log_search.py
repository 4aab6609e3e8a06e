"""Execution logs as admins search them: across servers, by names, status and time range.

Filters match the server and tool names stored on each log, so logs of deleted servers and tools
stay findable; an unknown name is an empty result, not an error.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.errors import FieldError, InvalidInputError, NotFoundError
from polybox.forge.logs import log_out
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.schemas import ExecutionLogOut
from polybox.forge.sorting import ordering
from polybox.store.enums import ExecutionStatus
from polybox.store.models import ExecutionLog

SORT_FIELDS = {"created_at": ExecutionLog.created_at, "duration_ms": ExecutionLog.duration_ms}


async def search_logs(
    session: AsyncSession,
    *,
    server: str | None = None,
    tool: str | None = None,
    status: ExecutionStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    sort: str | None = None,
) -> Page[ExecutionLogOut]:
    """Logs matching every filter given, newest first unless `sort` says otherwise.

    `since` is inclusive and `until` exclusive; both must carry a time zone.
    """
    _check_range(since, until)
    order = ordering(sort, SORT_FIELDS, default="-created_at", tiebreak=ExecutionLog.id)
    query = select(ExecutionLog).order_by(*order)
    if server is not None:
        query = query.where(ExecutionLog.server_name == server)
    if tool is not None:
        query = query.where(ExecutionLog.tool_name == tool)
    if status is not None:
        query = query.where(ExecutionLog.status == status)
    if since is not None:
        query = query.where(ExecutionLog.created_at >= since)
    if until is not None:
        query = query.where(ExecutionLog.created_at < until)
    return await paginate(session, query, log_out, page=page, page_size=page_size)


async def get_log(session: AsyncSession, log_id: int) -> ExecutionLogOut:
    """One execution log by id; NotFoundError when there is none (it may have expired)."""
    row = await session.get(ExecutionLog, log_id)
    if row is None:
        raise NotFoundError(f"no execution log {log_id}; logs older than the retention expire")
    return log_out(row)


def _check_range(since: datetime | None, until: datetime | None) -> None:
    problems = [
        FieldError(name, "give a time zone, e.g. 2025-01-31T12:00:00Z")
        for name, value in (("since", since), ("until", until))
        if value is not None and value.tzinfo is None
    ]
    if not problems and since is not None and until is not None and since >= until:
        problems.append(FieldError("until", "must be later than since"))
    if problems:
        raise InvalidInputError.of_fields("invalid time range", problems)
