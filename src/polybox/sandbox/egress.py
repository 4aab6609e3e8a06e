"""The egress broker: the only way tool code reaches the network.

Boxes have no network. A tool's `http.get(...)` travels over the worker pipe to the supervisor,
which calls `EgressBroker.fetch` with the calling server's `EgressPolicy`. Every hop (the first
request and each redirect) is checked the same way: http/https only, no userinfo, a plainly
spelled host on the allowed list, DNS resolved once, every address public (or the host named as
an approved private host), and the connection made to exactly the checked address while the Host
header and TLS SNI keep the hostname. That pinning defeats DNS rebinding between check and connect.

Secret values never enter the Box (standins.py): the broker swaps the call's stand-ins for the
real values in the URL, headers and body of each hop whose host is on the server's own allowed
list (not a host reached only through `allow_public`), and swaps real values back to stand-ins
in the response (status line aside: headers, body, final URL) and in redirect locations.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import certifi
import httpcore
import httpx

from polybox.sandbox.standins import NO_STANDINS, Standins

MAX_REDIRECTS = 5
REQUEST_NETWORK_TOOL = "polybox_request_network_access"
# Who allows a private or loopback host, and where (the broker needs both lists to agree).
PRIVATE_HOST_HOW = (
    "an admin allows it as a private host of this server (admin UI: the server's Network & "
    "Modules tab, which also adds it to the private_hosts setting)"
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Async (host, port) -> IP address strings; injectable so tests can play a rebinding DNS."""

DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# A label made only of digits or 0x-hex is read as a number by inet_aton-style parsers.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
# Never forwarded from tool code: the broker owns framing and routing.
_DROPPED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer"}
)
# Kept when a redirect leaves the origin; everything else may carry a credential.
_CROSS_ORIGIN_HEADERS = frozenset({"accept", "accept-language", "content-type", "user-agent"})
# Addresses that embed or translate to an arbitrary IPv4 address: refused for every host.
_TUNNEL_NETWORKS_V6 = (
    (ipaddress.IPv6Network("64:ff9b::/96"), "a NAT64 address"),
    (ipaddress.IPv6Network("64:ff9b:1::/48"), "a NAT64 address"),
    (ipaddress.IPv6Network("2002::/16"), "a 6to4 address"),
    (ipaddress.IPv6Network("2001::/32"), "a Teredo address"),
    (ipaddress.IPv6Network("::/96"), "an IPv4-compatible IPv6 address"),
)
_BENCHMARKING_V4 = ipaddress.IPv4Network("198.18.0.0/15")
_CGNAT_V4 = ipaddress.IPv4Network("100.64.0.0/10")


class EgressError(Exception):
    """A request was refused or failed; the message is written for the tool's author."""


@dataclass(frozen=True)
class EgressPolicy:
    """What one server's tools may reach.

    `allowed_hosts` holds `host` (default ports 80/443 only) or `host:port` entries. A host that
    resolves to a loopback, private or CGNAT address is refused unless it is also listed in
    `private_hosts` (the admin's explicit approval) and in `allowed_hosts`. Link-local, multicast,
    reserved and tunnelling addresses are refused for every host.

    `allow_public` admits every host on any port whose addresses are all public, listed or not
    (the admin's "allow all public hosts" policy); the address checks stay exactly the same.
    """

    allowed_hosts: frozenset[str] = frozenset()
    private_hosts: frozenset[str] = frozenset()
    allow_public: bool = False
    timeout: float = 15.0
    max_response_bytes: int = 10_485_760


@dataclass(frozen=True)
class HttpRequest:
    """One request as the tool asked for it (already JSON-decoded from the worker pipe)."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class HttpResponse:
    """The final response after redirects; `body` is decoded (gzip etc.) and within the cap."""

    status_code: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, keep `host` for the Host header and SNI."""

    host: str
    port: int
    address: str


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the host's resolver (getaddrinfo), keeping the order it returns."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_problem(address: IPAddress, *, private_ok: bool) -> str | None:
    """Why `address` must not be contacted, or None when it may be.

    `private_ok` admits loopback, RFC 1918 / ULA and CGNAT addresses (approved private hosts);
    nothing admits unspecified, multicast, link-local (cloud metadata), benchmarking, reserved or
    tunnelling addresses.
    """
    never = _never_reachable(address)
    if never is not None:
        return never
    private = _private_kind(address)
    return None if private_ok else private


