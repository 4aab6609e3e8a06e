"""/api/activity: the filtered list, and the live stream over real HTTP (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
import httpx
import pytest

from mcp_clients import serving
from polybox.app import create_app
from polybox.forge.actors import admin, llm
from polybox.forge.requests import decide_request, request_module
from polybox.forge.servers import create_server
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.store.types import utcnow

pytestmark = pytest.mark.anyio
ROOT = admin("root")
CLAUDE = llm("claude")


async def _server_and_module_request(instance: Instance) -> int:
    """A server created by an LLM, and a pending module request on it; the request id."""
    async with transaction(instance.sessions, instance.events) as session:
        await create_server(session, CLAUDE, "weather")
        request = await request_module(session, CLAUDE, "weather", "yaml", "parse configs")
    return request.id


async def _approve(instance: Instance, request_id: int) -> None:
    async with transaction(instance.sessions, instance.events) as session:
        await decide_request(session, ROOT, "module", request_id, approve=True)


async def test_the_list_is_newest_first_and_filtered_by_actor_and_action(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    request_id = await _server_and_module_request(instance)
    await _approve(instance, request_id)

    everything = (await api.get("/api/activity", headers=admin_headers)).json()
    order = [(row["created_at"], row["id"]) for row in everything["items"]]
    assert order == sorted(order, reverse=True)
    assert everything["items"][0]["actor_name"] == "root"  # the approval came last

    by_llm = await api.get("/api/activity", params={"actor_kind": "llm"}, headers=admin_headers)
    assert [(r["actor_name"], r["action"], r["target_name"]) for r in by_llm.json()["items"]] == [
        ("claude", "module.requested", "yaml"),  # targets by name, not `module_request 1`
        ("claude", "server.created", "weather"),
    ]
    approvals = await api.get(
        "/api/activity",
        params={"actor_name": "root", "action": "module.approved"},
        headers=admin_headers,
    )
    assert [r["target_id"] for r in approvals.json()["items"]] == [str(request_id)]
    requests = await api.get(
        "/api/activity",
        params={"target_kind": "module_request", "sort": "created_at", "page_size": 1, "page": 2},
        headers=admin_headers,
    )
    assert requests.json()["items"][0]["action"] == "module.approved"
    assert (requests.json()["total"], requests.json()["pages"]) == (3, 3)  # then .installing


async def test_the_time_window_includes_since_and_excludes_until(
    api: httpx.AsyncClient, admin_headers: dict[str, str], instance: Instance
) -> None:
    await _server_and_module_request(instance)
    now = utcnow()
    future = {"since": (now + timedelta(hours=1)).isoformat(), "actor_kind": "llm"}
    past = {
        "since": (now - timedelta(hours=1)).isoformat(),
        "until": now.isoformat(),
        "actor_kind": "llm",
    }
    for params, expected in ((future, 0), (past, 2)):
        listed = await api.get("/api/activity", params=params, headers=admin_headers)
        assert listed.json()["total"] == expected


BAD_FILTERS: list[tuple[dict[str, Any], str]] = [
    ({"page_size": 201}, "query.page_size"),
    ({"page": 0}, "query.page"),
    ({"actor_kind": "robot"}, "query.actor_kind"),
    ({"sort": "action"}, "query.sort"),
    ({"since": "2026-01-01T00:00:00"}, "query.since"),  # no offset: ambiguous
    ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
    ({"until": "0001-01-01T00:00:00+01:00"}, "until"),  # before year 1 in UTC
]


async def test_bad_filters_are_refused_naming_the_field(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for params, field in BAD_FILTERS:
        response = await api.get("/api/activity", params=params, headers=admin_headers)
        assert response.status_code == 422, params
        assert field in [detail["field"] for detail in response.json()["error"]["details"]]


async def test_activity_needs_an_admin(api: httpx.AsyncClient) -> None:
    for path in ("/api/activity", "/api/activity/stream"):
        response = await api.get(path)
        assert (response.status_code, response.json()["error"]["type"]) == (401, "unauthorized")


@dataclass
class SseEvent:
    event: str
    id: str
    data: dict[str, Any]


class SseReader:
    """Reads a text/event-stream response: comments and events, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def comment(self) -> str:
        line = await anext(self._lines)
        assert line.startswith(":"), line
        assert await anext(self._lines) == ""
        return line[1:].strip()

    async def event(self) -> SseEvent:
        fields: dict[str, str] = {}
        async for line in self._lines:
            if not line:
                if "data" in fields:
                    return SseEvent(fields["event"], fields["id"], json.loads(fields["data"]))
                continue  # a ping between events
            if not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        raise AssertionError("the stream ended")


@pytest.fixture
async def base_url(instance: Instance) -> AsyncIterator[str]:
    async with serving(create_app(instance), "127.0.0.1") as mcp_url:
        yield mcp_url.removesuffix("/mcp")


async def test_an_approval_reaches_a_connected_stream_within_a_second_and_filters_apply(
    base_url: str, admin_headers: dict[str, str], instance: Instance
) -> None:
    request_id = await _server_and_module_request(instance)
    params = {"actor_kind": "admin", "target_kind": "module_request"}
    async with (
        httpx.AsyncClient(base_url=base_url, headers=admin_headers, timeout=5) as client,
        client.stream("GET", "/api/activity/stream", params=params) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseReader(response)
        assert await reader.comment() == "following"

        async with transaction(instance.sessions, instance.events) as session:
            await create_server(session, ROOT, "unrelated")  # an admin, but not a request
        started = time.perf_counter()
        await _approve(instance, request_id)
        with anyio.fail_after(1.0):
            event = await reader.event()
        latency = time.perf_counter() - started
        installing = await reader.event()  # committed with it: the module's install starts

    assert (event.event, event.data["action"], event.data["actor_name"]) == (
        "activity",
        "module.approved",
        "root",
    )
    assert installing.data["action"] == "module.installing"
    assert event.id == installing.id == str(installing.data["id"])  # one read: resume after both
    print(f"approval reached the SSE client in {latency * 1000:.1f} ms")


async def test_a_stream_resumed_with_last_event_id_replays_what_came_after_it(
    base_url: str, admin_headers: dict[str, str], instance: Instance
) -> None:
    await _server_and_module_request(instance)
    async with httpx.AsyncClient(base_url=base_url, headers=admin_headers, timeout=5) as client:
        params = {"actor_kind": "llm"}
        listed = (await client.get("/api/activity", params={**params, "sort": "created_at"})).json()
        first, second = listed["items"]
        headers = {"Last-Event-ID": str(first["id"])}
        stream = client.stream("GET", "/api/activity/stream", params=params, headers=headers)
        async with stream as response:
            reader = SseReader(response)
            assert await reader.comment() == "following"
            with anyio.fail_after(1.0):
                replayed = await reader.event()
    assert (replayed.data["id"], replayed.data["action"]) == (second["id"], "module.requested")
