"""The API's routers, one module per resource; `ROUTERS` is what `create_api` includes."""

from fastapi import APIRouter

from polybox.api.routes import (
    activity,
    approvals,
    dashboard,
    logs,
    modules,
    secrets,
    servers,
    settings,
    tools,
)

ROUTERS: list[APIRouter] = [
    servers.router,
    tools.router,
    approvals.router,
    secrets.router,
    logs.router,
    settings.router,
    activity.router,
    dashboard.router,
    modules.router,
]