def _never_reachable(address: IPAddress) -> str | None:
    # Networks are matched per IP version: `in` does not check it.
    checks: list[tuple[bool, str]] = []
    if isinstance(address, ipaddress.IPv6Address):
        inside = not (address.is_loopback or address.is_unspecified)  # ::1 and :: sit in ::/96
        checks.append((address.ipv4_mapped is not None, "an IPv4-mapped IPv6 address"))
        checks += [(inside and address in net, name) for net, name in _TUNNEL_NETWORKS_V6]
    else:
        checks.append((address in _BENCHMARKING_V4, "a benchmarking address"))
    checks += [
        (address.is_unspecified, "the unspecified address"),
        (address.is_multicast, "a multicast address"),
        (address.is_link_local, "a link-local address"),
        (address.is_reserved and not address.is_loopback, "a reserved address"),
    ]
    return next((name for matched, name in checks if matched), None)


def _private_kind(address: IPAddress) -> str | None:
    cgnat = isinstance(address, ipaddress.IPv4Address) and address in _CGNAT_V4
    checks = [
        (address.is_loopback, "a loopback address"),
        (cgnat, "a CGNAT address"),
        (address.is_private, "a private address"),
        (not address.is_global, "a non-public address"),
    ]
    return next((name for matched, name in checks if matched), None)


def check_host_spelling(host: str) -> IPAddress | None:
    """Refuse host spellings that hide an address; return the IP when the host is a literal.

    Only canonical dotted-quad IPv4 and bracketed IPv6 literals count as addresses. Decimal,
    octal, hex and shortened IPv4 forms (2130706433, 0177.0.0.1, 0x7f.1, 127.1) and trailing-dot
    names are refused, because resolvers would quietly turn them into addresses.
    """
    if not host:
        raise EgressError("the URL has no host")
    if host.endswith("."):
        raise EgressError(f"host {host!r} ends with a dot; write it without the trailing dot")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
        raise EgressError(
            f"host {host!r} looks like an unusual spelling of an IP address; write IPv4 "
            "addresses as four decimal numbers (a.b.c.d) or use the hostname"
        )
    return None


def host_entry(host: str, port: int, scheme: str) -> str:
    """The allow-list entry that admits `host` on `port`: bare for the scheme's default port.

    IPv6 literals are bracketed (`[::1]:8080`). Messages that tell an author what to request,
    here and in the static analysis of tool code, name this entry.
    """
    shown = f"[{host}]" if ":" in host else host
    return shown if DEFAULT_PORTS[scheme] == port else f"{shown}:{port}"


def is_host_allowed(host: str, port: int, allowed: Iterable[str]) -> bool:
    """Whether an allow-list admits (host, port): `host:port` exactly, or a bare `host` on 80/443.

    The one rule for allowed hosts: the broker applies it to every request and redirect hop,
    the static analysis of tool code to the URLs the code spells out. `host` is lower-case.
    """
    shown = f"[{host}]" if ":" in host else host
    entries = {entry.strip().lower() for entry in allowed}
    if f"{shown}:{port}" in entries:
        return True
    return port in DEFAULT_PORTS.values() and shown in entries


