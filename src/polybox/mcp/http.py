"""MCP over Streamable HTTP, mounted by the app at `/mcp`.

Serves both protocol eras from one endpoint. 2026-07-28 clients are served per request and hear
about changes on their `subscriptions/listen` stream. Handshake-era clients (2025-06-18,
2025-11-25) get a session (`Mcp-Session-Id`) on one process, or, when `mcp_stateless` resolves
true (by default with PostgreSQL, i.e. when replicas are possible), are served sessionless.

Why sessionless rather than sessions that survive a move to another replica: a session is a
live task with in-memory streams on the replica that answered `initialize`; another replica
could rebuild the client's parameters from the store, but not its open stream or in-flight
requests. Sessionless, any replica answers any request and nothing breaks when a load balancer
sends a client's requests to different replicas. The price is on handshake-era clients only:
with no session there is no standalone stream (GET), so they receive no
`notifications/tools/list_changed` and see changes on their next tools/list; 2026-07-28 clients
keep their notifications, since every replica hears every change (LISTEN/NOTIFY) and tells its
own listen streams. A deployment whose load balancer pins sessions (sticky on
`Mcp-Session-Id`) may set `mcp_stateless=false` to keep sessions and their notifications.

When polybox listens on a loopback address in local mode, the Host and Origin headers must be
local too, so a web page cannot reach the local server through DNS rebinding. Remote mode needs
a bearer token on every request, which a rebinding page does not have, and is reached under
its public name, so the check is off there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from polybox.config import Settings
from polybox.mcp.caller import is_loopback
from polybox.mcp.protocol_errors import JsonRpcErrors
from polybox.mcp.server import McpSurface

_LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


def transport_security(settings: Settings) -> TransportSecuritySettings | None:
    """DNS-rebinding protection for a local-mode loopback listener; None (off) otherwise."""
    if settings.mode == "remote" or (
        settings.host != "localhost" and not is_loopback(settings.host)
    ):
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
            app=surface.server,
            stateless=settings.mcp_sessionless,
            security_settings=transport_security(settings),
        )
        self.endpoint = JsonRpcErrors(
            StreamableHTTPASGIApp(self.sessions), self.sessions.max_request_body_size
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.sessions.run(), self.surface.running():
            yield
