"""The alert job: every interval, find the problems and tell the webhook about new ones.

An alert is claimed before it is sent: an `alert.sent` activity row (target `alert`, the
problem's key) in a transaction that first takes a PostgreSQL advisory lock (on SQLite the
row's insert takes the file's write lock), then checks that no other row for that key lies
within the cool-down. So several processes on one store (replicas, `serve` next to `stdio`)
send each alert once, and the Activity page shows every alert. A delivery that fails after its
retries is recorded as `alert.delivery_failed`; the claim stands, so the next try for that
problem comes after the cool-down. Bodies pass through the secret redaction of tool outputs
with every stored secret value before they are sent.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.alerts.conditions import Problem, current_problems
from polybox.alerts.delivery import BASE_DELAY, Delivery, deliver
from polybox.alerts.formats import render
from polybox.crypto import SecretBox, SecretDecryptError
from polybox.forge.actors import SYSTEM
from polybox.forge.settings import ForgeSettings, get_settings
from polybox.forge.unit import record_activity
from polybox.jobs import PeriodicJob
from polybox.sandbox.redaction import Redactor
from polybox.sandbox.status import SandboxStatus
from polybox.store.models import ActivityLog, ServerSecret
from polybox.store.types import utcnow

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 60.0  # seconds between passes
_LOCK_ID = 0x706F6C79616C7274  # pg advisory lock of alert claims ("polyalrt")


@dataclass(frozen=True)
class Sent:
    """One alert a pass claimed, and how its delivery went."""

    key: str
    delivery: Delivery


class AlertMonitor(PeriodicJob):
    """The background alert job; `start()` it once, `close()` it at shutdown."""

    name = "alerts"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        sandbox: SandboxStatus,
        *,
        interval: float = CHECK_INTERVAL,
        base_delay: float = BASE_DELAY,
    ) -> None:
        super().__init__(interval=interval)
        self._sessions = sessions
        self._box = box
        self._sandbox = sandbox
        self._base_delay = base_delay

    async def run_once(self, now: datetime | None = None) -> list[Sent]:
        """One pass: the alerts this process claimed and delivered (or failed to)."""
        now = now or utcnow()
        async with self._sessions() as session:
            settings = await get_settings(session)
            if not settings.alerts_enabled or not settings.alert_webhook_url:
                return []
            problems = await current_problems(session, settings, self._sandbox, now)
        claimed = [problem for problem in problems if await self._claim(problem, settings, now)]
        if not claimed:
            return []
        redactor = Redactor(await self._secret_values())
        sent = []
        async with httpx.AsyncClient() as client:
            for problem in claimed:
                body = render(_redacted(problem, redactor), settings.alert_format, now)
                delivery = await deliver(
                    client, settings.alert_webhook_url, body, base_delay=self._base_delay
                )
                if not delivery.delivered:
                    await self._record_failure(problem, delivery)
                sent.append(Sent(problem.key, delivery))
        return sent

    async def _claim(self, problem: Problem, settings: ForgeSettings, now: datetime) -> bool:
        """Whether this process may send `problem` now (no alert for its key in the cool-down)."""
        since = now - timedelta(minutes=settings.alert_cooldown_minutes)
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            record_activity(
                session, SYSTEM, "alert.sent", target_kind="alert", target_id=problem.key,
                details={"title": problem.title, **problem.facts},
            )  # fmt: skip
            await session.flush()
            recent = await session.scalar(
                select(func.count()).where(
                    ActivityLog.target_kind == "alert",
                    ActivityLog.target_id == problem.key,
                    ActivityLog.action == "alert.sent",
                    ActivityLog.created_at >= since,
                )
            )
            if (recent or 0) > 1:  # ours and an earlier one
                await session.rollback()
                return False
            await session.commit()
            return True

    async def _record_failure(self, problem: Problem, delivery: Delivery) -> None:
        logger.warning(
            "alert %s not delivered after %d attempts: %s",
            problem.key,
            delivery.attempts,
            delivery.outcome,
        )
        async with self._sessions.begin() as session:
            record_activity(
                session, SYSTEM, "alert.delivery_failed", target_kind="alert",
                target_id=problem.key,
                details={"attempts": delivery.attempts, "outcome": delivery.outcome},
            )  # fmt: skip

    async def _secret_values(self) -> list[str]:
        """Every stored secret value, for redaction (one that no longer decrypts is skipped)."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(ServerSecret.server_id, ServerSecret.key, ServerSecret.ciphertext)
                )
            ).all()
        values = []
        for server_id, key, blob in rows:
            if blob is not None:
                with contextlib.suppress(SecretDecryptError):
                    values.append(self._box.decrypt(blob, server_id=server_id, key=key))
        return values

    async def run_pass(self) -> None:
        await self.run_once()


def _redacted(problem: Problem, redactor: Redactor) -> Problem:
    """`problem` with every secret value removed from its texts (names can hold anything)."""
    return Problem(
        kind=problem.kind,
        key=problem.key,
        title=redactor.text(problem.title),
        summary=redactor.text(problem.summary),
        facts={
            name: redactor.text(value) if isinstance(value, str) else value
            for name, value in problem.facts.items()
        },
    )
