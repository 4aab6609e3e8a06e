"""Network attacks from tool code in real bwrap Boxes: raw sockets, SSRF spellings, rebinding."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.egress import EgressBroker, EgressPolicy
from polybox.sandbox.python import PythonPool
from polybox.sandbox.python.landlock import landlock_abi
from sandbox.egress_servers import Server
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

REAL_IMPORT = "imp = print.__self__.__import__\n"
# Under Landlock ABI 4+ the worker's rules refuse every TCP connect before the network is asked.
LANDLOCK_TCP = landlock_abi() >= 4


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1) as started:
        yield started


def approved(server: Server) -> EgressPolicy:
    return EgressPolicy(
        allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}),
        private_hosts=frozenset({"127.0.0.1"}),
        timeout=3.0,
    )


async def http_error(pool: PythonPool, url: str, egress: EgressPolicy) -> str:
    code = f"async def main():\n    await http.get({url!r})\n    return 'fetched'\n"
    result = await run(pool, code, egress=egress)
    assert result.error is not None, result
    assert result.error.type == "HttpError"
    return result.error.message


async def test_raw_socket_to_a_host_service_on_loopback_fails(
    pool: PythonPool, server: Server
) -> None:
    code = REAL_IMPORT + (
        "def main(port):\n"
        "    s = imp('socket').socket()\n"
        "    s.connect(('127.0.0.1', port))\n"
        "    return 'connected'\n"
    )
    result = await run(pool, code, {"port": server.port})
    assert result.error is not None
    # Without Landlock: the Box's own, empty loopback refuses.
    assert result.error.type == ("PermissionError" if LANDLOCK_TCP else "ConnectionRefusedError")
    assert server.recorder.requests == []


async def test_raw_socket_to_a_public_address_has_no_route(pool: PythonPool) -> None:
    code = REAL_IMPORT + (
        "def main():\n"
        "    s = imp('socket').socket()\n"
        "    s.settimeout(2)\n"
        "    s.connect(('1.1.1.1', 80))\n"
        "    return 'connected'\n"
    )
    result = await run(pool, code)
    assert result.error is not None
    if LANDLOCK_TCP:
        assert (result.error.type, result.error.message) == (
            "PermissionError",
            "[Errno 13] Permission denied",
        )
    else:
        assert result.error.type == "OSError"
        assert "Network is unreachable" in result.error.message


async def test_dns_lookup_inside_the_box_fails(pool: PythonPool) -> None:
    code = REAL_IMPORT + "def main():\n    return imp('socket').getaddrinfo('example.com', 80)\n"
    result = await run(pool, code)
    assert result.error is not None
    assert result.error.type == "gaierror"


async def test_approved_private_host_is_reachable_through_http(
    pool: PythonPool, server: Server
) -> None:
    code = (
        "async def main(url):\n"
        "    r = await http.get(url, params={'q': 1}, headers={'X-A': 'b'})\n"
        "    return [r.status_code, r.json()['path'], r.headers['content-type']]\n"
    )
    url = f"http://127.0.0.1:{server.port}/echo"
    result = await run(pool, code, {"url": url}, egress=approved(server))
    assert returned(result) == [200, "/echo?q=1", "application/json"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://2130706433/", "unusual spelling of an IP address"),
        ("http://0177.0.0.1/", "Invalid IPv4 address"),  # httpx's own parser refuses it
        ("http://0x7f.1/", "unusual spelling of an IP address"),
        ("http://127.1/", "unusual spelling of an IP address"),
        ("http://localhost./", "ends with a dot"),
        ("http://127.0.0.1:{port}@evil.example/", "user:password@"),
        ("file:///etc/passwd", "only http and https URLs"),
        ("gopher://127.0.0.1:{port}/", "only http and https URLs"),
        ("http://[::ffff:127.0.0.1]:{port}/", "not in this server's allowed hosts"),
    ],
    ids=[
        "decimal",
        "octal",
        "hex-short",
        "short",
        "trailing-dot",
        "userinfo",
        "file-scheme",
        "gopher-scheme",
        "ipv4-mapped",
    ],
)
async def test_ssrf_spelling_is_refused(
    pool: PythonPool, server: Server, url: str, message: str
) -> None:
    error = await http_error(pool, url.format(port=server.port), approved(server))
    assert message in error
    assert server.recorder.requests == []


async def test_cloud_metadata_address_is_refused_even_when_listed(pool: PythonPool) -> None:
    egress = EgressPolicy(allowed_hosts=frozenset({"169.254.169.254"}))
    error = await http_error(pool, "http://169.254.169.254/latest/meta-data/", egress)
    assert "a link-local address" in error


async def test_loopback_without_private_approval_is_refused(
    pool: PythonPool, server: Server
) -> None:
    egress = EgressPolicy(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    error = await http_error(pool, f"http://127.0.0.1:{server.port}/echo", egress)
    assert "a loopback address" in error
    assert server.recorder.requests == []


async def test_redirect_to_a_private_address_is_refused(pool: PythonPool, server: Server) -> None:
    egress = EgressPolicy(
        allowed_hosts=frozenset({f"127.0.0.1:{server.port}", "10.0.0.1"}),
        private_hosts=frozenset({"127.0.0.1"}),
    )
    url = f"http://127.0.0.1:{server.port}/redirect?to=http://10.0.0.1/admin"
    error = await http_error(pool, url, egress)
    assert "10.0.0.1, a private address" in error


async def test_dns_rebinding_between_check_and_connect_hits_the_pinned_address(
    tmp_path: Path, server: Server
) -> None:
    """A resolver that answers a public address first and 127.0.0.1 afterwards."""
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["203.0.114.7"] if len(asked) == 1 else ["127.0.0.1"]

    egress = EgressPolicy(allowed_hosts=frozenset({f"rebind.test:{server.port}"}), timeout=1.0)
    async with bwrap_pool(tmp_path, size=1, broker=EgressBroker(resolver=rebinding)) as pool:
        error = await http_error(pool, f"http://rebind.test:{server.port}/echo", egress)
    assert "rebind.test" in error
    assert asked == ["rebind.test"]
    assert server.recorder.requests == []  # the host's loopback service was never reached
