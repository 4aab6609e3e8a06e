"""The record of C# snippet runs: one row per run and version, and an activity entry for each.

Admins see who ran what, on which version, how it ended and how long it took; the code itself
is kept `dotnet_snippet_code_retention_days` (the log retention job erases it, keeping its
SHA-256) and the rows follow `log_retention_days` like the other logs. Recording happens after a
run, in its own short transaction, so no transaction is held open while code runs.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ConfigDict
from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.events import EventBus
from polybox.forge.actors import Actor
from polybox.forge.dashboard import percentile
from polybox.forge.errors import NotFoundError
from polybox.forge.pages import Page, paginate
from polybox.forge.schemas import Out
from polybox.forge.unit import record_activity, transaction
from polybox.store.enums import ActorKind
from polybox.store.models import SnippetRun
from polybox.store.types import utcnow
from polybox.workspaces.rules import owner_of

ACTION = "dotnet.snippet_run"
TARGET_KIND = "snippet_run"
DAYS = 7
LATENCY_SAMPLE = 20_000


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class SnippetRecorder:
    """Records the runs of one MCP call (its caller) into the store and the activity log."""

    sessions: async_sessionmaker[AsyncSession]
    events: EventBus | None
    actor: Actor

    async def record(self, code: str, version: str, outcome: str, seconds: float) -> None:
        async with transaction(self.sessions, self.events) as session:
            run = SnippetRun(
                actor_kind=self.actor.kind,
                owner=owner_of(self.actor)[:255],
                version=version,
                outcome=outcome,
                duration_ms=round(seconds * 1000, 1),
                code_hash=code_hash(code),
                code=code,
            )
            session.add(run)
            await session.flush()
            record_activity(
                session,
                self.actor,
                ACTION,
                target_kind=TARGET_KIND,
                target_id=run.id,
                details={
                    "owner": run.owner,
                    "version": version,
                    "outcome": outcome,
                    "duration_ms": run.duration_ms,
                    "code_hash": run.code_hash,
                },
            )


class SnippetRunOut(Out):
    """One run as admins see it; `code` is None once the retention period erased it."""

    model_config = ConfigDict(from_attributes=True)  # read from a SnippetRun row

    id: int
    actor_kind: ActorKind
    owner: str
    version: str
    outcome: str
    duration_ms: float
    code_hash: str
    code: str | None
    created_at: datetime


async def list_runs(session: AsyncSession, *, page: int, page_size: int) -> Page[SnippetRunOut]:
    """The runs, newest first."""
    query = select(SnippetRun).order_by(SnippetRun.created_at.desc(), SnippetRun.id.desc())
    return await paginate(
        session, query, SnippetRunOut.model_validate, page=page, page_size=page_size
    )


async def get_run(session: AsyncSession, run_id: int) -> SnippetRunOut:
    run = await session.get(SnippetRun, run_id)
    if run is None:
        raise NotFoundError(f"no snippet run {run_id}; its record may have passed log retention")
    return SnippetRunOut.model_validate(run)


class DaySnippets(Out):
    """Snippet runs on the day beginning at `day` (UTC), and how many did not end `ok`."""

    day: datetime
    runs: int
    failures: int


class VersionLatency(Out):
    """One version's runs in the window; percentiles in ms (None without runs)."""

    version: str
    runs: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None


class SnippetStats(Out):
    """The dashboard's snippet numbers: DAYS daily buckets, oldest first, and per version."""

    per_day: list[DaySnippets]
    per_version: list[VersionLatency]


async def snippet_stats(session: AsyncSession, now: datetime | None = None) -> SnippetStats:
    """Runs and failures per UTC day over the last DAYS days (exact, one scan of portable CASE
    sums as the tool-call dashboard does); per version, exact counts and p50/p95 from the
    newest LATENCY_SAMPLE runs of the window, so the cost stays bounded."""
    now = now or utcnow()
    first_day = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS - 1)
    in_window = SnippetRun.created_at >= first_day
    failed = SnippetRun.outcome != "ok"
    starts = [first_day + timedelta(days=index) for index in range(DAYS)]
    columns = []
    for start in starts:
        inside = and_(SnippetRun.created_at >= start, SnippetRun.created_at < start + timedelta(1))
        columns += [
            func.sum(case((inside, 1), else_=0)),
            func.sum(case((and_(inside, failed), 1), else_=0)),
        ]
    counts = (await session.execute(select(*columns).where(in_window))).one()
    totals = await session.execute(
        select(SnippetRun.version, func.count(), func.sum(case((failed, 1), else_=0)))
        .where(in_window)
        .group_by(SnippetRun.version)
    )
    sample = await session.execute(
        select(SnippetRun.version, SnippetRun.duration_ms)
        .where(in_window)
        .order_by(SnippetRun.created_at.desc(), SnippetRun.id.desc())
        .limit(LATENCY_SAMPLE)
    )
    durations: dict[str, list[float]] = defaultdict(list)
    for version, duration in sample.all():
        durations[version].append(duration)
    per_version = [
        VersionLatency(
            version=version,
            runs=int(runs),
            failures=int(failures or 0),
            p50_ms=percentile(sorted(durations[version]), 50),
            p95_ms=percentile(sorted(durations[version]), 95),
        )
        for version, runs, failures in totals.all()
    ]
    return SnippetStats(
        per_day=[
            DaySnippets(day=day, runs=int(counts[2 * i] or 0), failures=int(counts[2 * i + 1] or 0))
            for i, day in enumerate(starts)
        ],
        per_version=sorted(per_version, key=lambda item: int(item.version)),
    )
