"""Every write route of the admin API answers only after its transaction committed (or failed).

The real app is served by uvicorn on 127.0.0.1 on a SQLite store. The server's commits are slowed
by 0.1 s (an SQLAlchemy `commit` listener that awaits, so the event loop keeps running): an answer
sent before its commit is then seen every time, not one time in six. After each write answers,
the whole store is read through a second, independent engine at once and again once the server
finished the request; the two reads must agree.

The write routes are listed from the app's own routes, so a new one fails its test until the
journey below exercises it. The journey runs once, on one instance (starting one per route would
cost minutes); each route's test then checks what its step saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import delete, event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only
from starlette.types import ASGIApp, Receive, Scope, Send
from structlog.testing import capture_logs

from api_setup import add_server, add_tool, ask_for_module, change_code, publish
from external.upstream import Upstream
from mcp_clients import serving
from polybox.api.routes import ROUTERS
from polybox.app import create_app
from polybox.config import load_settings
from polybox.forge.actors import llm
from polybox.instance import Instance
from polybox.store.base import Base
from polybox.store.engine import create_engine
from polybox.store.enums import InstallState, RequestStatus
from polybox.store.models import AdminUser, ModuleRequest, Server
from workspaces.service_setup import box_only_workspaces

pytestmark = pytest.mark.anyio
SLOW_COMMIT_SECONDS = 0.1
PASSWORD = "correct horse battery"
NEW_PASSWORD = "battery staple horse"


def write_routes() -> list[str]:
    """`METHOD /path` of every admin API route that is not a read."""
    return sorted(
        f"{method} {route.path}"
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in (route.methods or set()) - {"GET", "HEAD", "OPTIONS"}
    )


class RequestsInFlight:
    """ASGI wrapper that knows when the app has finished every request, answer sent or not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.running = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the lifespan lasts as long as the server
            await self.app(scope, receive, send)
            return
        self.running += 1
        self.idle.clear()
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1
            if self.running == 0:
                self.idle.set()


async def snapshot(engine: AsyncEngine) -> list[tuple[str, list[str]]]:
    """Every row of every table, as one connection of `engine` sees them now."""
    async with engine.connect() as connection:
        return [
            (
                table.name,
                sorted(repr(tuple(row)) for row in await connection.execute(select(table))),
            )
            for table in Base.metadata.sorted_tables
        ]


@dataclass
class Journey:
    """An admin's walk through every write route; per route, whether its answer was final."""

    instance: Instance
    api: httpx.AsyncClient
    reader: AsyncEngine
    server_done: RequestsInFlight
    seen: dict[str, tuple[int, str | None]] = field(default_factory=dict)

    async def write(
        self, method: str, template: str, expected: int, *, json: Any = None, **params: str
    ) -> httpx.Response:
        """Send one write; record its status and whether the store changed after it answered."""
        await self.server_done.idle.wait()
        response = await self.api.request(method, template.format(**params), json=json)
        at_answer = await snapshot(self.reader)
        await self.server_done.idle.wait()
        settled = await snapshot(self.reader)
        changed = [
            name
            for (name, rows), (_, later) in zip(at_answer, settled, strict=True)
            if rows != later
        ]
        late = f"tables changed after the answer: {changed}" if changed else None
        self.seen[f"{method} {template}"] = (response.status_code, late)
        assert response.status_code == expected, f"{method} {template}: {response.text}"
        return response


def slow_commits(engine: AsyncEngine) -> None:
    """Make every commit on `engine` take SLOW_COMMIT_SECONDS longer, without blocking the loop."""

    def wait(connection: Connection) -> None:
        await_only(asyncio.sleep(SLOW_COMMIT_SECONDS))

    event.listen(engine.sync_engine, "commit", wait)


