"""Queries on the `workspaces` table, always within one instance's rows.

Functions take the session (the caller owns the transaction) and the instance label, so no query
can read or change another instance's workspaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.store.enums import StopReason, WorkspaceStatus
from polybox.store.models import Workspace

# A stopped workspace still counts against its owner's total until it is cleaned up.
EXISTING = (WorkspaceStatus.RUNNING, WorkspaceStatus.STOPPED)


async def get(session: AsyncSession, instance: str, workspace_id: str) -> Workspace | None:
    """The row of `workspace_id` in this instance, locked for update where the store can."""
    query = select(Workspace).where(Workspace.instance == instance, Workspace.id == workspace_id)
    return (await session.scalars(query.with_for_update())).one_or_none()


async def count_owned(
    session: AsyncSession, instance: str, owner: str, statuses: Sequence[WorkspaceStatus]
) -> int:
    """How many of `owner`'s workspaces of this instance are in one of `statuses`."""
    query = select(func.count()).where(
        Workspace.instance == instance, Workspace.owner == owner, Workspace.status.in_(statuses)
    )
    return int(await session.scalar(query) or 0)


async def listed(
    session: AsyncSession,
    instance: str,
    *,
    owner: str | None = None,
    statuses: Sequence[WorkspaceStatus] = EXISTING,
) -> list[Workspace]:
    """This instance's workspaces in `statuses` (of `owner` unless None), newest first."""
    query = select(Workspace).where(Workspace.instance == instance, Workspace.status.in_(statuses))
    if owner is not None:
        query = query.where(Workspace.owner == owner)
    return list(await session.scalars(query.order_by(Workspace.created_at.desc(), Workspace.id)))


async def idle_since(
    session: AsyncSession, instance: str, status: WorkspaceStatus, before: datetime
) -> list[Workspace]:
    """Rows in `status` last used (running) or stopped (stopped) before `before`."""
    column = Workspace.last_used_at if status is WorkspaceStatus.RUNNING else Workspace.stopped_at
    query = select(Workspace).where(
        Workspace.instance == instance, Workspace.status == status, column < before
    )
    return list(await session.scalars(query))


def mark(row: Workspace, status: WorkspaceStatus, reason: StopReason, at: datetime) -> None:
    """Record that `row` stopped (or was cleaned up) at `at` because of `reason`."""
    row.status = status
    row.stop_reason = reason
    row.stopped_at = at
    row.ports = []
