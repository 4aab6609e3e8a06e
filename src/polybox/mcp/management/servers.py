"""Management tools for servers: the named groups that forged tools live in."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from polybox.forge import servers
from polybox.forge.pages import Page
from polybox.forge.schemas import ServerOut
from polybox.mcp.management.base import Call, Deleted, Input, ManagementTool, PageInput

SERVER_NAME = Field(description="Server name, e.g. 'weather'.")


class ServerRef(Input):
    server: str = SERVER_NAME


class CreateServer(Input):
    name: str = Field(
        description="New server name: 1-48 of a-z, 0-9 and '_', starting with a letter."
    )
    description: str = Field("", description="What the server's tools are for (max 2000 chars).")


async def _list(call: Call, args: PageInput) -> Page[ServerOut]:
    async with call.transaction() as session:
        return await servers.list_servers(session, page=args.page, page_size=args.page_size)


async def _get(call: Call, args: ServerRef) -> ServerOut:
    async with call.transaction() as session:
        return await servers.get_server(session, args.server)


async def _create(call: Call, args: CreateServer) -> ServerOut:
    async with call.transaction() as session:
        return await servers.create_server(session, call.actor, args.name, args.description)


async def _delete(call: Call, args: ServerRef) -> Deleted:
    async with call.transaction() as session:
        await servers.delete_server(session, call.actor, args.server)
    return Deleted(deleted=args.server)


async def _start(call: Call, args: ServerRef) -> ServerOut:
    async with call.transaction() as session:
        return await servers.start_server(session, call.actor, args.server)


async def _stop(call: Call, args: ServerRef) -> ServerOut:
    async with call.transaction() as session:
        return await servers.stop_server(session, call.actor, args.server)


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "polybox_list_servers",
        "List servers with their status, allow-lists and tool counts by approval state.",
        PageInput,
        _list,
        output=Page[ServerOut],
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_get_server",
        "Get one server: status, allowed hosts and modules, tool counts.",
        ServerRef,
        _get,
        output=ServerOut,
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_create_server",
        "Create a server (a named group of tools sharing secrets and allowed hosts). "
        "It starts stopped; its tools are callable once approved and the server is started.",
        CreateServer,
        _create,
        output=ServerOut,
    ),
    ManagementTool(
        "polybox_delete_server",
        "Delete a server with all its tools, versions and secrets. Cannot be undone.",
        ServerRef,
        _delete,
        output=Deleted,
        destructive=True,
        idempotent=False,
    ),
    ManagementTool(
        "polybox_start_server",
        "Start a server: its approved, enabled tools appear in tools/list.",
        ServerRef,
        _start,
        output=ServerOut,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_stop_server",
        "Stop a server: its tools leave tools/list until it is started again.",
        ServerRef,
        _stop,
        output=ServerOut,
        idempotent=True,
    ),
]
