"""/servers: create, read, describe, delete, start and stop servers, and set their allow-lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from polybox.api.deps import AdminDep, SessionDep, current_admin
from polybox.api.schemas import (
    PAGE_SIZE_DEFAULT,
    AllowedHosts,
    AllowedModules,
    PageParam,
    PageSizeParam,
    ServerCreate,
    ServerUpdate,
    sort_query,
)
from polybox.forge import servers
from polybox.forge.pages import Page
from polybox.forge.schemas import ServerOut
from polybox.store.enums import ServerStatus

router = APIRouter(prefix="/servers", tags=["servers"], dependencies=[Depends(current_admin)])


@router.get("", response_model=Page[ServerOut], summary="List servers")
async def list_servers(
    *,
    session: SessionDep,
    status: ServerStatus | None = None,
    name_contains: Annotated[str | None, Query(max_length=64)] = None,
    sort: str | None = sort_query(servers.SORT_FIELDS, "name"),
    page: PageParam = 1,
    page_size: PageSizeParam = PAGE_SIZE_DEFAULT,
) -> Page[ServerOut]:
    return await servers.list_servers(
        session,
        page=page,
        page_size=page_size,
        status=status,
        name_contains=name_contains,
        sort=sort,
    )


@router.post(
    "", response_model=ServerOut, status_code=status.HTTP_201_CREATED, summary="Create a server"
)
async def create_server(body: ServerCreate, admin: AdminDep, session: SessionDep) -> ServerOut:
    return await servers.create_server(session, admin.actor, body.name, body.description)


@router.get("/{server}", response_model=ServerOut, summary="Get a server")
async def get_server(server: str, session: SessionDep) -> ServerOut:
    return await servers.get_server(session, server)


@router.patch("/{server}", response_model=ServerOut, summary="Change a server's description")
async def update_server(
    server: str, body: ServerUpdate, admin: AdminDep, session: SessionDep
) -> ServerOut:
    return await servers.update_server(session, admin.actor, server, description=body.description)


@router.delete(
    "/{server}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    summary="Delete a server with its tools, secrets and requests",
)
async def delete_server(server: str, admin: AdminDep, session: SessionDep) -> None:
    await servers.delete_server(session, admin.actor, server)


@router.post("/{server}/start", response_model=ServerOut, summary="Expose the server's tools")
async def start_server(server: str, admin: AdminDep, session: SessionDep) -> ServerOut:
    return await servers.start_server(session, admin.actor, server)


@router.post("/{server}/stop", response_model=ServerOut, summary="Withdraw the server's tools")
async def stop_server(server: str, admin: AdminDep, session: SessionDep) -> ServerOut:
    return await servers.stop_server(session, admin.actor, server)


@router.put(
    "/{server}/allowed-hosts",
    response_model=ServerOut,
    summary="Replace the allowed hosts; private ones are added to the private_hosts setting too",
)
async def set_allowed_hosts(
    server: str, body: AllowedHosts, admin: AdminDep, session: SessionDep
) -> ServerOut:
    return await servers.set_allowed_hosts(
        session, admin.actor, server, body.hosts, private=body.private
    )


@router.put(
    "/{server}/allowed-modules", response_model=ServerOut, summary="Replace the allowed modules"
)
async def set_allowed_modules(
    server: str, body: AllowedModules, admin: AdminDep, session: SessionDep
) -> ServerOut:
    return await servers.set_allowed_modules(session, admin.actor, server, body.modules)
