"""Serving beyond localhost: who the client really is, and HTTPS or nothing in remote mode.

polybox itself speaks plain HTTP; in remote mode a reverse proxy terminates TLS in front of it.
Two things follow:

- The TCP peer is the proxy. Its `X-Forwarded-For` (the client address) and
  `X-Forwarded-Proto` (the scheme the client used) are believed only when the peer is one of
  `trusted_proxies`; from anyone else the headers are ignored, so a client cannot pick its own
  address (to dodge the login and `/mcp` rate limits, or to pass for a loopback client) or claim
  it used HTTPS. This is uvicorn's `ProxyHeadersMiddleware`, placed first in the app so every
  later part (access log, limits, the MCP caller) sees the real client.
- Bearer tokens and passwords must not cross the network in clear text. `polybox serve`
  refuses to start remote mode unless `public_url` is https and a trusted proxy is configured
  (`check_remote_serving`), and each request that did not reach the proxy over HTTPS is refused
  (`HttpsOnly`) — e.g. one sent straight to polybox's port, past the proxy. Probes
  (`/healthz`, `/readyz`, `/metrics`) stay reachable over HTTP. `allow_insecure_remote` lifts
  both, for tests and development only.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from polybox.config import ConfigError, Settings, env_name

PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


def check_remote_serving(settings: Settings) -> None:
    """Raise ConfigError (one actionable line) when remote mode would serve tokens over HTTP."""
    if settings.mode != "remote" or settings.allow_insecure_remote:
        return
    public_url = settings.public_url or ""
    if public_url.startswith("https://") and settings.trusted_proxies:
        return
    raise ConfigError(
        f"invalid setting {env_name('mode')}: remote mode refuses plain HTTP; put polybox behind "
        f"an HTTPS reverse proxy, set {env_name('public_url')} to its https:// URL and "
        f"{env_name('trusted_proxies')} to the proxy's address (for tests only: "
        f"{env_name('allow_insecure_remote')}=true)"
    )


class HttpsOnly:
    """Refuse (403) every request but the probes that the client did not send over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["scheme"] == "https" or scope["path"] in PROBES:
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {
                "error": {
                    "type": "https_required",
                    "message": "polybox in remote mode answers only over HTTPS, through its proxy",
                    "details": None,
                }
            },
            status_code=403,
        )
        await response(scope, receive, send)


def remote_middleware(settings: Settings) -> list[Middleware]:
    """The outermost middleware of the app: proxy headers from trusted peers, then HTTPS only."""
    stack: list[Middleware] = []
    if settings.trusted_proxies:
        stack.append(Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies))
    if settings.mode == "remote" and not settings.allow_insecure_remote:
        stack.append(Middleware(HttpsOnly))
    return stack
