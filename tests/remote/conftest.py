"""polybox in remote mode on 127.0.0.1 with one approved forged tool, and API tokens for it.

- `remote`: the served instance (SQLite, real sandbox) with tool `net__ping` approved and
  running; plain HTTP through the `allow_insecure_remote` test switch.
- `token_for(*scopes)`: a real admin API token (`pbx_…`) with those scopes, verified by the
  same bearer middleware OAuth tokens go through.
- `client_with(token, mode)`: the official MCP client sending that token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_clients import serving
from polybox.app import create_app
from polybox.auth.admins import create_admin
from polybox.auth.api_tokens import create_api_token
from polybox.auth.schemas import ApiTokenIn
from polybox.config import load_settings
from polybox.forge import approvals, servers, tools
from polybox.forge.actors import admin
from polybox.forge.unit import transaction
from polybox.instance import Instance

ADMIN = admin("root")
CODE = 'async def main() -> dict:\n    """Ping."""\n    return {"pong": True}\n'

TokenFor = Callable[..., Awaitable[str]]
ClientWith = Callable[[str, str], AbstractAsyncContextManager[Client]]


@dataclass(frozen=True)
class Remote:
    url: str
    instance: Instance
    admin_id: int  # the admin who creates the API tokens


@pytest.fixture
async def remote(tmp_path: Path) -> AsyncIterator[Remote]:
    settings = load_settings(
        data_dir=tmp_path / "data", mode="remote", allow_insecure_remote=True, pool_size=1
    )
    async with Instance.running(settings) as instance:
        async with transaction(instance.sessions, instance.events) as session:
            await servers.create_server(session, ADMIN, "net")
            await servers.start_server(session, ADMIN, "net")
            await tools.create_tool(session, ADMIN, "net", "ping", CODE)
            await approvals.request_publish(session, ADMIN, "net", "ping")
            await approvals.approve_tool(session, ADMIN, "net", "ping")
            creator = await create_admin(session, "alice", "correct horse battery")
            await session.flush()
        async with serving(create_app(instance), "127.0.0.1") as url:
            yield Remote(url, instance, creator.id)


@pytest.fixture
def token_for(remote: Remote) -> TokenFor:
    async def make(*scopes: str) -> str:
        async with transaction(remote.instance.sessions, remote.instance.events) as session:
            new = ApiTokenIn.model_validate({"name": "agent", "scopes": list(scopes)})
            created = await create_api_token(session, remote.admin_id, ADMIN, new)
        return created.token

    return make


@pytest.fixture
def client_with(remote: Remote) -> ClientWith:
    @asynccontextmanager
    async def open_client(token: str, mode: str) -> AsyncIterator[Client]:
        headers: dict[str, Any] = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            Client(
                streamable_http_client(remote.url, http_client=http), mode=mode, cache=None
            ) as client,
        ):
            yield client

    return open_client
