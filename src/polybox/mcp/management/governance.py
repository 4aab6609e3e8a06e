"""Governance tools: ask for publication, modules and hosts; see what is pending and allowed."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from polybox.forge import approvals, requests
from polybox.forge.pages import Page
from polybox.forge.schemas import AllowedModulesOut, RequestKind, RequestOut, ToolOut, ToolStatusOut
from polybox.mcp.management.base import Call, Input, ManagementTool, PageInput

REASON = Field("", description="Why the tool needs it; the admin reads this (max 2000 chars).")


class ToolRef(Input):
    server: str = Field(description="Server name.")
    tool: str = Field(description="Tool name within the server.")


class ModuleRequest(Input):
    module: str = Field(description="Importable module name, e.g. 'dateutil'.")
    server: str | None = Field(None, description="Server that needs it; omit to ask globally.")
    reason: str = REASON
    package: str | None = Field(
        None,
        description=(
            "The package on the index that provides the module when its name differs, "
            "e.g. 'python-dateutil' for dateutil; optionally pinned ('name==1.2')."
        ),
    )


class NetworkRequest(Input):
    server: str = Field(description="Server whose tools need to reach the host.")
    host: str = Field(description="Public host name, e.g. 'api.example.com'.")
    port: int | None = Field(None, ge=1, le=65535, description="Port; default 80 and 443.")
    reason: str = REASON


class PendingRequests(PageInput):
    kind: RequestKind | None = Field(None, description="Only 'module' or 'network' requests.")


class ModulesOf(Input):
    server: str | None = Field(None, description="Include this server's own allowed modules.")


async def _publish(call: Call, args: ToolRef) -> ToolOut:
    async with call.transaction() as session:
        return await approvals.request_publish(session, call.actor, args.server, args.tool)


async def _module(call: Call, args: ModuleRequest) -> RequestOut:
    async with call.transaction() as session:
        return await requests.request_module(
            session, call.actor, args.server, args.module, args.reason, package=args.package
        )


async def _network(call: Call, args: NetworkRequest) -> RequestOut:
    async with call.transaction() as session:
        return await requests.request_network_access(
            session, call.actor, args.server, args.host, port=args.port, reason=args.reason
        )


async def _status(call: Call, args: ToolRef) -> ToolStatusOut:
    async with call.transaction() as session:
        return await approvals.get_tool_status(session, args.server, args.tool)


async def _pending(call: Call, args: PendingRequests) -> Page[RequestOut]:
    async with call.transaction() as session:
        return await requests.list_pending_requests(
            session, page=args.page, page_size=args.page_size, kind=args.kind
        )


async def _modules(call: Call, args: ModulesOf) -> AllowedModulesOut:
    async with call.transaction() as session:
        return await requests.get_allowed_modules(session, args.server)


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "polybox_request_publish",
        "Ask the admin to approve a tool (draft or rejected -> pending_review). Imports and "
        "hosts the code needs must be allowed or requested first.",
        ToolRef,
        _publish,
        output=ToolOut,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_request_module",
        "Ask the admin to allow importing a module, for one server or for all. Once approved it "
        "is installed: the request says `installing`, then `approved` when the module imports "
        "(or `install_failed` with why).",
        ModuleRequest,
        _module,
        output=RequestOut,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_request_network_access",
        "Ask the admin to let a server's tools reach a public host (http.get etc.). Private and "
        "loopback hosts cannot be requested: an admin allows them on the server's allowed "
        "hosts in the admin UI.",
        NetworkRequest,
        _network,
        output=RequestOut,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_get_tool_status",
        "Whether clients can call a tool now and, if not, every reason why.",
        ToolRef,
        _status,
        output=ToolStatusOut,
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_list_pending_requests",
        "List module and network requests waiting for the admin, oldest first.",
        PendingRequests,
        _pending,
        output=Page[RequestOut],
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_get_allowed_modules",
        "The modules tool code may import: global entries, a server's own, and their union.",
        ModulesOf,
        _modules,
        output=AllowedModulesOut,
        read_only=True,
        idempotent=True,
    ),
]