async def check_url(
    url: httpx.URL, policy: EgressPolicy, resolver: Resolver = system_resolver
) -> Target:
    """Check one hop under `policy`: scheme, spelling, allow-list, every resolved address.

    The broker runs it on every request and redirect hop; external MCP sources (forge) run it
    on their URL when added and on every call. Raises EgressError saying what is refused.
    """
    scheme = url.scheme
    if scheme not in DEFAULT_PORTS:
        raise EgressError(f"only http and https URLs can be fetched (got {scheme!r})")
    if url.userinfo:
        raise EgressError(
            "URLs with user:password@ before the host are refused (they disguise the real "
            "host); send credentials in a header instead"
        )
    host = url.raw_host.decode("ascii").lower()
    literal = check_host_spelling(host)
    port = url.port or DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise EgressError(f"port {port} is not a valid TCP port")
    entry = host_entry(host, port, scheme)
    listed = is_host_allowed(host, port, policy.allowed_hosts)
    if not (listed or policy.allow_public):
        how = PRIVATE_HOST_HOW if _admin_only(host, literal) else f"ask with {REQUEST_NETWORK_TOOL}"
        raise EgressError(f"host {entry} is not in this server's allowed hosts; {how}")
    private_ok = listed and host in {name.strip().lower() for name in policy.private_hosts}
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = await resolver(host, port)
        except OSError as exc:
            raise EgressError(f"could not resolve host {host}: {exc}") from None
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        if not addresses:
            raise EgressError(f"host {host} has no addresses")
    for address in addresses:
        problem = address_problem(address, private_ok=private_ok)
        if problem is not None:
            allowed_by = f" unless {PRIVATE_HOST_HOW}" if _admin_only(host, address) else ""
            raise EgressError(
                f"host {host} resolves to {address}, {problem}; tools may only connect to "
                f"public addresses{allowed_by}"
            )
    return Target(host=host, port=port, address=str(addresses[0]))


