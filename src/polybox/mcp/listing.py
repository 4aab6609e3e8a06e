"""tools/list answered from the SDK's own last answer while the tool list has not changed.

With 500 forged tools most of a tools/list is the SDK's work, not ours: dumping the result
model, then validating it against the protocol version's schema and dumping it again (the
"sieve"), before the transport serialises the JSON-RPC reply. Our side is cached already
(`ForgedTools` keeps the rendered `Tool`s). `ListingCache` is server middleware that keeps the
wire-shaped result the SDK produced for each protocol version, and returns it without calling
the handler while the catalog snapshot it was built from is still current. The SDK's
middleware contract allows this: a result returned without `call_next` is trusted as is.

Only requests the SDK would answer the same way are served from the cache: tools/list without
a cursor, on a connection past its handshake (or born ready: 2026-07-28, or sessionless). Clients
see different lists only as far as their access differs (`forge/access.py`: local, or a remote
client's scopes and policy), so one answer per protocol version and kind of access is right.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from mcp.server.context import HandlerResult, ServerRequestContext

from polybox.mcp.notifications import connection_of

CallNext = Callable[[ServerRequestContext[Any, Any]], Awaitable[HandlerResult]]


class ListingCache:
    """Middleware: the last tools/list answer per protocol version and `view`, for a `snapshot`.

    `snapshot()` returns an object that stays the same (`is`) exactly as long as tools/list
    would read the same, and None when that is not known (the catalog was just invalidated).
    `view(ctx)` names what this caller is allowed to see; callers with equal views get the
    same answer. There are only a few kinds (local, and per scope set and policy).
    """

    def __init__(
        self,
        snapshot: Callable[[], object | None],
        view: Callable[[ServerRequestContext[Any, Any]], Awaitable[Hashable]],
    ) -> None:
        self._snapshot = snapshot
        self._view = view
        self._answers: dict[tuple[str, Hashable], tuple[object, dict[str, Any]]] = {}

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if not _cacheable(ctx):
            return await call_next(ctx)
        key = (ctx.protocol_version, await self._view(ctx))
        before = self._snapshot()
        kept = self._answers.get(key)
        if before is not None and kept is not None and kept[0] is before:
            return copy.copy(kept[1])  # the SDK copies the top level too; nested parts are shared
        result = await call_next(ctx)
        if before is not None and self._snapshot() is before and isinstance(result, dict):
            self._answers[key] = (before, result)
            return copy.copy(result)
        return result


def _cacheable(ctx: ServerRequestContext[Any, Any]) -> bool:
    if ctx.method != "tools/list" or (ctx.params or {}).get("cursor") is not None:
        return False
    # Past its handshake, or born ready: a 2026-07-28 request or a sessionless (stateless) one.
    return connection_of(ctx.session).initialized.is_set()
