"""MCP over Streamable HTTP, mounted by the app at `/mcp`.

Serves both protocol eras from one endpoint: handshake-era clients (2025-06-18, 2025-11-25) get
a stateful session (`Mcp-Session-Id`), 2026-07-28 clients are served per request. When polybox
listens on a loopback address the Host and Origin headers must be local too, so a web page
cannot reach the local server through DNS rebinding.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from polybox.config import Settings
from polybox.mcp.caller import is_loopback
from polybox.mcp.server import McpSurface

_LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


def transport_security(settings: Settings) -> TransportSecuritySettings | None:
    """DNS-rebinding protection for a loopback listener; None (off) when serving remotely."""
    if settings.host != "localhost" and not is_loopback(settings.host):
        return None
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[pattern for name in _LOCAL_NAMES for pattern in (name, f"{name}:*")],
        allowed_origins=[
            pattern for name in _LOCAL_NAMES for pattern in (f"http://{name}", f"http://{name}:*")
        ],
    )


class McpHttp:
    """The `/mcp` endpoint of one surface; enter `running()` in the app's lifespan."""

    def __init__(self, surface: McpSurface, settings: Settings) -> None:
        self.surface = surface
        self.sessions = StreamableHTTPSessionManager(
            app=surface.server, security_settings=transport_security(settings)
        )
        self.endpoint = StreamableHTTPASGIApp(self.sessions)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.sessions.run(), self.surface.running():
            yield
