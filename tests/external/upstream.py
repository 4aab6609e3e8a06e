"""Real upstream MCP servers for the external-source tests, built with the `mcp` SDK.

`Upstream` serves an `MCPServer` (Streamable HTTP at /mcp, or legacy SSE at /sse) with uvicorn on
127.0.0.1, on a port that stays the same across `stop()` and `start()`, so a test can take the
source down and bring it back at the address polybox knows (with `revision` 2 its `add` tool is
defined differently, as after an upstream release). `token` makes it refuse requests
without `Authorization: Bearer <token>`; `any_host` turns off the SDK's Host-header check (on by
default for loopback), for tests that reach it under another name.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Literal

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from starlette.types import ASGIApp, Receive, Scope, Send

Transport = Literal["streamable_http", "sse"]


def upstream_server(revision: int = 1) -> MCPServer:
    """An MCP server with a few tools: structured, text, and one that fails.

    Revision 2 describes `add` differently and marks it read-only.
    """
    server = MCPServer("upstream")

    @server.tool(
        description="Add two numbers." if revision == 1 else "Add two integers, exactly.",
        annotations=None if revision == 1 else ToolAnnotations(read_only_hint=True),
    )
    def add(a: int, b: int) -> dict[str, int]:
        return {"sum": a + b}

    @server.tool(name="shout-Text")
    def shout(text: str) -> str:
        """Upper-case a text (see https://upstream.example/docs)."""
        return text.upper()

    @server.tool()
    def broken() -> str:
        """Always fails."""
        raise ValueError("upstream says no")

    return server


class _BearerOnly:
    """Refuses every request without the expected bearer token (401)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != (
            self.expected
        ):
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await self.app(scope, receive, send)


class Upstream:
    """One upstream server on a fixed loopback port; `start()`/`stop()` as often as needed."""

    def __init__(
        self,
        transport: Transport = "streamable_http",
        token: str | None = None,
        *,
        any_host: bool = False,
    ) -> None:
        self.transport = transport
        self.token = token
        self.any_host = any_host
        self.revision = 1  # of the tools' definitions served from the next start()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def host(self) -> str:
        """The allowed-hosts entry that admits this upstream."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        path = "/sse" if self.transport == "sse" else "/mcp"
        return f"http://127.0.0.1:{self.port}{path}"

    def _app(self) -> ASGIApp:
        server = upstream_server(self.revision)
        security = (
            TransportSecuritySettings(enable_dns_rebinding_protection=False)
            if self.any_host
            else None
        )
        app: ASGIApp = (
            server.sse_app(transport_security=security)
            if self.transport == "sse"
            else server.streamable_http_app(transport_security=security)
        )
        return app if self.token is None else _BearerOnly(app, self.token)

    async def start(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        config = uvicorn.Config(self._app(), log_config=None, lifespan="on")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve([sock]))  # listening already

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        self._server.force_exit = True
        await self._task
        self._server = self._task = None
