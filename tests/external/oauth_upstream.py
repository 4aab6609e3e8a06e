"""An OAuth-protected upstream for the external-source tests: a second polybox in remote mode.

`serve_oauth_upstream` runs polybox "B" on 127.0.0.1 (its own SQLite store and data dir, a real
sandbox) with one approved tool, `net__ping`, behind its OAuth authorization server; admin `alice`
approves grants on its consent page (tests/oauth/oauth_flow.py plays her browser).
The fixtures `upstream_b` and `oauth_source` (conftest.py) serve B and add it to A as `SOURCE`.
`connect_source` plays polybox A's admin connecting a source to it: start, consent, callback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from oauth.oauth_flow import ADMIN as ALICE
from oauth.oauth_flow import ADMIN_PASSWORD, RemoteServer, consent, serve_remote
from polybox.forge import approvals, servers, tools
from polybox.forge.actors import admin

SOURCE = "/api/servers/hub/external-sources/b"  # the source fixture `oauth_source` adds
ADMIN = admin("root")
PING = 'async def main() -> dict:\n    """Ping."""\n    return {"pong": True}\n'


@asynccontextmanager
async def serve_oauth_upstream(tmp_path: Path) -> AsyncIterator[RemoteServer]:
    """polybox B: remote mode at its own public URL, tool `net__ping` approved and running."""

    async def seed(session: AsyncSession) -> None:
        await servers.create_server(session, ADMIN, "net")
        await servers.start_server(session, ADMIN, "net")
        await tools.create_tool(session, ADMIN, "net", "ping", PING)
        await approvals.request_publish(session, ADMIN, "net", "ping")
        await approvals.approve_tool(session, ADMIN, "net", "ping")

    async with serve_remote(tmp_path / "upstream", seed=seed) as served:
        yield served


async def connect_source(api: httpx.AsyncClient, path: str) -> str:
    """As A's admin: start connecting the source at `path`, approve at B; the callback's URL.

    `path` is the source's API path on A; the returned URL (A's callback with B's `code` and
    `state`) is where B sends the browser back to.
    """
    started = await api.post(f"{path}/oauth/start")
    assert started.status_code == 200, started.text
    async with httpx.AsyncClient() as browser:
        return await consent(browser, started.json()["authorization_url"], ALICE, ADMIN_PASSWORD)


def local_path(url: str) -> str:
    """The path and query of `url`, to replay it against an in-process app."""
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}"
