"""Alerts to a real webhook receiver on 127.0.0.1: triggers, formats, retries, no secrets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio
import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mcp_clients import serving
from polybox.alerts.monitor import AlertMonitor
from polybox.crypto import SecretBox
from polybox.forge import approvals, requests, secrets, servers, tools
from polybox.forge.actors import admin, llm
from polybox.forge.errors import InvalidInputError
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.sandbox.status import SandboxStatus
from polybox.store.engine import create_engine, create_session_factory
from polybox.store.enums import ExecutionStatus
from polybox.store.models import ActivityLog, ExecutionLog
from polybox.store.types import utcnow

pytestmark = pytest.mark.anyio
Sessions = async_sessionmaker[AsyncSession]
ROOT = admin("root")
CLAUDE = llm("claude")
BOX = SecretBox(b"k" * 32)
ISOLATED = SandboxStatus(backend="bwrap", usable=True, isolated=True)
UNSAFE = SandboxStatus(
    backend="local", usable=True, isolated=False, problem="POLYBOX_SANDBOX=unsafe-local"
)
CODE = 'async def main(city: str) -> dict:\n    """Forecast."""\n    return {}\n'


@dataclass
class Receiver:
    """A webhook endpoint: answers with `statuses` in turn (then 200) and keeps every body."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)

    async def hook(self, request: Request) -> Response:
        self.bodies.append(json.loads(await request.body()))
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = Starlette(routes=[Route("/hook", found.hook, methods=["POST"])])
    async with serving(app, "127.0.0.1") as url:
        found.url = url.removesuffix("/mcp") + "/hook"
        yield found


async def configure(sessions: Sessions, receiver: Receiver, **changes: Any) -> None:
    async with transaction(sessions, None) as session:
        wanted = {"alerts_enabled": True, "alert_webhook_url": receiver.url, **changes}
        await update_settings(session, ROOT, **wanted)


async def add_tool(sessions: Sessions, *, publish: bool = False) -> int:
    async with transaction(sessions, None) as session:
        await servers.create_server(session, CLAUDE, "weather", "Forecasts")
        created = await tools.create_tool(session, CLAUDE, "weather", "forecast", CODE)
        if publish:
            await approvals.request_publish(session, CLAUDE, "weather", "forecast")
        return created.id


async def add_calls(sessions: Sessions, tool_id: int, *, ok: int, failed: int) -> None:
    async with sessions.begin() as session:
        for status in [ExecutionStatus.OK] * ok + [ExecutionStatus.ERROR] * failed:
            session.add(
                ExecutionLog(
                    server_name="weather",
                    tool_name="forecast",
                    tool_id=tool_id,
                    status=status,
                    duration_ms=1.0,
                )
            )


def monitor(sessions: Sessions, sandbox: SandboxStatus = ISOLATED) -> AlertMonitor:
    return AlertMonitor(sessions, BOX, sandbox, base_delay=0.01)


async def test_a_tool_failing_above_the_rate_is_alerted_once_per_cooldown(
    sessions: Sessions, receiver: Receiver
) -> None:
    await configure(sessions, receiver, alert_cooldown_minutes=5)
    tool_id = await add_tool(sessions)
    await add_calls(sessions, tool_id, ok=2, failed=4)
    job = monitor(sessions)
    now = utcnow()

    first = await job.run_once(now)
    again = await job.run_once(now + timedelta(minutes=1))
    after_cooldown = await job.run_once(now + timedelta(minutes=6))

    assert [(sent.key, sent.delivery.delivered) for sent in first] == [
        (f"tool_failures:{tool_id}", True)
    ]
    assert again == []
    assert len(after_cooldown) == 1
    body = receiver.bodies[0]
    assert body["source"] == "polybox"
    assert body["alert"] == "tool_failures"
    assert body["title"] == "Tool weather__forecast is failing"
    assert body["facts"] == {
        "tool": "weather__forecast",
        "calls": 6,
        "failures": 4,
        "failure_rate_percent": 66.7,
        "window_minutes": 15,
    }
    assert len(receiver.bodies) == 2


async def test_a_tool_below_the_rate_or_with_too_few_calls_is_not_alerted(
    sessions: Sessions, receiver: Receiver
) -> None:
    await configure(sessions, receiver, alert_failure_rate_percent=80)
    tool_id = await add_tool(sessions)
    await add_calls(sessions, tool_id, ok=2, failed=4)  # 67% < 80%
    assert await monitor(sessions).run_once() == []
    await configure(sessions, receiver, alert_failure_rate_percent=50)
    assert await monitor(sessions).run_once(utcnow() + timedelta(minutes=16)) == []  # 0 calls
    assert receiver.bodies == []


