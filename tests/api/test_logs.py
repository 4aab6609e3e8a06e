"""/logs: execution logs searched by server, tool, status and time; one log by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from polybox.instance import Instance
from polybox.store.enums import ExecutionStatus
from polybox.store.models import ExecutionLog

pytestmark = pytest.mark.anyio
Headers = dict[str, str]
# Recent, so the log retention job that the instance starts never counts these as expired.
START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)


@pytest.fixture
async def logs(instance: Instance) -> None:
    """Three calls a minute apart: weather/now ok, weather/now error, maps/route ok.

    Written as the runner's log writer writes them (the runner needs the sandbox, not the point
    here).
    """
    calls = [
        ("weather", "now", ExecutionStatus.OK),
        ("weather", "now", ExecutionStatus.ERROR),
        ("maps", "route", ExecutionStatus.OK),
    ]
    async with instance.sessions.begin() as session:
        for minute, (server, tool, status) in enumerate(calls):
            session.add(
                ExecutionLog(
                    server_name=server, tool_name=tool, status=status, duration_ms=10.0 - minute,
                    arguments={"city": "Oslo"}, created_at=START + timedelta(minutes=minute),
                )
            )  # fmt: skip


@pytest.mark.usefixtures("logs")
async def test_logs_are_filtered_by_server_tool_status_and_time(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    every = (await api.get("/api/logs", headers=admin_headers)).json()
    assert [(i["server"], i["status"]) for i in every["items"]] == [
        ("maps", "ok"),
        ("weather", "error"),
        ("weather", "ok"),
    ]
    errors = await api.get(
        "/api/logs",
        params={"server": "weather", "tool": "now", "status": "error"},
        headers=admin_headers,
    )
    assert [i["status"] for i in errors.json()["items"]] == ["error"]
    window = await api.get(
        "/api/logs",
        params={
            "since": (START + timedelta(minutes=1)).isoformat(),
            # an instant between the second and third call, written in another zone
            "until": (START + timedelta(minutes=1, seconds=30))
            .astimezone(timezone(timedelta(hours=1)))
            .isoformat(),
        },
        headers=admin_headers,
    )
    assert [i["tool"] for i in window.json()["items"]] == ["now"]
    fastest = await api.get(
        "/api/logs", params={"sort": "duration_ms", "page_size": 1}, headers=admin_headers
    )
    assert (fastest.json()["items"][0]["tool"], fastest.json()["pages"]) == ("route", 3)
    one = await api.get(f"/api/logs/{every['items'][0]['id']}", headers=admin_headers)
    assert one.json()["arguments"] == {"city": "Oslo"}


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"status": "maybe"}, ["query.status"]),
        ({"since": "yesterday"}, ["query.since"]),
        ({"since": "2025-01-01T00:00:00"}, ["query.since"]),  # no time zone
        ({"since": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, ["until"]),
        ({"page": 0, "page_size": 201}, ["query.page", "query.page_size"]),
        ({"sort": "arguments"}, ["query.sort"]),
    ],
)
async def test_bad_filters_are_422_naming_them(
    api: httpx.AsyncClient,
    admin_headers: Headers,
    params: dict[str, str | int],
    fields: list[str],
) -> None:
    response = await api.get("/api/logs", params=params, headers=admin_headers)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == fields


async def test_an_unknown_log_is_404_and_logs_need_an_admin(
    api: httpx.AsyncClient, admin_headers: Headers
) -> None:
    assert (await api.get("/api/logs/12345", headers=admin_headers)).status_code == 404
    assert (await api.get("/api/logs/0", headers=admin_headers)).status_code == 422
    assert (await api.get("/api/logs")).status_code == 401
