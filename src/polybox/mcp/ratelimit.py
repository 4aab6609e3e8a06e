"""Rate limits on `/mcp` in remote mode: per client address and per bearer token, 429 past them.

Every request counts against its client address (`mcp_ip_rate_limit_per_minute`), with or
without a valid token, so guessing tokens is as limited as using one; a request with a bearer
token also counts against that token (`mcp_rate_limit_per_minute`), so one client cannot spend a
shared address's budget alone and a leaked token is throttled wherever it is used from. The
address is the real client's behind a trusted proxy (`remote.py`). Tokens are keyed by their
SHA-256, never kept in clear.

The counters live in this process's memory: with N replicas behind a load balancer a client
gets up to N times the limit, and a restart forgets them. That bounds abuse well enough for a
self-hosted server; a shared counter would put a store write on every request. Local mode has
no limits (loopback clients are the operator's own).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from polybox.auth.opaque import digest
from polybox.config import Settings

WINDOW_SECONDS = 60.0
_SWEEP_ABOVE = 10_000  # keys kept before idle ones are swept, so random tokens can't grow it
_RATE_LIMITED = -32000  # JSON-RPC "server error" range: the request was not processed


class RateLimiter:
    """At most `per_minute` takes per key in any minute, bursts included (GCRA).

    Each key keeps one number, the time its budget is fully spent until; a take moves it one
    interval (a minute / `per_minute`) later, and is refused while that would pass a minute
    ahead of now.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = WINDOW_SECONDS / per_minute
        self._clock = clock
        self._spent_until: dict[str, float] = {}

    def take(self, key: str) -> int:
        """Count one request: 0 when allowed, else whole seconds to wait (nothing counted)."""
        now = self._clock()
        spent_until = max(self._spent_until.get(key, now), now) + self._interval
        if spent_until - now > WINDOW_SECONDS:
            return max(1, math.ceil(spent_until - now - WINDOW_SECONDS))
        if len(self._spent_until) > _SWEEP_ABOVE:
            self._sweep(now)
        self._spent_until[key] = spent_until
        return 0

    def _sweep(self, now: float) -> None:
        for key in [k for k, until in self._spent_until.items() if until <= now]:
            del self._spent_until[key]


class McpRateLimit:
    """ASGI middleware: the per-address and per-token limits on `path`, in remote mode."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        path: str = "/mcp",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.path = path
        self.enabled = settings.mode == "remote"
        self.by_address = RateLimiter(settings.mcp_ip_rate_limit_per_minute, clock)
        self.by_token = RateLimiter(settings.mcp_rate_limit_per_minute, clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.by_address.take(f"ip:{client[0] if client else 'unknown'}")
        what = "this address"
        token = _bearer(scope)
        if not wait and token is not None:
            wait = self.by_token.take(digest(token))
            what = "this token"
        if not wait:
            await self.app(scope, receive, send)
            return
        message = f"too many requests from {what}; try again in {wait} seconds"
        response = JSONResponse(
            {"jsonrpc": "2.0", "id": None, "error": {"code": _RATE_LIMITED, "message": message}},
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
        await response(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    scheme, _, credentials = Headers(scope=scope).get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()
