"""The activity log as admins read it: who changed what, filtered, newest first.

Rows are written by `unit.record_activity` in the transaction of the change they describe; this
module only reads them (`list_activity` for pages, `activity_after` for the live feed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.errors import FieldError, InvalidInputError
from polybox.forge.names import SEPARATOR
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.schemas import Out
from polybox.store.enums import ActorKind
from polybox.store.models import (
    ActivityLog,
    AdminUser,
    ApiToken,
    ExternalSource,
    ModuleRequest,
    NetworkRequest,
    Server,
    Tool,
)

ActivitySort = Literal["-created_at", "created_at"]


class ActivityOut(Out):
    """One audited action: the actor, what it did (`server.created`, …) and to what."""

    id: int
    actor_kind: ActorKind
    actor_name: str
    action: str
    target_kind: str | None
    target_id: str | None
    # What the target is called now (`weather__current`, `alice`), None once it is gone.
    target_name: str | None = None
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ActivityFilter:
    """Which rows to show; every field left None matches everything.

    `since` is inclusive and `until` exclusive, so consecutive windows never overlap.
    """

    actor_kind: ActorKind | None = None
    actor_name: str | None = None
    action: str | None = None
    target_kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        """InvalidInputError for a naive or unrepresentable time, or an empty time range."""
        problems = [
            FieldError(name, "must be an aware time within years 1..9999 UTC")
            for name, value in (("since", self.since), ("until", self.until))
            if value is not None and not _representable(value)
        ]
        if not problems and self.since and self.until and self.since >= self.until:
            problems.append(FieldError("until", "must be later than since"))
        if problems:
            raise InvalidInputError.of_fields("invalid activity filter", problems)

    def apply(self, query: Select[ActivityLog]) -> Select[ActivityLog]:
        if self.actor_kind is not None:
            query = query.where(ActivityLog.actor_kind == self.actor_kind)
        if self.actor_name is not None:
            query = query.where(ActivityLog.actor_name == self.actor_name)
        if self.action is not None:
            query = query.where(ActivityLog.action == self.action)
        if self.target_kind is not None:
            query = query.where(ActivityLog.target_kind == self.target_kind)
        if self.since is not None:
            query = query.where(ActivityLog.created_at >= self.since)
        if self.until is not None:
            query = query.where(ActivityLog.created_at < self.until)
        return query


async def list_activity(
    session: AsyncSession,
    where: ActivityFilter,
    *,
    sort: ActivitySort = "-created_at",
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[ActivityOut]:
    """One page of the matching rows, newest first unless `sort` says `created_at`."""
    query = where.apply(select(ActivityLog))
    if sort == "created_at":
        query = query.order_by(ActivityLog.created_at, ActivityLog.id)
    else:
        query = query.order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc())
    found = await paginate(session, query, activity_out, page=page, page_size=page_size)
    return found.model_copy(update={"items": await _named(session, found.items)})


async def activity_after(
    session: AsyncSession, where: ActivityFilter, after_id: int, limit: int
) -> list[ActivityOut]:
    """Matching rows with an id above `after_id`, oldest first, at most `limit`."""
    query = where.apply(select(ActivityLog).where(ActivityLog.id > after_id))
    rows = await session.scalars(query.order_by(ActivityLog.id).limit(limit))
    return await _named(session, [activity_out(row) for row in rows])


async def latest_activity_id(session: AsyncSession) -> int:
    """The highest activity id so far (0 when there is none): where a live feed starts."""
    return int(await session.scalar(select(func.max(ActivityLog.id))) or 0)


# How each kind of target is named: its row's name column (a tool's is `<server>__<tool>`).
_TARGET_NAMES: dict[str, tuple[Any, Any]] = {
    "server": (Server.id, Server.name),
    "admin": (AdminUser.id, AdminUser.username),
    "api_token": (ApiToken.id, ApiToken.name),
    "external_source": (ExternalSource.id, ExternalSource.name),
    "module_request": (ModuleRequest.id, ModuleRequest.module),
    "network_request": (NetworkRequest.id, NetworkRequest.host),
}


async def _named(session: AsyncSession, items: list[ActivityOut]) -> list[ActivityOut]:
    """`items` with their targets' current names: one query per kind of target on the page."""
    wanted: dict[str, set[int]] = {}
    for item in items:
        if item.target_kind and item.target_id and item.target_id.isdigit():
            wanted.setdefault(item.target_kind, set()).add(int(item.target_id))
    names: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        if kind == "tool":
            query = (
                select(Tool.id, Server.name + SEPARATOR + Tool.name)
                .join(Server, Tool.server_id == Server.id)
                .where(Tool.id.in_(ids))
            )
        elif kind in _TARGET_NAMES:
            key, name = _TARGET_NAMES[kind]
            query = select(key, name).where(key.in_(ids))
        else:
            continue
        names.update(
            ((kind, str(row_id)), str(name)) for row_id, name in await session.execute(query)
        )
    return [
        item.model_copy(
            update={"target_name": names.get((item.target_kind or "", item.target_id or ""))}
        )
        for item in items
    ]


def _representable(value: datetime) -> bool:
    if value.utcoffset() is None:
        return False
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True


def activity_out(row: ActivityLog) -> ActivityOut:
    return ActivityOut(
        id=row.id,
        actor_kind=row.actor_kind,
        actor_name=row.actor_name,
        action=row.action,
        target_kind=row.target_kind,
        target_id=row.target_id,
        details=row.details,
        created_at=row.created_at,
    )