def _admin_only(host: str, address: IPAddress | None) -> bool:
    """Whether only an admin's private-host approval makes this host (or address) reachable."""
    if address is None:
        return host == "localhost" or host.endswith(".localhost")
    private = address_problem(address, private_ok=True) is None
    return private and address_problem(address, private_ok=False) is not None


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Dials the address checked for a (host, port), never what a second lookup would say."""

    def __init__(self) -> None:
        self.pins: dict[tuple[str, int], str] = {}
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = self.pins.get((host.lower(), port))
        if address is None:
            raise httpcore.ConnectError(f"{host}:{port} was not checked by the egress policy")
        return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable from tools")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


class _PinnedTransport(httpx.AsyncBaseTransport):
    """httpx transport over an httpcore pool whose network backend is pinned."""

    def __init__(self, backend: _PinnedBackend, ssl_context: ssl.SSLContext) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, network_backend=backend, max_connections=4
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):
            raise TypeError("the egress transport only sends async request bodies")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = await self._pool.handle_async_request(core_request)
        if not isinstance(response.stream, AsyncIterable):
            raise TypeError("httpcore returned a synchronous response stream")
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


def _filled(
    standins: Standins,
    policy: EgressPolicy,
    *,
    method: str,
    url: httpx.URL,
    headers: list[tuple[str, str]],
    body: bytes,
) -> dict[str, Any]:
    """One hop's request with the real values in place of stand-ins, if its host may get them.

    Only a host on the server's own list gets them; a stand-in can never change the host.
    """
    hop = {"method": method, "url": url, "headers": headers, "body": body}
    port = url.port or DEFAULT_PORTS.get(url.scheme, 0)
    if not standins.values or not is_host_allowed(url.host, port, policy.allowed_hosts):
        return hop
    filled_url = httpx.URL(standins.fill_url(str(url)))
    if (filled_url.scheme, filled_url.host, filled_url.port) != (url.scheme, url.host, url.port):
        raise EgressError("a secret cannot be part of a URL's scheme, host or port")
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    return hop | {
        "url": filled_url,
        "headers": [(k, standins.fill_header(k, v)) for k, v in headers],
        "body": standins.fill_body(body, content_type),
    }


@dataclass
class EgressBroker:
    """Performs tool HTTP requests under an `EgressPolicy`.

    `ssl_context` defaults to certifi's CA bundle; pass your own to trust a private CA.
    """

    resolver: Resolver = system_resolver
    ssl_context: ssl.SSLContext = field(
        default_factory=lambda: ssl.create_default_context(cafile=certifi.where())
    )

    async def fetch(
        self, request: HttpRequest, policy: EgressPolicy, standins: Standins = NO_STANDINS
    ) -> HttpResponse:
        """Send `request`, following up to MAX_REDIRECTS redirects, each hop re-checked.

        `standins` are the calling code's secret stand-ins, filled in for allowed hosts; the
        response never carries their real values. Raises EgressError with a sentence the tool
        author can act on.
        """
        try:
            async with asyncio.timeout(policy.timeout):
                response = await self._fetch(request, policy, standins)
        except EgressError as exc:
            raise EgressError(standins.hide(str(exc))) from None
        except TimeoutError:
            raise EgressError(
                f"request to {request.url} took longer than {policy.timeout:g} s"
            ) from None
        if not standins.values:
            return response
        return replace(
            response,
            headers=tuple((k, standins.hide(v)) for k, v in response.headers),
            body=standins.hide_bytes(response.body),
            url=standins.hide(response.url),
        )

    async def _fetch(
        self, request: HttpRequest, policy: EgressPolicy, standins: Standins
    ) -> HttpResponse:
        backend = _PinnedBackend()
        transport = _PinnedTransport(backend, self.ssl_context)
        async with httpx.AsyncClient(
            transport=transport, trust_env=False, follow_redirects=False, timeout=policy.timeout
        ) as client:
            try:
                url = httpx.URL(request.url)  # params=None would drop the URL's own query
                if request.params:
                    url = url.copy_merge_params(request.params)
            except (httpx.InvalidURL, TypeError, ValueError) as exc:
                raise EgressError(f"invalid URL {request.url!r}: {exc}") from None
            method = request.method.upper()
            headers = [(k, v) for k, v in request.headers if k.lower() not in _DROPPED_HEADERS]
            body = request.body
            for _hop in range(MAX_REDIRECTS + 1):
                target = await self._check(url, policy)
                backend.pins[(target.host, target.port)] = target.address
                response = await self._send(
                    client,
                    policy=policy,
                    **_filled(standins, policy, method=method, url=url, headers=headers, body=body),
                )
                location = response.header("location")
                if response.status_code not in _REDIRECT_CODES or location is None:
                    return response
                next_url = url.join(standins.hide(location))
                if response.status_code == 303 or (
                    response.status_code in (301, 302) and method == "POST"
                ):
                    method, body = "GET", b""
                if (next_url.scheme, next_url.host, next_url.port) != (
                    url.scheme,
                    url.host,
                    url.port,
                ):
                    headers = [(k, v) for k, v in headers if k.lower() in _CROSS_ORIGIN_HEADERS]
                url = next_url
            raise EgressError(f"more than {MAX_REDIRECTS} redirects; stopped before {url}")

    async def _check(self, url: httpx.URL, policy: EgressPolicy) -> Target:
        return await check_url(url, policy, self.resolver)

    async def _send(
        self,
        client: httpx.AsyncClient,
        *,
        method: str,
        url: httpx.URL,
        headers: list[tuple[str, str]],
        body: bytes,
        policy: EgressPolicy,
    ) -> HttpResponse:
        try:
            # Sent as a built Request: the client's params merging would drop the URL's query.
            outgoing = httpx.Request(method, url, headers=headers, content=body or None)
            response = await client.send(outgoing, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > policy.max_response_bytes:
                        raise EgressError(
                            f"response from {url.host} is larger than the limit of "
                            f"{policy.max_response_bytes} bytes"
                        )
                    chunks.append(chunk)
            finally:
                await response.aclose()
            return HttpResponse(
                status_code=response.status_code,
                headers=tuple(response.headers.multi_items()),
                body=b"".join(chunks),
                url=str(url),
            )
        except (httpx.HTTPError, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise EgressError(
                f"request to {url.host} failed: {exc or type(exc).__name__}"
            ) from None
        except httpcore.TimeoutException:
            raise EgressError(
                f"request to {url.host} took longer than {policy.timeout:g} s"
            ) from None
