"""Progress and log notifications for one request, as far as its client asked for them.

Progress: a request whose `_meta` carries a `progressToken` hears `notifications/progress` on
its own stream (the SDK drops reports for requests without one). Logs (`notifications/message`)
are opt-in in both protocol eras: a handshake-era client sets a level for its connection with
`logging/setLevel` (`LogLevels`; nothing is sent before it does), a 2026-07-28 client puts
`io.modelcontextprotocol/logLevel` in the request's `_meta`. Either way a message rides the
stream of the request it is about. The SDK marks its own logging helpers deprecated (logging is
deprecated as of 2026-07-28), so the notification is sent as a plain typed notification.
"""

from __future__ import annotations

import weakref
from typing import Any, get_args

import mcp_types as types
from mcp.server.connection import Connection, allowed_log_levels
from mcp.server.context import ServerRequestContext
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from polybox.mcp.notifications import connection_of

LEVELS: tuple[types.LoggingLevel, ...] = get_args(types.LoggingLevel)  # least severe first


def at_or_above(level: types.LoggingLevel) -> frozenset[types.LoggingLevel]:
    """`level` and every more severe one."""
    return frozenset(LEVELS[LEVELS.index(level) :])


class LogLevels:
    """The level each handshake-era connection asked for; the `logging/setLevel` handler."""

    def __init__(self) -> None:
        self._levels: weakref.WeakKeyDictionary[Connection, types.LoggingLevel] = (
            weakref.WeakKeyDictionary()
        )

    async def set_level(
        self, ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
    ) -> types.EmptyResult:
        self._levels[connection_of(ctx.session)] = params.level
        return types.EmptyResult()

    def allowed(self, ctx: ServerRequestContext[Any, Any]) -> frozenset[types.LoggingLevel]:
        """The levels this request's client wants to hear."""
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return allowed_log_levels(ctx.protocol_version, ctx.meta)
        level = self._levels.get(connection_of(ctx.session))
        return frozenset() if level is None else at_or_above(level)


class Reporter:
    """Where a handler sends progress and log messages about its request; `SILENT` sends none."""

    def __init__(
        self, ctx: ServerRequestContext[Any, Any] | None = None, levels: LogLevels | None = None
    ) -> None:
        self._ctx = ctx
        self._allowed = frozenset() if ctx is None or levels is None else levels.allowed(ctx)

    async def progress(self, progress: float, total: float | None, message: str) -> None:
        """A `forge.progress.Progress`: report to the client if it sent a progress token."""
        if self._ctx is not None:
            await self._ctx.session.report_progress(progress, total, message)

    async def log(self, level: types.LoggingLevel, data: Any, logger: str) -> None:
        """Send one log message if the client asked for this level."""
        if self._ctx is None or level not in self._allowed:
            return
        message = types.LoggingMessageNotification(
            params=types.LoggingMessageNotificationParams(level=level, data=data, logger=logger)
        )
        await self._ctx.session.send_notification(message, related_request_id=self._ctx.request_id)


SILENT = Reporter()
