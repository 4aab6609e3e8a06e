"""/servers/{server}/external-sources: other MCP servers a server passes tools through from.

Add, list, change and remove sources; discover a source's tools and import them (they join the
approval queue); check a source's health now; connect an OAuth source (the admin's browser goes
to the URL `oauth/start` returns and comes back to `callback_router`'s page, the one route here
without the admin's token: the flow's single-use `state` vouches for it). Secret values and OAuth
tokens never appear in a response: a bearer source names its secret's key, an OAuth source says
whether it is connected.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, status
from fastapi.responses import HTMLResponse
from pydantic import Field

from polybox.api.deps import AdminDep, InstanceDep, SessionDep, current_admin
from polybox.api.schemas import Body
from polybox.auth.oauth.page import CONSENT_CSP, render_message
from polybox.forge.errors import ForgeError
from polybox.forge.external import oauth_flow, passthrough, sources
from polybox.forge.external.health import check_source
from polybox.forge.external.oauth import CALLBACK_PATH
from polybox.forge.external.schemas import DiscoveryOut, ImportOut, OAuthStartOut, SourceOut
from polybox.store.enums import SourceAuth, SourceTransport

router = APIRouter(
    prefix="/servers/{server}/external-sources",
    tags=["external sources"],
    dependencies=[Depends(current_admin)],
)
# The browser's return from a source's authorization server: no admin token (see the docstring).
callback_router = APIRouter(tags=["external sources"])


class SourceCreate(Body):
    name: str = Field(description="Lowercase letters, digits and '_', starting with a letter.")
    url: str = Field(description="The source's MCP endpoint (http or https).")
    transport: SourceTransport = SourceTransport.STREAMABLE_HTTP
    auth: SourceAuth = SourceAuth.NONE
    secret_key: str | None = Field(None, description="For bearer: the server secret's key.")


class SourceUpdate(Body):
    url: str | None = None
    transport: SourceTransport | None = None
    auth: SourceAuth | None = None
    secret_key: str | None = None


class ToolImport(Body):
    tools: list[str] = Field(min_length=1, description="Remote tool names to import.")
    names: dict[str, str] = Field(
        default_factory=dict, description="Local names by remote name (default: derived)."
    )


@router.get("", response_model=list[SourceOut], summary="List a server's external sources")
async def list_sources(server: str, session: SessionDep) -> list[SourceOut]:
    return await sources.list_sources(session, server)


@router.post(
    "",
    response_model=SourceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add an external source (its URL must pass the server's egress policy)",
)
async def add_source(
    server: str, body: SourceCreate, admin: AdminDep, session: SessionDep, instance: InstanceDep
) -> SourceOut:
    return await sources.add_source(
        session, admin.actor, instance.runner.external, server,
        name=body.name, url=body.url, transport=body.transport, auth=body.auth,
        secret_key=body.secret_key,
    )  # fmt: skip


@router.get("/{source}", response_model=SourceOut, summary="One external source")
async def get_source(server: str, source: str, session: SessionDep) -> SourceOut:
    return await sources.get_source(session, server, source)


@router.patch(
    "/{source}",
    response_model=SourceOut,
    summary="Change a source's URL, transport or auth (a new URL or auth drops OAuth tokens)",
)
async def update_source(
    *,
    server: str,
    source: str,
    body: SourceUpdate,
    admin: AdminDep,
    session: SessionDep,
    instance: InstanceDep,
) -> SourceOut:
    return await sources.update_source(
        session, admin.actor, instance.runner.external, server, source,
        url=body.url, transport=body.transport, auth=body.auth, secret_key=body.secret_key,
    )  # fmt: skip


@router.delete(
    "/{source}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    summary="Remove a source and the tools imported from it",
)
async def remove_source(server: str, source: str, admin: AdminDep, session: SessionDep) -> None:
    await sources.remove_source(session, admin.actor, server, source)


@router.get(
    "/{source}/tools",
    response_model=DiscoveryOut,
    summary="Discover the tools the source offers now",
)
async def discover_tools(server: str, source: str, instance: InstanceDep) -> DiscoveryOut:
    return await passthrough.discover_tools(
        instance.sessions, instance.runner.external, server, source
    )


@router.post(
    "/{source}/import",
    response_model=ImportOut,
    summary="Import tools of the source as passthrough tools (they await approval)",
)
async def import_tools(
    server: str, source: str, body: ToolImport, admin: AdminDep, instance: InstanceDep
) -> ImportOut:
    return await passthrough.import_tools(
        instance.sessions, instance.events, admin.actor, instance.runner.external,
        server=server, source=source, tools=body.tools, names=body.names,
    )  # fmt: skip


@router.post(
    "/{source}/health-check",
    response_model=SourceOut,
    summary="Ping the source now and store its health",
)
async def health_check(server: str, source: str, instance: InstanceDep) -> SourceOut:
    async with instance.sessions() as session:
        found = await sources.get_source(session, server, source)
    await check_source(instance.sessions, instance.runner.external, found.id)
    async with instance.sessions() as session:
        return await sources.get_source(session, server, source)


@router.post(
    "/{source}/oauth/start",
    response_model=OAuthStartOut,
    summary="Start connecting an OAuth source: the URL to open in the admin's browser",
)
async def start_oauth(
    server: str, source: str, admin: AdminDep, instance: InstanceDep
) -> OAuthStartOut:
    return await oauth_flow.start_authorization(
        instance.sessions, instance.runner.external, admin.actor, server, source
    )


@callback_router.get(
    CALLBACK_PATH.removeprefix("/api"),
    response_class=HTMLResponse,
    summary="Where a source's authorization server sends the admin's browser back to",
)
async def oauth_callback(
    instance: InstanceDep,
    state: str = "",
    code: str | None = None,
    iss: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    try:
        connected = await oauth_flow.finish_authorization(
            instance.sessions, instance.events, instance.runner.external,
            state=state, code=code, iss=iss, error=error,
        )  # fmt: skip
    except ForgeError as exc:
        page = render_message("The external source was not connected", exc.message)
        return HTMLResponse(page, status_code=400, headers={"Content-Security-Policy": CONSENT_CSP})
    page = render_message(
        "External source connected",
        f"polybox can now call external source {connected.source!r} of server "
        f"{connected.server!r}. You can close this tab and return to polybox.",
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": CONSENT_CSP})
