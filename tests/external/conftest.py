"""Fixtures for external MCP sources: a started polybox instance and real upstream MCP servers.

- `instance`: an `Instance` on a fresh store (SQLite and PostgreSQL, via `db_url`).
- `upstream`, `sse_upstream`, `bearer_upstream`, `named_upstream`: started `Upstream`s (see
  upstream.py), stopped afterwards.
- `api`: an httpx client on the app of `instance` (ASGI), logged in as a fresh admin.
- `upstream_b`: polybox B in remote mode (oauth_upstream.py), an OAuth-protected upstream.
- `oauth_source`: server "hub" on A may reach B and has it as OAuth source "b" (not connected).
- `allowed_server`: a running server "hub" whose egress policy admits the three upstreams
  (loopback must be allowed explicitly: the host on the server's allowed hosts and 127.0.0.1
  among the admin's approved private hosts).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

from external.oauth_upstream import serve_oauth_upstream
from external.upstream import Upstream
from oauth.oauth_flow import RemoteServer
from polybox.app import create_app
from polybox.auth.admins import create_admin
from polybox.config import Settings, load_settings
from polybox.forge import servers, settings
from polybox.forge.actors import admin
from polybox.forge.unit import transaction
from polybox.instance import Instance

ADMIN = admin("root")
BEARER_TOKEN = "upstream-s3cret-token"


@pytest.fixture
def polybox_settings(db_url: URL, tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=db_url.render_as_string(False),
        call_timeout_seconds=5,
    )


@pytest.fixture
async def instance(polybox_settings: Settings) -> AsyncIterator[Instance]:
    async with Instance.running(polybox_settings) as started:
        yield started


@pytest.fixture
async def api(instance: Instance) -> AsyncIterator[httpx.AsyncClient]:
    async with instance.sessions.begin() as session:
        await create_admin(session, "alice", "correct horse battery")
    transport = httpx.ASGITransport(app=create_app(instance))
    async with httpx.AsyncClient(transport=transport, base_url="http://polybox") as client:
        login = await client.post(
            "/api/auth/login", json={"username": "alice", "password": "correct horse battery"}
        )
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


async def _started(upstream: Upstream) -> AsyncIterator[Upstream]:
    await upstream.start()
    try:
        yield upstream
    finally:
        await upstream.stop()


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async for started in _started(Upstream()):
        yield started


@pytest.fixture
async def sse_upstream() -> AsyncIterator[Upstream]:
    async for started in _started(Upstream("sse")):
        yield started


@pytest.fixture
async def named_upstream() -> AsyncIterator[Upstream]:
    """An upstream that answers whatever Host name it is reached under."""
    async for started in _started(Upstream(any_host=True)):
        yield started


@pytest.fixture
async def bearer_upstream() -> AsyncIterator[Upstream]:
    async for started in _started(Upstream(token=BEARER_TOKEN)):
        yield started


async def allow_hosts(instance: Instance, server: str, hosts: list[str]) -> None:
    """Admit `hosts` for `server` and 127.0.0.1 as an approved private host."""
    async with transaction(instance.sessions, instance.events) as session:
        await servers.set_allowed_hosts(session, ADMIN, server, hosts)
        await settings.update_settings(session, ADMIN, private_hosts=["127.0.0.1"])


@pytest.fixture
async def allowed_server(
    instance: Instance, upstream: Upstream, sse_upstream: Upstream, bearer_upstream: Upstream
) -> str:
    async with transaction(instance.sessions, instance.events) as session:
        await servers.create_server(session, ADMIN, "hub")
        await servers.start_server(session, ADMIN, "hub")
    await allow_hosts(instance, "hub", [upstream.host, sse_upstream.host, bearer_upstream.host])
    return "hub"


@pytest.fixture
async def upstream_b(tmp_path: Path) -> AsyncIterator[RemoteServer]:
    async with serve_oauth_upstream(tmp_path) as served:
        yield served


@pytest.fixture
async def oauth_source(
    upstream_b: RemoteServer, instance: Instance, api: httpx.AsyncClient
) -> RemoteServer:
    """Server "hub" on A may reach B, and has B as source "b" with OAuth (not connected yet).

    B is set up first, so it stops last: after A closed its pooled sessions to it.
    """
    async with transaction(instance.sessions, instance.events) as session:
        await servers.create_server(session, ADMIN, "hub")
        await servers.start_server(session, ADMIN, "hub")
    await allow_hosts(instance, "hub", [upstream_b.base.removeprefix("http://")])
    added = await api.post(
        "/api/servers/hub/external-sources",
        json={"name": "b", "url": upstream_b.mcp_url, "auth": "oauth"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["oauth_connected"] is False
    return upstream_b