async def walk(journey: Journey, upstream: Upstream) -> None:
    """Each write route once, in an order where each one succeeds (or fails as it must)."""
    w, instance = journey.write, journey.instance
    credentials = {"username": "alice", "password": PASSWORD}
    await w("POST", "/auth/setup", 201, json=credentials)
    tokens = (await w("POST", "/auth/login", 200, json=credentials)).json()
    refresh = {"refresh_token": tokens["refresh_token"]}
    tokens = (await w("POST", "/auth/refresh", 200, json=refresh)).json()
    journey.api.headers["Authorization"] = f"Bearer {tokens['access_token']}"

    bob = (await w("POST", "/admins", 201, json={"username": "bob", "password": PASSWORD})).json()
    await w("POST", "/admins/{admin_id}/disable", 200, admin_id=str(bob["id"]))
    token = await w("POST", "/tokens", 201, json={"name": "ci", "scopes": ["admin"]})
    await w("POST", "/tokens/{token_id}/revoke", 200, token_id=str(token.json()["api_token"]["id"]))

    await w("POST", "/servers", 201, json={"name": "weather"})
    await w("PATCH", "/servers/{server}", 200, json={"description": "Forecasts"}, server="weather")
    await w("POST", "/servers/{server}/start", 200, server="weather")
    await w("POST", "/servers/{server}/stop", 200, server="weather")
    hosts = {"hosts": ["api.example.com"]}
    await w("PUT", "/servers/{server}/allowed-hosts", 200, json=hosts, server="weather")
    modules = {"modules": ["json"]}
    await w("PUT", "/servers/{server}/allowed-modules", 200, json=modules, server="weather")
    await w("POST", "/servers/{server}/secrets", 201, json={"key": "API_KEY"}, server="weather")
    secret = "/servers/{server}/secrets/{key}"
    await w("PUT", secret, 200, json={"value": "s3cret"}, server="weather", key="API_KEY")
    await w("DELETE", secret, 204, server="weather", key="API_KEY")

    tool = "/servers/{server}/tools/{tool}"
    review = "/approvals/tools/{server}/{tool}"
    for name in ("now", "later", "never"):
        await add_tool(instance, "weather", name, publish=True)
    await w("POST", review + "/approve", 200, json={}, server="weather", tool="now")
    await w("POST", review + "/revoke", 200, json={}, server="weather", tool="now")
    await w("POST", review + "/reject", 200, json={"reason": "no"}, server="weather", tool="never")
    await w("POST", tool + "/disable", 200, server="weather", tool="later")
    await w("POST", tool + "/enable", 200, server="weather", tool="later")
    await change_code(instance, "weather", "later", "async def main() -> int:\n    return 2\n")
    await w("POST", tool + "/rollback", 200, json={"version": 1}, server="weather", tool="later")
    await publish(instance, "weather", "later")
    module = await ask_for_module(instance, "weather", "dateutil")
    decision = {"approve": False, "note": "not needed"}
    decide = "/approvals/{kind}/{request_id}/decide"
    await w("POST", decide, 200, json=decision, kind="module", request_id=str(module))
    failed = await ask_for_module(instance, "weather", "yaml")
    async with instance.sessions.begin() as session:  # as an approved module's failed install
        request = await session.get(ModuleRequest, failed)
        assert request is not None
        request.status, request.install_state = RequestStatus.APPROVED, InstallState.FAILED
    retry = "/approvals/module/{request_id}/install"
    await w("POST", retry, 200, json={}, request_id=str(failed))
    bulk = {"items": [{"kind": "tool", "action": "approve", "server": "weather", "tool": "later"}]}
    await w("POST", "/approvals/bulk", 200, json=bulk)

    await w("PATCH", "/settings", 200, json={"private_hosts": ["127.0.0.1"]})
    await w("POST", "/settings/profile/{name}", 200, name="balanced")
    await w("PATCH", "/settings/dotnet", 200, json={"dotnet_workspace_max_per_client": 3})
    await w("DELETE", "/settings/dotnet/{name}", 200, name="dotnet_workspace_max_per_client")
    await add_server(instance, "moved")
    document = (await journey.api.get("/export", params={"server": "moved"})).json()
    await w("DELETE", "/servers/{server}", 204, server="moved")
    await w("POST", "/import", 201, json=document)

    sources = "/servers/{server}/external-sources"
    source = sources + "/{source}"
    await w(
        "PUT",
        "/servers/{server}/allowed-hosts",
        200,
        json={"hosts": [upstream.host]},
        server="weather",
    )
    await w("POST", "/servers/{server}/start", 200, server="weather")
    await w("POST", sources, 201, json={"name": "up", "url": upstream.url}, server="weather")
    changed = {"url": upstream.url, "transport": "streamable_http"}
    await w("PATCH", source, 200, json=changed, server="weather", source="up")
    imported = {"tools": ["add"]}
    await w("POST", source + "/import", 200, json=imported, server="weather", source="up")
    await w("POST", source + "/health-check", 200, server="weather", source="up")
    # Not an OAuth source: refused (409) before anything is written; still no late change.
    await w("POST", source + "/oauth/start", 409, server="weather", source="up")
    await w("DELETE", source, 204, server="weather", source="up")

    assert instance.workspaces is not None  # bare-Box workspaces: see the `journey` fixture
    workspace = await instance.workspaces.create(llm("claude"), "console", "8", "Hello")
    await w("POST", "/workspaces/{workspace_id}/stop", 200, workspace_id=workspace.id)
    await w("POST", "/workspaces/cleanup", 200)

    await w(
        "POST",
        "/auth/password",
        204,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    tokens = (
        await w("POST", "/auth/login", 200, json={"username": "alice", "password": NEW_PASSWORD})
    ).json()
    journey.api.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    await w("POST", "/auth/logout", 204)


@asynccontextmanager
async def served(data: Path) -> AsyncIterator[Journey]:
    """A fresh instance on SQLite under `data`, served on 127.0.0.1; a client of its /api."""
    database = f"sqlite+aiosqlite:///{data / 'polybox.db'}"
    settings = load_settings(data_dir=data / "data", database_url=database)
    async with Instance.running(settings, run_tools=False) as instance:
        reader = create_engine(settings.database)
        in_flight = RequestsInFlight(create_app(instance))
        try:
            async with serving(in_flight, "127.0.0.1") as mcp_url:
                base = mcp_url.removesuffix("/mcp") + "/api"
                async with httpx.AsyncClient(base_url=base, timeout=30) as api:
                    yield Journey(instance, api, reader, in_flight)
        finally:
            await reader.dispose()


@pytest.fixture(scope="module")
async def journey(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Journey]:
    """The journey, walked once for the module's tests, with slow commits."""
    upstream = Upstream()
    await upstream.start()
    try:
        async with (
            served(tmp_path_factory.mktemp("journey")) as walked,
            box_only_workspaces(walked.instance),
        ):
            slow_commits(walked.instance.engine)
            await walk(walked, upstream)
            yield walked
    finally:
        await upstream.stop()


@pytest.mark.parametrize("route", write_routes())
async def test_a_write_answers_after_its_commit(journey: Journey, route: str) -> None:
    assert route in journey.seen, f"the journey in {__name__} never calls {route}: add a step"
    status, late = journey.seen[route]
    assert late is None, f"{route} answered {status} before its commit: {late}"


async def test_a_commit_that_fails_is_an_error_answer_not_a_2xx(journey: Journey) -> None:
    def fail(connection: Connection) -> None:
        raise RuntimeError("the disk is full")

    credentials = {"username": "alice", "password": NEW_PASSWORD}  # the journey logged out
    tokens = (await journey.api.post("/auth/login", json=credentials)).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    event.listen(journey.instance.engine.sync_engine, "commit", fail)
    try:
        with capture_logs() as logged:  # kept, not rendered: a rendered traceback takes seconds
            answer = await journey.api.post("/servers", json={"name": "lost"}, headers=headers)
    finally:
        event.remove(journey.instance.engine.sync_engine, "commit", fail)
    async with journey.reader.connect() as connection:
        stored = await connection.scalar(
            select(func.count()).select_from(Server).where(Server.name == "lost")
        )

    assert answer.status_code == 500, answer.text
    assert answer.json()["error"]["type"] == "internal"
    assert "unexpected API error" in [entry["event"] for entry in logged]
    assert stored == 0


async def test_a_login_right_after_setup_works_every_time(tmp_path: Path) -> None:
    """Setup, then log in at once, 20 times on a store with no admin (as a fresh server)."""
    async with served(tmp_path) as fresh:
        slow_commits(fresh.instance.engine)
        statuses = []
        for attempt in range(20):
            credentials = {"username": f"admin{attempt}", "password": PASSWORD}
            await fresh.api.post("/auth/setup", json=credentials)
            statuses.append((await fresh.api.post("/auth/login", json=credentials)).status_code)
            await fresh.server_done.idle.wait()
            async with fresh.reader.begin() as connection:
                await connection.execute(delete(AdminUser))

    assert statuses == [200] * 20
