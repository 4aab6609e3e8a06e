"""The MCP server of one instance: tools, prompts, resources, completion, logging, notifications.

`McpSurface` owns the SDK's low-level `Server` (named "polybox", with instructions that teach
the forge workflow and the .NET tools), the management and `dotnet_*` tool tables, the prompts
(`prompts.py`), the resources (`resources.py`), completion of their arguments (`completion.py`),
the log level each handshake-era client set (`reporting.py`), and the list_changed fan-out.
Transports use
it: `http.py` mounts it at `/mcp`, `stdio.py` serves it on stdin/stdout. `running()` must be
entered for the length of the serve: it watches the event bus for forge changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions, Server
from mcp.server.models import InitializationOptions
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_REQUEST

from polybox import __version__
from polybox.events import Event
from polybox.forge.access import Access, RemotePolicy, access_of
from polybox.instance import Instance
from polybox.mcp import completion, prompts, resources
from polybox.mcp.caller import actor_of
from polybox.mcp.dotnet import DOTNET_TOOLS
from polybox.mcp.dotnet.base import call_dotnet_tool, refused
from polybox.mcp.forged import ForgedTools
from polybox.mcp.listing import ListingCache
from polybox.mcp.management import MANAGEMENT_TOOLS
from polybox.mcp.management.base import Call, call_management_tool
from polybox.mcp.notifications import ListChangedFanout, watch_tool_changes
from polybox.mcp.reporting import LogLevels, Reporter
from polybox.mcp.results import failure

# The tool sets of `mcp_tool_sets`: a deployment lists and serves only the ones switched on.
FORGE_SET = "polybox"  # the management tools and the forged tools
DOTNET_SET = "dotnet"  # the dotnet_* tools

INSTRUCTIONS = """\
polybox lets you build your own MCP tools in Python; an admin approves them before they run.
Workflow: polybox_create_server (a group of tools) -> polybox_create_server_secret for any API
key (the admin fills in the value; you never see it) -> write `async def main(...)` with typed
parameters and a docstring, check it with polybox_validate_code -> polybox_create_tool ->
polybox_request_publish -> once the admin approves and the server runs, the tool appears as
`<server>__<tool>` (you get notifications/tools/list_changed). Inside the code use
`secrets["KEY"]` (a stand-in that becomes the value only in requests to allowed hosts) and
`await http.get(...)`; hosts and imports must be allowed — ask with
polybox_request_network_access / polybox_request_module. Changing code needs approval again.
When a tool fails, read its recent calls (resource polybox://tools/<server>/<tool>/logs) or use
the prompt review_tool_failures.

.NET: dotnet_execute_snippet runs C# (top-level statements or a full program; a bare last
expression is printed) on .NET 8, 9 or 10 with optional NuGet `packages` ("Name" or
"Name@version"); dotnet_compare_versions runs one snippet on several versions and diffs the
outputs. Both answer {status, data, metadata}; a compile error or exception is data.outcome,
with diagnostics and a fix suggestion each. Output is concise (50 lines a stream) unless you
pass detail_level "full".
"""


class _PolyboxServer(Server[Any]):
    """The SDK server, advertising `tools.listChanged` and `resources.listChanged` to
    handshake-era clients.

    The Streamable HTTP session manager builds the initialize answer from
    `create_initialization_options()` without arguments, so the flag is set here.
    """

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True, resources_changed=True),
            experimental_capabilities,
            extensions,
        )


class McpSurface:
    """One instance's MCP server; transports share it."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.fanout = ListChangedFanout()
        self.forged = ForgedTools(instance, instance.runner)
        self.policy = RemotePolicy(instance.sessions, instance.events)
        self.log_levels = LogLevels()
        self._management = {tool.name: tool for tool in MANAGEMENT_TOOLS}
        self._management_listing = [tool.listing() for tool in MANAGEMENT_TOOLS]
        self._dotnet = {tool.name: tool for tool in DOTNET_TOOLS}
        self._dotnet_listing = [tool.listing() for tool in DOTNET_TOOLS]
        self._builtin_schemas = {
            tool.name: tool.input_schema
            for tool in [*self._management_listing, *self._dotnet_listing]
        }
        self.server = _PolyboxServer(
            "polybox",
            version=__version__,
            title="polybox",
            instructions=INSTRUCTIONS,
            get_tool_input_schema=self._input_schema,
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
            on_list_prompts=self._list_prompts,
            on_get_prompt=self._get_prompt,
            on_list_resources=self._list_resources,
            on_list_resource_templates=self._list_resource_templates,
            on_read_resource=self._read_resource,
            on_completion=self._complete,
            on_subscribe_resource=self.fanout.subscribe,
            on_unsubscribe_resource=self.fanout.unsubscribe,
            on_subscriptions_listen=self.fanout.listen_handler,
        )
        # Registered here rather than as `on_set_logging_level`, which warns that logging is
        # deprecated as of 2026-07-28: handshake-era clients still use it.
        self.server.add_request_handler(
            "logging/setLevel", types.SetLevelRequestParams, self.log_levels.set_level
        )
        self.server.middleware.append(self.fanout.track)
        self.server.middleware.append(
            ListingCache(lambda: self.forged.catalog.snapshot, self._access)
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Watch forge changes and notify clients, for the length of the block."""
        async with anyio.create_task_group() as tasks:
            await tasks.start(watch_tool_changes, self.instance.events, self.tools_changed)
            try:
                yield
            finally:
                self.fanout.close()
                tasks.cancel_scope.cancel()

    async def tools_changed(self, event: Event) -> None:
        """Forget cached tool listings, tell every client to list again, and the subscribers of
        the changed tool's resources that they changed."""
        self.forged.catalog.invalidate()
        # Updates first: a client that hears list_changed has heard this event's updates.
        await self.fanout.resources_updated(resources.changed_by(event.data))
        await self.fanout.tools_changed()

    def _input_schema(self, name: str) -> Mapping[str, Any] | None:
        """A tool's input schema for the SDK's `Mcp-Param-*` header check, from memory.

        Without this the SDK answers a whole tools/list before every 2026-07-28 tools/call to
        find one schema. A forged tool missing from the cache (just invalidated) gets None: the
        check is skipped, as the SDK does when its listing fails; our schemas declare no
        header-bound parameters, and the call's arguments are still validated by the runner.
        """
        builtin = self._builtin_schemas.get(name)
        return builtin if builtin is not None else self.forged.input_schema(name)

    async def _access(self, ctx: ServerRequestContext[Any, Any]) -> Access:
        return await access_of(actor_of(ctx), self.policy)

    async def _list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        """Every tool this caller may call (`forge/access.py`): refused ones are not listed."""
        access = await self._access(ctx)
        forge_on = self._set_refusal(FORGE_SET) is None
        management = [
            listing
            for listing, tool in zip(self._management_listing, MANAGEMENT_TOOLS, strict=True)
            if forge_on and access.management_refusal(tool.name, read_only=tool.read_only) is None
        ]
        dotnet_on = self._set_refusal(DOTNET_SET) is None and access.dotnet_refusal() is None
        dotnet = self._dotnet_listing if dotnet_on else []
        forged_on = forge_on and access.forged_refusal() is None
        forged = await self.forged.listings() if forged_on else []
        return types.ListToolsResult(tools=[*management, *dotnet, *forged])

    def _set_refusal(self, tool_set: str) -> str | None:
        """Why no tool of `tool_set` may be listed or called here (`mcp_tool_sets`), or None."""
        sets = self.instance.settings.mcp_tool_sets
        if tool_set in sets:
            return None
        return (
            f"the {tool_set} tools are switched off on this polybox (tool sets on: "
            f"{', '.join(sets) or 'none'}); an admin can add {tool_set!r} to "
            "POLYBOX_MCP_TOOL_SETS"
        )

    async def _call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        actor = actor_of(ctx)
        access = await access_of(actor, self.policy)
        dotnet = self._dotnet.get(params.name)
        if dotnet is not None:
            refusal = self._set_refusal(DOTNET_SET) or access.dotnet_refusal()
            if refusal is not None:
                return refused(refusal)
            return await call_dotnet_tool(dotnet, Call(self.instance, actor), params.arguments)
        tool = self._management.get(params.name)
        refusal = self._set_refusal(FORGE_SET) or (
            access.forged_refusal()
            if tool is None
            else access.management_refusal(tool.name, read_only=tool.read_only)
        )
        if refusal is not None:
            return failure(refusal)
        report = Reporter(ctx, self.log_levels)
        if tool is not None:
            call = Call(self.instance, actor, report)
            result = await call_management_tool(tool, call, params.arguments)
            if not tool.read_only:
                # The caller sees its own change in its next tools/list, even before the
                # change event has made its way round the bus.
                self.forged.catalog.invalidate()
            return result
        return await self.forged.call(actor, params.name, params.arguments, report)

    async def _reading_allowed(self, ctx: ServerRequestContext[Any, Any]) -> None:
        """Prompts, resources and completion read the forge like read-only management tools:
        a remote caller needs the same scope and policy (`forge/access.py`)."""
        refusal = (await self._access(ctx)).management_refusal(ctx.method, read_only=True)
        if refusal is not None:
            raise MCPError(INVALID_REQUEST, refusal)

    async def _list_prompts(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=[prompt.listing() for prompt in prompts.PROMPTS])

    async def _get_prompt(
        self, ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        await self._reading_allowed(ctx)
        return await prompts.get_prompt(self.instance, params.name, params.arguments)

    async def _list_resources(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        await self._reading_allowed(ctx)
        return await resources.list_resources(self.instance)

    async def _list_resource_templates(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=resources.TEMPLATES)

    async def _read_resource(
        self, ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        await self._reading_allowed(ctx)
        return await resources.read_resource(self.instance, params.uri)

    async def _complete(
        self, ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        await self._reading_allowed(ctx)
        return await completion.complete(self.instance, params)