async def test_a_sandbox_without_isolation_is_alerted_as_a_slack_message(
    sessions: Sessions, receiver: Receiver
) -> None:
    await configure(sessions, receiver, alert_format="slack")

    sent = await monitor(sessions, UNSAFE).run_once()

    assert [item.key for item in sent] == ["sandbox_isolation"]
    (body,) = receiver.bodies
    assert body["text"] == "[polybox] Tool code runs without sandbox isolation"
    header, section, fields = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Tool code runs without sandbox isolation"},
    }
    assert section["type"] == "section"
    assert "POLYBOX_SANDBOX=unsafe-local" in section["text"]["text"]
    assert {"type": "mrkdwn", "text": "*backend*\nlocal"} in fields["fields"]


async def test_reviews_waiting_longer_than_the_threshold_are_alerted_as_a_discord_embed(
    sessions: Sessions, receiver: Receiver
) -> None:
    await configure(sessions, receiver, alert_format="discord", alert_approval_wait_minutes=30)
    await add_tool(sessions, publish=True)
    async with transaction(sessions, None) as session:
        await requests.request_module(session, CLAUDE, "weather", "yaml", "config")
        await requests.request_network_access(session, CLAUDE, "weather", "api.weather.gov")
    job = monitor(sessions)

    assert await job.run_once() == []  # not waiting long enough yet
    sent = await job.run_once(utcnow() + timedelta(minutes=31))

    assert [item.key for item in sent] == ["approvals_waiting"]
    (body,) = receiver.bodies
    assert body["username"] == "polybox"
    (embed,) = body["embeds"]
    assert embed["title"] == "3 reviews waiting"
    assert "tool weather__forecast, module yaml, host api.weather.gov" in embed["description"]
    assert {field["name"]: field["value"] for field in embed["fields"]} == {
        "tools": "1",
        "modules": "1",
        "hosts": "1",
        "oldest_waiting_minutes": "31",
    }
    assert isinstance(embed["color"], int)
    assert embed["timestamp"]


async def test_a_delivery_answered_with_500_is_retried_with_backoff_until_accepted(
    sessions: Sessions, receiver: Receiver
) -> None:
    await configure(sessions, receiver)
    receiver.statuses = [500, 503]

    (sent,) = await monitor(sessions, UNSAFE).run_once()

    assert sent.delivery.delivered
    assert sent.delivery.attempts == 3
    assert len(receiver.bodies) == 3
    assert receiver.bodies[0] == receiver.bodies[2]


async def test_a_delivery_refused_for_good_is_not_retried_and_is_recorded(
    sessions: Sessions, receiver: Receiver
) -> None:
    await configure(sessions, receiver)
    receiver.statuses = [404]

    (sent,) = await monitor(sessions, UNSAFE).run_once()

    assert (sent.delivery.delivered, sent.delivery.attempts) == (False, 1)
    async with sessions() as session:
        failed = await session.scalar(
            select(ActivityLog).where(ActivityLog.action == "alert.delivery_failed")
        )
    assert failed is not None
    assert failed.details == {"attempts": 1, "outcome": "HTTP 404"}
    assert receiver.url not in json.dumps(failed.details)


async def test_no_alert_of_any_format_contains_a_secret_value(
    sessions: Sessions, receiver: Receiver
) -> None:
    """A secret whose value is also a tool's name: the name is redacted from every alert."""
    tool_id = await add_tool(sessions)
    async with transaction(sessions, None) as session:
        await secrets.set_secret_value(session, ROOT, BOX, "weather", "TOKEN", value="forecast")
    await add_calls(sessions, tool_id, ok=0, failed=5)
    for style in ("generic", "slack", "discord"):
        await configure(sessions, receiver, alert_format=style, alert_cooldown_minutes=1)
        now = utcnow() + timedelta(minutes=2 * len(receiver.bodies))
        await monitor(sessions).run_once(now)

    assert len(receiver.bodies) == 3
    for body in receiver.bodies:
        text = json.dumps(body)
        assert "forecast" not in text
        assert "weather__[redacted]" in text


async def test_nothing_is_sent_while_alerts_are_disabled(
    sessions: Sessions, receiver: Receiver
) -> None:
    await configure(sessions, receiver, alerts_enabled=False)

    assert await monitor(sessions, UNSAFE).run_once() == []
    assert receiver.bodies == []


async def test_two_processes_on_one_store_send_each_alert_once(
    db_url: URL, sessions: Sessions, receiver: Receiver
) -> None:
    await configure(sessions, receiver)
    engines = [create_engine(db_url) for _ in range(2)]
    jobs = [monitor(create_session_factory(engine), UNSAFE) for engine in engines]
    results: list[int] = []

    async def run(job: AlertMonitor) -> None:
        results.append(len(await job.run_once()))

    try:
        async with anyio.create_task_group() as group:
            for job in jobs:
                group.start_soon(run, job)
    finally:
        for engine in engines:
            await engine.dispose()

    assert sorted(results) == [0, 1]
    assert len(receiver.bodies) == 1


async def test_a_webhook_url_must_be_http_or_https(sessions: Sessions) -> None:
    async with transaction(sessions, None) as session:
        with pytest.raises(InvalidInputError, match="alert_webhook_url"):
            await update_settings(session, ROOT, alert_webhook_url="ftp://example.com/hook")
