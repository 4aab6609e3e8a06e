"""`notifications/tools/list_changed` (and `resources/list_changed`) to every client, every replica.

A forge change (tool added/changed/removed, approval decided, server started/stopped/removed)
is published on the instance's event bus; with PostgreSQL it reaches every replica. The watcher
here, one per MCP surface, turns each such event into: invalidate the tool catalog cache, then
tell every client connected to THIS process that the tool list changed, and the resource list
with it (resources/list names every tool's source and schema); then tell the clients subscribed
to the changed tool's resources that they were updated.

Clients come in two eras. Handshake-era clients (2025-xx, stdio or stateful Streamable HTTP)
have a long-lived connection: we remember each one while it is open and notify it on its
standalone channel. 2026-07-28 clients are sessionless and open a `subscriptions/listen` stream
to hear about changes; the SDK's `ListenHandler` serves those streams from a subscription bus
we publish to. Resource subscriptions follow the same split: a handshake-era client subscribes
with `resources/subscribe` (remembered per connection), a 2026-07-28 client names the URIs in
its listen request. In both eras any URI is honoured, as the SDK's listen handler does: one that
never changes never fires.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio
import mcp_types as types
from anyio.abc import TaskStatus
from mcp.server.connection import Connection
from mcp.server.context import HandlerResult, ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import (
    InMemorySubscriptionBus,
    ListenHandler,
    ResourcesListChanged,
    ResourceUpdated,
    ToolsListChanged,
)
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_REQUEST
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from polybox.events import Event, EventBus, EventKind
from polybox.logs import get_logger

_log = get_logger("polybox.mcp")

# Events after which tools/list may read differently.
LIST_CHANGING = frozenset(
    {
        EventKind.TOOL_ADDED,
        EventKind.TOOL_CHANGED,
        EventKind.TOOL_REMOVED,
        EventKind.SERVER_STARTED,
        EventKind.SERVER_STOPPED,
        EventKind.SERVER_REMOVED,
        EventKind.APPROVAL_CHANGED,
        EventKind.SETTINGS_CHANGED,  # remote_tool_editing decides what remote clients see
        EventKind.RESYNC,
    }
)
# A client that does not drain its stream must not hold up the others.
_SEND_TIMEOUT = 2.0

CallNext = Callable[[ServerRequestContext[Any, Any]], Awaitable[HandlerResult]]


def connection_of(session: ServerSession) -> Connection:
    """The SDK connection behind a low-level handler's session."""
    # SDK 2.3 gives low-level handlers no public path to their Connection: the `Context` that
    # has `.connection` is not yet what the runner builds (TODO(L54) in the SDK). The
    # notification tests fail if this attribute goes away.
    connection: Connection = session._connection
    return connection


class ListChangedFanout:
    """The open handshake-era connections and the listen streams of this process.

    Install `track` as server middleware (it registers each connection once and forgets it
    when the connection closes) and `listen_handler` as the `subscriptions/listen` handler.
    """

    def __init__(self) -> None:
        self._connections: set[Connection] = set()
        self._subscribed: weakref.WeakKeyDictionary[Connection, set[str]] = (
            weakref.WeakKeyDictionary()
        )
        self._bus = InMemorySubscriptionBus()
        self.listen_handler = ListenHandler(self._bus)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def track(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        """Middleware: remember the connection of every handshake-era message.

        A sessionless handshake-era request (`mcp_stateless`) has no standalone channel to
        notify, so it is not remembered.
        """
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            connection = connection_of(ctx.session)
            if connection.has_standalone_channel and connection not in self._connections:
                self._connections.add(connection)
                connection.exit_stack.callback(self._connections.discard, connection)
        return await call_next(ctx)

    async def tools_changed(self) -> None:
        """Tell every client of this process to re-read tools/list and resources/list."""
        for connection in list(self._connections):
            with anyio.move_on_after(_SEND_TIMEOUT) as scope:
                await connection.send_tool_list_changed()
                await connection.send_resource_list_changed()
            if scope.cancelled_caught:
                _log.warning("mcp client too slow for list_changed", session=connection.session_id)
        await self._bus.publish(ToolsListChanged())
        await self._bus.publish(ResourcesListChanged())

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        """resources/subscribe: remember the URI for this connection, which must have a
        standalone channel to be told (not a sessionless request)."""
        connection = connection_of(ctx.session)
        if not connection.has_standalone_channel:
            raise MCPError(
                INVALID_REQUEST,
                "resources/subscribe needs a session; this server answers handshake-era clients "
                "sessionless (mcp_stateless), so re-read the resource instead",
            )
        self._subscribed.setdefault(connection, set()).add(params.uri)
        return types.EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        self._subscribed.get(connection_of(ctx.session), set()).discard(params.uri)
        return types.EmptyResult()

    async def resources_updated(self, uris: Iterable[str]) -> None:
        """Tell the clients subscribed to any of `uris` that it changed."""
        for uri in uris:
            for connection, subscribed in list(self._subscribed.items()):
                if uri in subscribed:
                    with anyio.move_on_after(_SEND_TIMEOUT):
                        await connection.send_resource_updated(uri)
            await self._bus.publish(ResourceUpdated(uri))

    def close(self) -> None:
        """End the listen streams gracefully (shutdown)."""
        self.listen_handler.close()


async def watch_tool_changes(
    events: EventBus,
    on_change: Callable[[Event], Awaitable[None]],
    *,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Call `on_change` with every event that may change tools/list, until cancelled.

    Start it with `task_group.start`: it reports started once subscribed, so no later event is
    missed.
    """
    async with events.subscribe() as subscription:
        task_status.started()
        async for event in subscription:
            if event.kind in LIST_CHANGING:
                await on_change(event)
