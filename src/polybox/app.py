"""The ASGI application: health, readiness and metrics, with the other surfaces mounted under it.

`/healthz` says the process is alive; `/readyz` says it can do its job (the database answers and
the sandbox is usable); `/metrics` is the Prometheus scrape; `/mcp` is MCP over Streamable HTTP
(its session manager and change watcher run for the app's lifespan); `/api` is the admin REST
API (`api/`, behind its body limit and optional CORS). Every response carries the security
headers (CSP, nosniff, frame denial, no referrer). `/` is the built admin UI (`web.py`), mounted
last so it only answers what nothing else does. In remote mode `/mcp` needs a bearer token and
the OAuth authorization server (`auth/oauth/`: metadata, registration, consent, tokens) is mounted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from polybox import __version__
from polybox.api.app import create_api
from polybox.api.docs import DOCS_CSP
from polybox.api.guards import guard_api
from polybox.auth.oauth.routes import OAuthServer
from polybox.auth.oidc.login import oidc_login
from polybox.instance import Instance
from polybox.mcp.http import McpHttp
from polybox.mcp.ratelimit import McpRateLimit
from polybox.mcp.server import McpSurface
from polybox.metrics import CONTENT_TYPE
from polybox.middleware import (
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from polybox.remote import remote_middleware
from polybox.web import UI_DIST, UserInterface


def create_app(instance: Instance, *, ui_dist: Path = UI_DIST) -> Starlette:
    """Build the HTTP app around a started instance (the caller owns its lifetime).

    `ui_dist` is the built admin UI served at `/` (tests pass their own build).
    """

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(request: Request) -> Response:
        report = await instance.readiness()
        return JSONResponse(report.as_dict(), status_code=200 if report.ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(instance.metrics.render(), media_type=CONTENT_TYPE)

    mcp = McpHttp(McpSurface(instance), instance.settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with mcp.running():
            yield

    api = create_api(instance)
    mcp_endpoint: ASGIApp = mcp.endpoint
    oauth_routes: list[BaseRoute] = []
    if instance.settings.mode == "remote":  # OAuth 2.1 for remote clients; loopback needs none
        oidc = oidc_login(instance)  # "Sign in with <provider>" on the consent page, if set
        links = oidc.sign_in_links if oidc else None
        oauth = OAuthServer(instance, api.state.login_limiter, links)
        oauth_routes = [*oauth.routes(), *(oidc.routes() if oidc else ())]
        mcp_endpoint = oauth.protect(mcp.endpoint)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/mcp", mcp_endpoint),
        *oauth_routes,
        Mount("/api", app=guard_api(api, instance.settings)),
        # Last: the UI answers every path the routes above leave.
        Mount("/", app=UserInterface(ui_dist)),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            *remote_middleware(instance.settings),  # first: the real client, HTTPS only
            Middleware(RequestContextMiddleware, metrics=instance.metrics),
            Middleware(SecurityHeadersMiddleware, csp_by_path={"/api/docs": DOCS_CSP}),
            Middleware(McpRateLimit, settings=instance.settings),
        ],
        lifespan=lifespan,
    )
    app.state.mcp = mcp
    return app
