"""Management tools for external MCP sources: add one, list them, discover and import tools.

Imported tools are passthrough tools: `<server>__<tool>` once an admin approved them, each call
proxied to the source. Changing or removing a source, and connecting an OAuth source, happen in
the admin UI.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from polybox.forge.external import passthrough, sources
from polybox.forge.external.schemas import DiscoveryOut, ImportOut, SourceOut
from polybox.mcp.management.base import Call, Input, ManagementTool
from polybox.store.enums import SourceAuth, SourceTransport


class ServerRef(Input):
    server: str = Field(description="Server name.")


class SourceRef(ServerRef):
    source: str = Field(description="External source name.")


class AddSource(ServerRef):
    name: str = Field(description="Source name: lowercase letters, digits, '_'.")
    url: str = Field(description="The MCP endpoint, e.g. https://mcp.example.com/mcp.")
    transport: SourceTransport = Field(
        SourceTransport.STREAMABLE_HTTP,
        description="'streamable_http' (current MCP servers) or 'sse' (legacy SSE servers).",
    )
    auth: SourceAuth = Field(
        SourceAuth.NONE,
        description="'none', 'bearer' (token from a server secret) or 'oauth' (an admin connects "
        "it in the admin UI).",
    )
    secret_key: str | None = Field(
        None, description="For 'bearer': the server secret holding the token, e.g. UPSTREAM_TOKEN."
    )


class ImportTools(SourceRef):
    tools: list[str] = Field(min_length=1, description="Remote tool names to import.")
    names: dict[str, str] = Field(
        default_factory=dict,
        description="Optional local names by remote name (default: derived from the remote name).",
    )


class SourceList(BaseModel):
    items: list[SourceOut]


async def _add(call: Call, args: AddSource) -> SourceOut:
    async with call.transaction() as session:
        return await sources.add_source(
            session, call.actor, call.instance.runner.external, args.server,
            name=args.name, url=args.url, transport=args.transport, auth=args.auth,
            secret_key=args.secret_key,
        )  # fmt: skip


async def _list(call: Call, args: ServerRef) -> SourceList:
    async with call.transaction() as session:
        return SourceList(items=await sources.list_sources(session, args.server))


async def _discover(call: Call, args: SourceRef) -> DiscoveryOut:
    instance = call.instance
    return await passthrough.discover_tools(
        instance.sessions, instance.runner.external, args.server, args.source
    )


async def _import(call: Call, args: ImportTools) -> ImportOut:
    instance = call.instance
    return await passthrough.import_tools(
        instance.sessions, instance.events, call.actor, instance.runner.external,
        server=args.server, source=args.source, tools=args.tools, names=args.names,
    )  # fmt: skip


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "polybox_add_external_source",
        "Add another MCP server (Streamable HTTP or legacy SSE) as a source of tools for a "
        "server. Its host must be in the server's allowed hosts (ask with "
        "polybox_request_network_access). Then discover and import its tools.",
        AddSource,
        _add,
        output=SourceOut,
    ),
    ManagementTool(
        "polybox_list_external_sources",
        "List a server's external MCP sources: URL, auth kind, health, last error, imported tools.",
        ServerRef,
        _list,
        output=SourceList,
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_discover_external_tools",
        "List the tools an external source offers now, with the local name each would get.",
        SourceRef,
        _discover,
        output=DiscoveryOut,
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_import_external_tools",
        "Import tools of an external source as passthrough tools <server>__<name>. They wait for "
        "an admin's approval like any tool; calls are proxied to the source. Re-importing a "
        "changed tool makes a new version that needs approval again.",
        ImportTools,
        _import,
        output=ImportOut,
    ),
]
