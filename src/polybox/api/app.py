"""The admin API application, mounted at /api by the top-level app.

Routers live in `api/routes/`, one per resource; each route is one service call. OpenAPI is served
at /api/openapi.json and the interactive docs at /api/docs (`api/docs.py`).
"""

from __future__ import annotations

from fastapi import FastAPI

from polybox import __version__
from polybox.api import docs
from polybox.api.errors import ERROR_RESPONSES, install_error_handlers
from polybox.api.routes import ROUTERS
from polybox.auth.ratelimit import LoginLimiter
from polybox.instance import Instance

DESCRIPTION = """\
Admin API of polybox. Authenticate with `POST /api/auth/login` and send the access token as
`Authorization: Bearer <token>`; scripts may send an API token with the `admin` scope instead
(it acts for the admin who created it). Errors are `{"error": {"type", "message", "details"}}`.
"""


def create_api(instance: Instance) -> FastAPI:
    """The FastAPI app for one instance."""
    api = FastAPI(
        title="polybox admin API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # api/docs.py serves Swagger UI from the package, not a CDN
        redoc_url=None,
    )
    api.state.instance = instance
    api.state.login_limiter = LoginLimiter()  # per process: see auth/ratelimit.py
    install_error_handlers(api)
    for router in ROUTERS:
        api.include_router(router, responses=ERROR_RESPONSES)
    api.include_router(docs.router)
    return api
