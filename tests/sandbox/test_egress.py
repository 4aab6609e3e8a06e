"""The egress broker's rules, unit by unit, and real HTTP(S) to servers on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from polybox.sandbox.egress import (
    EgressBroker,
    EgressError,
    EgressPolicy,
    HttpRequest,
    address_problem,
    check_host_spelling,
)
from sandbox.egress_servers import Server, http_server, make_test_ca

pytestmark = pytest.mark.anyio


def local_policy(server: Server, **overrides: object) -> EgressPolicy:
    """127.0.0.1:<port> allowed and approved as a private host."""
    values: dict[str, object] = {
        "allowed_hosts": frozenset({f"127.0.0.1:{server.port}"}),
        "private_hosts": frozenset({"127.0.0.1"}),
        "timeout": 5.0,
    }
    values.update(overrides)
    return EgressPolicy(**values)  # type: ignore[arg-type]


def get(url: str) -> HttpRequest:
    return HttpRequest(method="GET", url=url)


@pytest.fixture
def server() -> object:
    with http_server() as running:
        yield running


# --- host spellings and address classes ---------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f000001", "1.2.3.0x4", "017700000001"],
)
def test_unusual_ipv4_spellings_are_refused(host: str) -> None:
    with pytest.raises(EgressError, match="unusual spelling of an IP address"):
        check_host_spelling(host)


def test_a_trailing_dot_name_is_refused() -> None:
    with pytest.raises(EgressError, match="ends with a dot"):
        check_host_spelling("api.example.com.")


def test_plain_names_and_canonical_literals_pass_the_spelling_check() -> None:
    assert check_host_spelling("api.example.com") is None
    assert check_host_spelling("93.184.216.34") == ipaddress.ip_address("93.184.216.34")
    assert check_host_spelling("2606:4700::1") == ipaddress.ip_address("2606:4700::1")


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd00::1", "a private address"),
        ("100.64.0.1", "a CGNAT address"),
        ("198.18.0.1", "a benchmarking address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("0.0.0.0", "the unspecified address"),
        ("::", "the unspecified address"),
        ("::ffff:127.0.0.1", "an IPv4-mapped IPv6 address"),
        ("::127.0.0.1", "an IPv4-compatible IPv6 address"),
        ("64:ff9b::7f00:1", "a NAT64 address"),
        ("2002:7f00:1::1", "a 6to4 address"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "a Teredo address"),
    ],
)
def test_non_public_addresses_are_refused_by_class(address: str, problem: str) -> None:
    assert address_problem(ipaddress.ip_address(address), private_ok=False) == problem


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address), private_ok=False) is None


def test_approved_private_hosts_reach_private_but_never_link_local_or_tunnels() -> None:
    for address in ("127.0.0.1", "10.0.0.1", "100.64.0.1", "fd00::1"):
        assert address_problem(ipaddress.ip_address(address), private_ok=True) is None
    for address in ("169.254.169.254", "::ffff:10.0.0.1", "2002:a00:1::1", "0.0.0.0"):
        assert address_problem(ipaddress.ip_address(address), private_ok=True) is not None


# --- URL rules ------------------------------------------------------------------------------------

ALLOW_API = EgressPolicy(allowed_hosts=frozenset({"api.example.com"}))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://api.example.com/x", "only http and https URLs can be fetched"),
        ("file:///etc/passwd", "only http and https URLs can be fetched"),
        ("gopher://api.example.com/", "only http and https URLs can be fetched"),
        ("http://api.example.com@evil.com/", "user:password@"),
        ("http://user:pw@api.example.com/", "user:password@"),
        ("http://evil.com/", "host evil.com is not in this server's allowed hosts"),
        ("http://api.example.com:8080/", "host api.example.com:8080 is not in this server's"),
        ("http://api.example.com./", "ends with a dot"),
        ("http://2130706433/", "unusual spelling"),
        ("http://[::ffff:7f00:1]/", "is not in this server's allowed hosts"),
    ],
)
async def test_urls_breaking_a_rule_are_refused_before_any_lookup(url: str, message: str) -> None:
    lookups: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["93.184.216.34"]

    with pytest.raises(EgressError, match=message.replace("[", r"\[").replace(".", r"\.")):
        await EgressBroker(resolver=resolver).fetch(get(url), ALLOW_API)
    assert lookups == []


async def test_the_refusal_tells_the_author_how_to_ask_for_access() -> None:
    with pytest.raises(EgressError) as caught:
        await EgressBroker().fetch(get("https://api.x.com/v1"), ALLOW_API)
    assert str(caught.value) == (
        "host api.x.com is not in this server's allowed hosts; ask with "
        "polybox_request_network_access"
    )


async def test_an_allowed_name_resolving_to_a_private_address_is_refused() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.5"]

    with pytest.raises(EgressError, match=r"resolves to 10\.0\.0\.5, a private address"):
        await EgressBroker(resolver=resolver).fetch(get("https://api.example.com/"), ALLOW_API)


async def test_allow_public_admits_unlisted_hosts_but_keeps_every_address_check() -> None:
    lookups: list[tuple[str, int]] = []

    async def resolver(host: str, port: int) -> list[str]:
        lookups.append((host, port))
        return ["10.0.0.5"]

    policy = EgressPolicy(allow_public=True, private_hosts=frozenset({"intranet.example"}))
    with pytest.raises(EgressError, match=r"resolves to 10\.0\.0\.5, a private address"):
        await EgressBroker(resolver=resolver).fetch(get("http://intranet.example:8080/"), policy)
    assert lookups == [("intranet.example", 8080)]  # past the allow-list, stopped by the address


# --- real HTTP on 127.0.0.1 -----------------------------------------------------------------


async def test_get_with_params_and_headers_reaches_an_approved_private_host(
    server: Server,
) -> None:
    request = HttpRequest(
        method="GET",
        url=f"http://127.0.0.1:{server.port}/echo",
        params=(("q", "a b"),),
        headers=(("X-Key", "k1"), ("Host", "evil.example")),
    )
    response = await EgressBroker().fetch(request, local_policy(server))
    echo = json.loads(response.body)
    assert response.status_code == 200
    assert echo["path"] == "/echo?q=a+b"
    assert echo["headers"]["x-key"] == "k1"
    assert echo["headers"]["host"] == f"127.0.0.1:{server.port}"


async def test_post_sends_its_body(server: Server) -> None:
    request = HttpRequest(
        method="POST", url=f"http://127.0.0.1:{server.port}/echo", body=b'{"a": 1}'
    )
    response = await EgressBroker().fetch(request, local_policy(server))
    assert json.loads(response.body)["body"] == '{"a": 1}'


async def test_loopback_is_refused_unless_approved_as_a_private_host(server: Server) -> None:
    policy = local_policy(server, private_hosts=frozenset())
    with pytest.raises(EgressError, match="a loopback address"):
        await EgressBroker().fetch(get(f"http://127.0.0.1:{server.port}/echo"), policy)
    assert server.recorder.requests == []


async def test_allow_public_reaches_an_approved_private_host_only_when_it_is_listed(
    server: Server,
) -> None:
    url = f"http://127.0.0.1:{server.port}/echo"
    unlisted = local_policy(server, allowed_hosts=frozenset(), allow_public=True)
    with pytest.raises(EgressError, match="a loopback address"):
        await EgressBroker().fetch(get(url), unlisted)
    response = await EgressBroker().fetch(get(url), local_policy(server, allow_public=True))
    assert response.status_code == 200


async def test_a_redirect_to_a_host_outside_the_list_is_refused(server: Server) -> None:
    url = f"http://127.0.0.1:{server.port}/redirect?to=http://evil.example/"
    with pytest.raises(EgressError, match=r"host evil\.example is not in this server's"):
        await EgressBroker().fetch(get(url), local_policy(server))


async def test_a_redirect_to_a_private_address_is_refused(server: Server) -> None:
    """The first hop is allowed (approved private host); the redirect aims at 10.0.0.1."""
    policy = local_policy(server, allowed_hosts=frozenset({f"127.0.0.1:{server.port}", "10.0.0.1"}))
    url = f"http://127.0.0.1:{server.port}/redirect?to=http://10.0.0.1/"
    with pytest.raises(EgressError, match=r"10\.0\.0\.1, a private address"):
        await EgressBroker().fetch(get(url), policy)


async def test_redirects_within_the_policy_are_followed(server: Server) -> None:
    url = f"http://127.0.0.1:{server.port}/redirect?code=303&to=/echo"
    response = await EgressBroker().fetch(
        HttpRequest(method="POST", url=url, body=b"x"), local_policy(server)
    )
    assert json.loads(response.body)["method"] == "GET"
    assert response.url.endswith("/echo")


async def test_more_than_five_redirects_are_stopped(server: Server) -> None:
    with pytest.raises(EgressError, match="more than 5 redirects"):
        await EgressBroker().fetch(
            get(f"http://127.0.0.1:{server.port}/loop"), local_policy(server)
        )
    assert len(server.recorder.requests) == 6


async def test_credentials_are_not_forwarded_across_origins() -> None:
    with http_server() as first, http_server() as second:
        policy = EgressPolicy(
            allowed_hosts=frozenset({f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"}),
            private_hosts=frozenset({"127.0.0.1"}),
        )
        target = f"http://127.0.0.1:{second.port}/echo"
        request = HttpRequest(
            method="GET",
            url=f"http://127.0.0.1:{first.port}/redirect?to={target}",
            headers=(("Authorization", "Bearer s3cret"), ("Accept", "text/plain")),
        )
        response = await EgressBroker().fetch(request, policy)
    headers = json.loads(response.body)["headers"]
    assert "authorization" not in headers
    assert headers["accept"] == "text/plain"


async def test_a_response_over_the_size_cap_is_refused(server: Server) -> None:
    policy = local_policy(server, max_response_bytes=1024)
    with pytest.raises(EgressError, match="larger than the limit of 1024 bytes"):
        await EgressBroker().fetch(get(f"http://127.0.0.1:{server.port}/big?n=5000"), policy)
    small = await EgressBroker().fetch(get(f"http://127.0.0.1:{server.port}/big?n=1000"), policy)
    assert len(small.body) == 1000


async def test_a_slow_server_hits_the_time_limit(server: Server) -> None:
    policy = local_policy(server, timeout=0.3)
    with pytest.raises(EgressError, match=r"took longer than 0\.3 s"):
        await EgressBroker().fetch(get(f"http://127.0.0.1:{server.port}/slow?s=2"), policy)


async def test_dns_is_resolved_once_and_the_checked_address_is_the_one_dialled(
    server: Server,
) -> None:
    """A rebinding resolver: public on the first answer, 127.0.0.1 afterwards."""
    answers = [["203.0.114.1"], ["127.0.0.1"]]
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), 2) - 1]

    policy = EgressPolicy(allowed_hosts=frozenset({f"rebind.test:{server.port}"}), timeout=1.0)
    with pytest.raises(EgressError):
        await EgressBroker(resolver=rebinding).fetch(
            get(f"http://rebind.test:{server.port}/echo"), policy
        )
    assert asked == ["rebind.test"]
    assert server.recorder.requests == []


async def test_https_uses_the_hostname_for_sni_and_verification(tmp_path: Path) -> None:
    ca = make_test_ca(tmp_path)

    async def localhost(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with http_server(ca.server_context()) as tls:
        policy = EgressPolicy(
            allowed_hosts=frozenset({f"localhost:{tls.port}"}),
            private_hosts=frozenset({"localhost"}),
        )
        broker = EgressBroker(resolver=localhost, ssl_context=ca.client_context())
        response = await broker.fetch(get(f"https://localhost:{tls.port}/echo"), policy)
        assert json.loads(response.body)["headers"]["host"] == f"localhost:{tls.port}"
        with pytest.raises(EgressError, match="CERTIFICATE_VERIFY_FAILED"):
            await EgressBroker(resolver=localhost).fetch(
                get(f"https://localhost:{tls.port}/echo"), policy
            )
