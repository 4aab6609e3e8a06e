"""The API's routers, one module per resource; `ROUTERS` is what `create_api` includes."""

from fastapi import APIRouter

from polybox.api.routes import (
    activity,
    admins,
    approvals,
    auth,
    dashboard,
    dotnet,
    external,
    logs,
    modules,
    secrets,
    servers,
    settings,
    tokens,
    tools,
    transfer,
    workspaces,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    admins.router,
    tokens.router,
    activity.router,
    dashboard.router,
    modules.router,
    servers.router,
    tools.router,
    approvals.router,
    secrets.router,
    logs.router,
    settings.router,
    dotnet.router,
    workspaces.router,
    transfer.router,
    external.router,
    external.callback_router,
]
