"""One transaction per service call, with its activity records and change events.

Service functions queue events with `queue_event(session, …)` and audit rows with
`record_activity(session, …)`; `transaction()` commits and only then publishes the events, so no
replica hears of a change that was rolled back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.events import EventBus, EventKind, Scalar
from polybox.forge.actors import Actor
from polybox.store.models import ActivityLog

_PENDING = "polybox.pending_events"


def queue_event(session: AsyncSession, kind: EventKind, data: Mapping[str, Scalar]) -> None:
    """Publish `kind` after this session's transaction commits."""
    session.info.setdefault(_PENDING, []).append((kind, dict(data)))


def record_activity(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    target_kind: str | None = None,
    target_id: int | str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add an audit row (same transaction as the change it describes)."""
    session.add(
        ActivityLog(
            actor_kind=actor.kind,
            actor_name=actor.name,
            action=action,
            target_kind=target_kind,
            target_id=None if target_id is None else str(target_id),
            details=dict(details or {}),
        )
    )


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession], events: EventBus | None
) -> AsyncIterator[AsyncSession]:
    """A session that commits on success, rolls back on error, then publishes queued events."""
    async with sessions() as session:
        async with session.begin():
            yield session
        pending: list[tuple[EventKind, dict[str, Scalar]]] = session.info.pop(_PENDING, [])
    if events is not None:
        for kind, data in pending:
            await events.publish(kind, data)
