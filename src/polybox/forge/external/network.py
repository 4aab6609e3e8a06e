"""The network side of external MCP sources: the server's egress policy, enforced on every dial.

A source's URL is checked with the same rule as a tool's HTTP request (`sandbox.egress.check_url`:
the server's allowed hosts, every resolved address public unless the admin approved the host as
private, no link-local/metadata or tunnelling addresses ever) when the source is added and before
every call. The HTTP client the MCP SDK is handed dials through `CheckedBackend`, which runs that
check again for each new TCP connection and connects to exactly the address it checked: a DNS
answer that changes between check and connect (rebinding) cannot steer a connection elsewhere,
and redirects or OAuth endpoints on other hosts are held to the same policy.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping

import certifi
import httpcore2
import httpx
import httpx2

from polybox.sandbox.egress import EgressError, EgressPolicy, Resolver, Target, check_url

MAX_CONNECTIONS_PER_SOURCE = 8


async def check_source_url(url: str, policy: EgressPolicy, resolver: Resolver) -> Target:
    """Check `url` under `policy`; EgressError says what is refused and how to allow it."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise EgressError(f"invalid URL {url!r}: {exc}") from None
    return await check_url(parsed, policy, resolver)


class CheckedBackend(httpcore2.AsyncNetworkBackend):
    """Dials a (host, port) only after the egress check, and only the address it checked."""

    def __init__(self, policy: EgressPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        shown = f"[{host}]" if ":" in host else host
        try:
            target = await check_source_url(f"http://{shown}:{port}/", self._policy, self._resolver)
        except EgressError as exc:
            raise httpcore2.ConnectError(str(exc)) from None
        return await self._inner.connect_tcp(
            target.address, port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise httpcore2.ConnectError("unix sockets are not reachable as external sources")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _CheckedTransport(httpx2.AsyncHTTPTransport):
    """httpx2's own transport (its error mapping included) over a pool that dials checked."""

    def __init__(self, backend: CheckedBackend) -> None:
        context = ssl.create_default_context(cafile=certifi.where())
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=context,
            network_backend=backend,
            max_connections=MAX_CONNECTIONS_PER_SOURCE,
        )


def checked_client(
    policy: EgressPolicy,
    resolver: Resolver,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: httpx2.Timeout | None = None,
    auth: httpx2.Auth | None = None,
) -> httpx2.AsyncClient:
    """An httpx2 client for the MCP SDK whose every connection passes the egress check.

    No proxy from the environment (it would dial for us), redirects only as the SDK allows them
    (within the source's origin).
    """
    return httpx2.AsyncClient(
        transport=_CheckedTransport(CheckedBackend(policy, resolver)),
        headers=dict(headers or {}),
        timeout=timeout or httpx2.Timeout(30.0),
        auth=auth,
        trust_env=False,
        follow_redirects=False,
    )
