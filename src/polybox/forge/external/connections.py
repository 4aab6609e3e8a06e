"""Pooled MCP client sessions to external sources: one live session per source, reused.

Opening an MCP session costs a handshake (and on legacy SSE a long-lived stream), so each source
keeps one initialised `ClientSession` that every call shares. The SDK's transports run in task
groups that must close in the task that opened them, so each session lives in an owner task that
opens it, reports ready and waits to be told to close. A session is reopened when how the source
is reached changed (URL, transport, credentials, egress policy: `Endpoint.key`) and dropped after
a transport failure, so the next call dials again; the pool holds at most `limit` sessions and
closes the least recently used one beyond that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field
from typing import Any

import httpx2
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from polybox import __version__
from polybox.forge.external.network import checked_client
from polybox.sandbox.egress import EgressPolicy, Resolver
from polybox.store.enums import SourceTransport

logger = logging.getLogger(__name__)

DEFAULT_POOL_LIMIT = 32
CLIENT_INFO = types.Implementation(name="polybox", version=__version__)


@dataclass(frozen=True)
class Endpoint:
    """How to reach one source now: what its session is opened with."""

    source_id: int
    url: str
    transport: SourceTransport
    policy: EgressPolicy
    headers: tuple[tuple[str, str], ...] = ()
    auth: httpx2.Auth | None = field(default=None, compare=False)
    auth_key: Hashable = None  # identifies `auth`'s credentials (a changed token reopens)

    @property
    def key(self) -> Hashable:
        """Equal keys can share a session."""
        return (self.url, self.transport, self.policy, self.headers, self.auth_key)


class _Connection:
    """One session and the task that owns its transport."""

    def __init__(self, endpoint: Endpoint, resolver: Resolver, timeout: float) -> None:
        self.endpoint = endpoint
        self._resolver = resolver
        self._timeout = timeout
        self._ready: asyncio.Future[ClientSession] = asyncio.get_running_loop().create_future()
        self._closing = asyncio.Event()
        self._task = asyncio.create_task(self._own(), name=f"polybox-source-{endpoint.source_id}")

    async def session(self) -> ClientSession:
        """The initialised session; raises what opening it raised."""
        return await asyncio.shield(self._ready)

    async def close(self) -> None:
        self._closing.set()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            async with asyncio.timeout(self._timeout):
                await asyncio.shield(self._task)
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    async def _own(self) -> None:
        try:
            async with opened_session(self.endpoint, self._resolver, self._timeout) as session:
                self._ready.set_result(session)
                await self._closing.wait()
        except BaseException as exc:  # reported to whoever waits; the task itself ends quietly
            if not self._ready.done():
                self._ready.set_exception(_plain(exc))
            else:
                logger.debug("source %s session ended: %r", self.endpoint.source_id, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise


@contextlib.asynccontextmanager
async def opened_session(
    endpoint: Endpoint,
    resolver: Resolver,
    timeout: float,  # noqa: ASYNC109 (bounds the handshake and each HTTP operation)
) -> AsyncIterator[ClientSession]:
    """An initialised MCP session to `endpoint` over its transport, every dial egress-checked.

    Must be entered and left in one task (the SDK's transports run task groups).
    """
    headers = dict(endpoint.headers)
    async with contextlib.AsyncExitStack() as stack:
        if endpoint.transport is SourceTransport.SSE:

            def factory(
                headers: dict[str, str] | None = None,
                timeout: httpx2.Timeout | None = None,
                auth: httpx2.Auth | None = None,
            ) -> httpx2.AsyncClient:
                return checked_client(
                    endpoint.policy, resolver, headers=headers, timeout=timeout, auth=auth
                )

            read, write = await stack.enter_async_context(
                sse_client(
                    endpoint.url,
                    headers=headers,
                    timeout=timeout,
                    httpx_client_factory=factory,
                    auth=endpoint.auth,
                )
            )
        else:
            client = checked_client(
                endpoint.policy,
                resolver,
                headers=headers,
                timeout=httpx2.Timeout(timeout, read=max(timeout, 300.0)),
                auth=endpoint.auth,
            )
            await stack.enter_async_context(client)
            read, write = await stack.enter_async_context(
                streamable_http_client(endpoint.url, http_client=client)
            )
        session = await stack.enter_async_context(
            ClientSession(read, write, client_info=CLIENT_INFO)
        )
        async with asyncio.timeout(timeout):
            await session.initialize()
        yield session


def _plain(exc: BaseException) -> Exception:
    """The first real error inside task-group wrappers, for a readable message."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc if isinstance(exc, Exception) else ConnectionError(type(exc).__name__)


class SessionPool:
    """The live sessions of one process, keyed by source id; `close()` at shutdown."""

    def __init__(
        self, resolver: Resolver, *, timeout: float, limit: int = DEFAULT_POOL_LIMIT
    ) -> None:
        self._resolver = resolver
        self._timeout = timeout
        self._limit = limit
        self._connections: OrderedDict[int, _Connection] = OrderedDict()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._connections)

    async def session(self, endpoint: Endpoint) -> ClientSession:
        """The shared session for `endpoint`, opened (or reopened) as needed.

        Raises what the transport or the handshake raised; a failed opening is not kept.
        """
        stale: list[_Connection] = []
        async with self._lock:
            connection = self._connections.get(endpoint.source_id)
            if connection is not None and connection.endpoint.key != endpoint.key:
                stale.append(self._connections.pop(endpoint.source_id))
                connection = None
            if connection is None:
                connection = _Connection(endpoint, self._resolver, self._timeout)
                self._connections[endpoint.source_id] = connection
                while len(self._connections) > self._limit:
                    stale.append(self._connections.popitem(last=False)[1])
            self._connections.move_to_end(endpoint.source_id)
        for old in stale:
            await old.close()
        try:
            return await connection.session()
        except Exception:
            await self.discard(endpoint.source_id, connection)
            raise

    async def discard(self, source_id: int, connection: Any = None) -> None:
        """Close the source's session (only `connection`, when given, if it is still current)."""
        async with self._lock:
            current = self._connections.get(source_id)
            if current is None or (connection is not None and current is not connection):
                return
            del self._connections[source_id]
        await current.close()

    async def close(self) -> None:
        async with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        for connection in connections:
            await connection.close()
