"""/activity: the audit trail, as pages and as a live Server-Sent Events stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import AwareDatetime

from polybox.api.deps import AdminDep, InstanceDep, SessionDep
from polybox.forge.activity import ActivityFilter, ActivityOut, ActivitySort, list_activity
from polybox.forge.activity_feed import following
from polybox.forge.pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from polybox.store.enums import ActorKind

router = APIRouter(prefix="/activity", tags=["activity"])


def activity_filter(
    *,
    actor_kind: ActorKind | None = None,
    actor_name: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target_kind: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[AwareDatetime | None, Query(description="Inclusive, ISO 8601")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Exclusive, ISO 8601")] = None,
) -> ActivityFilter:
    """The filter query parameters shared by the list and the stream."""
    return ActivityFilter(actor_kind, actor_name, action, target_kind, since, until)


FilterDep = Annotated[ActivityFilter, Depends(activity_filter)]


@router.get("", response_model=Page[ActivityOut], summary="List activity, newest first")
async def get_activity(
    *,
    admin: AdminDep,
    session: SessionDep,
    where: FilterDep,
    sort: ActivitySort = "-created_at",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> Page[ActivityOut]:
    return await list_activity(session, where, sort=sort, page=page, page_size=page_size)


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    summary="Follow new activity live (Server-Sent Events)",
    description=(
        "Each matching activity row committed after the client connects, on any replica, is one "
        "`activity` event whose data is the row; the event id resumes the stream "
        "(`Last-Event-ID`, as browsers send it on reconnect). The first line, the comment "
        "`: following`, says the stream is live; a `: ping` comment comes every 15 s while "
        "nothing happens."
    ),
)
async def stream_activity(
    *,
    admin: AdminDep,
    instance: InstanceDep,
    where: FilterDep,
    last_event_id: Annotated[int | None, Header(ge=0, le=2**63 - 1)] = None,
) -> AsyncIterator[ServerSentEvent]:
    async with following(instance.sessions, instance.events, where, last_event_id) as feed:
        yield ServerSentEvent(comment="following")
        async for row in feed:
            yield ServerSentEvent(data=row, event="activity", id=str(feed.resume_id))
