"""/api/dashboard: the service's numbers over HTTP, for admins only."""

from __future__ import annotations

import httpx
import pytest

from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.store.enums import ExecutionStatus
from polybox.store.models import ExecutionLog

pytestmark = pytest.mark.anyio


async def test_the_dashboard_shows_the_last_calls_and_every_status(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    async with transaction(instance.sessions, None) as session:
        session.add_all(
            ExecutionLog(
                server_name="weather", tool_name="now", status=status, duration_ms=duration
            )
            for status, duration in ((ExecutionStatus.OK, 4.0), (ExecutionStatus.ERROR, 8.0))
        )
    response = await api.get("/api/dashboard", headers=admin_headers)
    assert response.status_code == 200
    board = response.json()
    assert board["servers"] == {"stopped": 0, "running": 0}
    assert (board["calls"], board["errors"], board["error_rate"]) == (2, 1, 0.5)
    assert board["calls_per_hour"][-1]["calls"] == 2
    assert board["latency"] == [
        {"server": "weather", "tool": "now", "calls": 2, "errors": 1, "p50_ms": 4.0, "p95_ms": 8.0}
    ]


async def test_the_dashboard_needs_an_admin(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/dashboard")
    assert (response.status_code, response.json()["error"]["type"]) == (401, "unauthorized")
