"""Talking to external sources: sessions from the pool, under the server's egress policy.

`SourceGateway` is the one object (per process, owned by the tool runner) through which polybox
reaches an external MCP server: listing its tools, calling one, pinging it. Every operation
checks the source URL under the server's current egress policy first, uses the pooled session
(`connections.py`), is bounded by `timeout`, and reports the source's health: a failure that says
the source is unreachable marks it unhealthy, the next success marks it healthy again. A pooled
session the source no longer knows (it restarted) is reopened once, at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Never, TypeVar

import mcp_types as types
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.crypto import SecretBox
from polybox.forge.errors import UnavailableError
from polybox.forge.external.connections import Endpoint, SessionPool
from polybox.forge.external.network import check_source_url
from polybox.forge.external.oauth import oauth_provider
from polybox.forge.external.targets import RemoteTarget
from polybox.forge.plans import ServerRun
from polybox.sandbox.egress import EgressError, EgressPolicy, Resolver, system_resolver
from polybox.sandbox.python import RunResult, ToolError
from polybox.store.enums import SourceAuth, SourceHealth
from polybox.store.models import ExternalSource
from polybox.store.types import utcnow

logger = logging.getLogger(__name__)

# What the SDK's Streamable HTTP server and client answer for a session the server does not know.
_SESSION_LOST = frozenset({"Session not found", "Session terminated"})
MAX_LISTED_TOOLS = 1000  # a source listing more is cut here (pages followed until then)
T = TypeVar("T")


class SourceError(Exception):
    """The source could not be reached or answered badly; the message is for the caller."""


class SourceGateway:
    """The pooled, policy-checked way to external sources; `close()` at shutdown."""

    def __init__(
        self,
        secret_box: SecretBox,
        settings: Settings,
        *,
        resolver: Resolver = system_resolver,
        timeout: float | None = None,
    ) -> None:
        self.secret_box = secret_box
        self.settings = settings
        self.resolver = resolver
        self.timeout = timeout or settings.call_timeout_seconds
        self.pool = SessionPool(resolver, timeout=self.timeout)
        self._health: dict[int, SourceHealth] = {}  # as last written by this process
        self._reconnect: dict[int, str] = {}  # OAuth sources whose last failure needs a person

    async def close(self) -> None:
        await self.pool.close()

    async def check_url(self, url: str, policy: EgressPolicy) -> None:
        """Raise EgressError when `policy` (a server's egress policy) refuses `url` now."""
        await check_source_url(url, policy, self.resolver)

    async def list_tools(
        self, sessions: async_sessionmaker[AsyncSession], target: RemoteTarget, run: ServerRun
    ) -> list[types.Tool]:
        """Every tool the source lists (up to MAX_LISTED_TOOLS); raises SourceError."""

        async def listing(session: Any) -> list[types.Tool]:
            tools: list[types.Tool] = []
            cursor = None
            while len(tools) < MAX_LISTED_TOOLS:
                params = None if cursor is None else types.PaginatedRequestParams(cursor=cursor)
                page = await session.list_tools(params=params)
                tools += page.tools
                cursor = page.next_cursor
                if not cursor:
                    break
            return tools[:MAX_LISTED_TOOLS]

        return await self._use(sessions, target, run, listing)

    async def ping(
        self, sessions: async_sessionmaker[AsyncSession], target: RemoteTarget, run: ServerRun
    ) -> None:
        """A ping over the pooled session; raises SourceError. Health is recorded either way."""

        async def ping(session: Any) -> None:
            await session.send_ping()

        await self._use(sessions, target, run, ping)

    async def call(
        self,
        sessions: async_sessionmaker[AsyncSession],
        target: RemoteTarget,
        run: ServerRun,
        arguments: Mapping[str, Any],
    ) -> RunResult:
        """Call the remote tool; every failure is a failed RunResult (the call is logged)."""
        started = time.perf_counter()

        async def calling(session: Any) -> types.CallToolResult:
            result: types.CallToolResult = await session.call_tool(
                target.remote_name, dict(arguments), read_timeout_seconds=self.timeout
            )
            return result

        try:
            result = await self._use(sessions, target, run, calling)
        except TimeoutError:
            error = ToolError(
                "TimeoutError", f"{_named(target)} did not answer in {self.timeout:g} s"
            )
            return _failed(error, started)
        except SourceError as exc:
            return _failed(ToolError("ExternalSourceError", str(exc)), started)
        return _outcome(result, started)

    async def _use(
        self,
        sessions: async_sessionmaker[AsyncSession],
        target: RemoteTarget,
        run: ServerRun,
        operation: Callable[[Any], Awaitable[T]],
    ) -> T:
        """Check the URL, take the pooled session, run `operation` within the timeout."""
        try:
            await self.check_url(target.url, run.egress)
        except EgressError as exc:
            raise SourceError(f"{_named(target)} is refused by the egress policy: {exc}") from None
        endpoint = await self._endpoint(sessions, target, run)
        try:
            async with asyncio.timeout(self.timeout):
                try:
                    value = await operation(await self.pool.session(endpoint))
                except MCPError as exc:
                    if exc.message not in _SESSION_LOST:
                        raise
                    # The source forgot our session (it restarted): the request did not run there.
                    await self.pool.discard(target.source_id)
                    value = await operation(await self.pool.session(endpoint))
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:  # the transport gave up: treat as unreachable
                await self.pool.discard(target.source_id)
                await self._unreachable(sessions, target, exc.message)
            await self.record(sessions, target.source_id, None)  # it answered: it is up
            raise SourceError(f"{_named(target)} answered with an error: {exc.message}") from None
        except TimeoutError:
            await self.pool.discard(target.source_id)
            await self.record(sessions, target.source_id, f"no answer within {self.timeout:g} s")
            raise
        except Exception as exc:  # transport failures: connection refused, reset, bad HTTP
            await self.pool.discard(target.source_id)
            await self._unreachable(sessions, target, _reason(exc))
        await self.record(sessions, target.source_id, None)
        return value

    async def _unreachable(
        self, sessions: async_sessionmaker[AsyncSession], target: RemoteTarget, reason: str
    ) -> Never:
        """Record and raise the failure (an OAuth source that needs a person says so)."""
        message = self._reconnect.pop(target.source_id, None)
        await self.record(sessions, target.source_id, message or reason)
        raise SourceError(message or f"{_named(target)} is unreachable ({reason})")

    async def _endpoint(
        self, sessions: async_sessionmaker[AsyncSession], target: RemoteTarget, run: ServerRun
    ) -> Endpoint:
        headers: tuple[tuple[str, str], ...] = ()
        auth = None
        if target.auth_kind is SourceAuth.BEARER:
            key = target.auth_secret_key or ""
            token = run.secrets.get(key)
            if token is None:
                raise UnavailableError(
                    f"{_named(target)} sends the secret {key} as its bearer token, and that "
                    "secret has no value; an admin sets it on the server's Secrets tab"
                )
            headers = (("Authorization", f"Bearer {token}"),)
        elif target.auth_kind is SourceAuth.OAUTH:
            auth = await oauth_provider(
                sessions,
                self.secret_box,
                self.settings,
                target,
                lambda message: self._reconnect.__setitem__(target.source_id, message),
            )
        return Endpoint(
            source_id=target.source_id,
            url=target.url,
            transport=target.transport,
            policy=run.egress,
            headers=headers,
            auth=auth,
            auth_key=target.auth_kind,
        )

    async def record(
        self, sessions: async_sessionmaker[AsyncSession], source_id: int, error: str | None
    ) -> None:
        """Store the source's health when it changed (a store failure is only logged)."""
        health = SourceHealth.HEALTHY if error is None else SourceHealth.UNHEALTHY
        if self._health.get(source_id) is health:
            return
        try:
            await write_health(sessions, source_id, error)
        except Exception as exc:  # the call's outcome matters more than its health record
            logger.warning("could not record the health of source %s: %s", source_id, exc)
            return
        self._health[source_id] = health

    def forget(self, source_id: int) -> None:
        """Forget what was last written, so the next outcome is written (after a health check)."""
        self._health.pop(source_id, None)


async def write_health(
    sessions: async_sessionmaker[AsyncSession], source_id: int, error: str | None
) -> None:
    """Set a source's health, last error and check time in one short transaction."""
    health = SourceHealth.HEALTHY if error is None else SourceHealth.UNHEALTHY
    async with sessions.begin() as session:
        await session.execute(
            update(ExternalSource)
            .where(ExternalSource.id == source_id)
            .values(health=health, last_error=error, last_checked_at=utcnow())
        )


def _named(target: RemoteTarget) -> str:
    return f"external source {target.source!r}"


def _reason(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _failed(error: ToolError, started: float) -> RunResult:
    return RunResult(
        ok=False,
        result=None,
        stdout="",
        error=error,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def _outcome(result: types.CallToolResult, started: float) -> RunResult:
    """The remote result as the runner shapes and logs results (text joined, objects kept)."""
    duration = (time.perf_counter() - started) * 1000
    text = "\n".join(_content_text(block) for block in result.content)
    if result.is_error:
        error = ToolError("ExternalToolError", text or "the remote tool reported an error")
        return RunResult(ok=False, result=None, stdout="", error=error, duration_ms=duration)
    value: Any = result.structured_content if result.structured_content is not None else text
    return RunResult(ok=True, result=value, stdout="", error=None, duration_ms=duration)


def _content_text(block: types.ContentBlock) -> str:
    if isinstance(block, types.TextContent):
        return block.text
    return f"[{block.type} content omitted]"
