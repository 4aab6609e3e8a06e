"""The admin's review queue: tools pending review, each with what changed since its last approval.

The last approved version is read from the activity log (the approval records name the version
they approved), because a tool sent back for review no longer points at it; a tool never approved
is diffed against nothing, so the whole code shows as added.
"""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.schemas import ToolOut, ToolReviewOut
from polybox.forge.servers import find_server
from polybox.forge.sorting import ordering
from polybox.forge.tool_rows import LOADED, current_code, tool_out
from polybox.forge.versions import unified_diff
from polybox.store.enums import ToolStatus
from polybox.store.models import ActivityLog, Tool, ToolVersion

APPROVAL_ACTIONS = ("tool.approved", "tool.auto_approved")
SORT_FIELDS = {"name": Tool.name, "created_at": Tool.created_at, "updated_at": Tool.updated_at}


async def list_tool_reviews(
    session: AsyncSession,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    server: str | int | None = None,
    sort: str | None = None,
) -> Page[ToolReviewOut]:
    """Tools pending review (of one server if given), longest waiting first unless `sort` says."""
    order = ordering(sort, SORT_FIELDS, default="updated_at", tiebreak=Tool.id)
    query = select(Tool).where(Tool.status == ToolStatus.PENDING_REVIEW).options(*LOADED)
    if server is not None:
        query = query.where(Tool.server_id == (await find_server(session, server)).id)
    rows: list[Tool] = []

    def keep(row: Tool) -> ToolOut:
        rows.append(row)
        return tool_out(row)

    listed = await paginate(session, query.order_by(*order), keep, page=page, page_size=page_size)
    bases = await _approved_codes(session, await _last_approved(session, rows))
    items = []
    for row, out in zip(rows, listed.items, strict=True):
        number, base_code = bases.get(row.id, (None, ""))
        code = current_code(row)
        diff = unified_diff(
            base_code,
            code,
            old_name="(never approved)" if number is None else f"version {number} (approved)",
            new_name=f"version {out.current_version} (current)",
        )
        items.append(
            ToolReviewOut(
                tool=out.model_copy(update={"code": code}), base_version=number, diff=diff
            )
        )
    return Page[ToolReviewOut](
        items=items,
        total=listed.total,
        page=listed.page,
        page_size=listed.page_size,
        pages=listed.pages,
    )


async def _last_approved(session: AsyncSession, rows: list[Tool]) -> dict[int, int]:
    """Tool id -> the version number its latest approval record names."""
    if not rows:
        return {}
    records = await session.execute(
        select(ActivityLog.target_id, ActivityLog.details)
        .where(
            ActivityLog.target_kind == "tool",
            ActivityLog.target_id.in_([str(row.id) for row in rows]),
            ActivityLog.action.in_(APPROVAL_ACTIONS),
        )
        .order_by(ActivityLog.id.desc())
    )
    found: dict[int, int] = {}
    for target_id, details in records.all():
        version = details.get("version")
        if target_id is not None and isinstance(version, int):
            found.setdefault(int(target_id), version)
    return found


async def _approved_codes(
    session: AsyncSession, numbers: dict[int, int]
) -> dict[int, tuple[int, str]]:
    """Tool id -> (number, code) of those versions that still exist."""
    if not numbers:
        return {}
    versions = await session.execute(
        select(ToolVersion.tool_id, ToolVersion.number, ToolVersion.code).where(
            tuple_(ToolVersion.tool_id, ToolVersion.number).in_(list(numbers.items()))
        )
    )
    return {tool_id: (number, code) for tool_id, number, code in versions.all()}
