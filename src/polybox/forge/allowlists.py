"""Entries of the allow-lists: module names and `host[:port]` network entries, checked once.

Hosts are stored the way the egress broker compares them (lowercase, IDNA-encoded ASCII, IPv6
in brackets when a port follows), so an approved entry matches exactly what a tool's URL resolves
to. IP literals are classified by the broker's own `address_problem`, so a request can never be
approved for an address the broker would refuse anyway, and LLMs cannot ask for private ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from polybox.sandbox.egress import EgressError, IPAddress, address_problem, check_host_spelling

MODULE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
MAX_MODULE_CHARS = 200
# `secrets` is the name of the mapping injected into tool code; a module would shadow it.
RESERVED_MODULES = frozenset({"secrets"})
MAX_HOST_CHARS = 253
# What allows a private or loopback host, and who: said by every refusal of one.
PRIVATE_HOST_HELP = (
    "only an admin can allow private and loopback hosts, in one place: the server's allowed "
    "hosts (admin UI: the server's Network & Modules tab, or PUT /api/servers/<server>/"
    "allowed-hosts), which also adds them to the private_hosts setting"
)
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_NOT_IN_HOSTS = re.compile(r"[/?#@\\\s]")


class EntryError(ValueError):
    """An allow-list entry is malformed or not allowed; the message says which rule failed."""


def check_module(name: str) -> str:
    """`name` when it is a dotted Python module name polybox can allow, else EntryError."""
    if len(name) > MAX_MODULE_CHARS or not MODULE_PATTERN.fullmatch(name):
        raise EntryError(
            f"{name[:80]!r} is not a module name; use dotted identifiers like 'urllib.parse'"
        )
    if name.split(".", 1)[0] in RESERVED_MODULES:
        raise EntryError(f"{name!r} cannot be allowed: 'secrets' is the injected secrets mapping")
    return name


@dataclass(frozen=True)
class HostEntry:
    """A checked host with an optional port; `str()` is the allow-list entry."""

    host: str  # lowercase ASCII; IPv6 without brackets
    port: int | None = None

    def __str__(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port is None else f"{shown}:{self.port}"


def parse_host_entry(text: str, *, port: int | None = None, private_ok: bool) -> HostEntry:
    """Check `host`, `host:port`, `[v6]:port` (or a bare host plus `port`).

    `private_ok` (admins only) admits loopback and private IP literals and `localhost`; link-local,
    multicast and other never-reachable addresses are refused for everyone.
    """
    raw = text.strip()
    if not raw:
        raise EntryError("the host is empty")
    if _NOT_IN_HOSTS.search(raw) or len(raw) > MAX_HOST_CHARS + 8:
        raise EntryError(f"{raw[:80]!r} is not a host; give only the host name and optional :port")
    host, written_port = _split_port(raw)
    if written_port is not None and port is not None:
        raise EntryError(f"{raw!r} already names a port; give the port once")
    chosen = port if port is not None else written_port
    if chosen is not None and not 1 <= chosen <= 65535:
        raise EntryError(f"port {chosen} is outside 1..65535")
    try:
        literal = check_host_spelling(host)
    except EgressError as exc:
        raise EntryError(str(exc)) from None
    if literal is not None:
        _check_address(literal, private_ok=private_ok)
        return HostEntry(literal.compressed, chosen)
    return HostEntry(_hostname(host, private_ok=private_ok), chosen)


def is_private_entry(text: str) -> bool:
    """Whether `text` is a host only an admin may allow: a private or loopback IP, localhost."""
    try:
        parse_host_entry(text, private_ok=False)
    except EntryError:
        try:
            parse_host_entry(text, private_ok=True)
        except EntryError:
            return False  # never allowed at all (link-local, malformed)
        return True
    return False


def _split_port(raw: str) -> tuple[str, int | None]:
    if raw.startswith("["):
        inside, bracket, rest = raw[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise EntryError(
                f"{raw!r} is not a host; write IPv6 addresses as [addr] or [addr]:port"
            )
        return inside, _port_number(rest[1:]) if rest else None
    if raw.count(":") == 1:
        host, _, port_text = raw.partition(":")
        return host, _port_number(port_text)
    return raw, None


def _port_number(text: str) -> int:
    if not text.isdigit() or len(text) > 5:
        raise EntryError(f"port {text!r} is not a number between 1 and 65535")
    return int(text)


def _check_address(address: IPAddress, *, private_ok: bool) -> None:
    problem = address_problem(address, private_ok=private_ok)
    if problem is not None:
        hint = "" if private_ok else f"; {PRIVATE_HOST_HELP}"
        raise EntryError(f"{address} is {problem}{hint}")


def _hostname(host: str, *, private_ok: bool) -> str:
    try:
        ascii_host = httpx.URL(scheme="http", host=host).raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, UnicodeError):
        raise EntryError(f"{host!r} is not a valid host name") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > MAX_HOST_CHARS or not all(_LABEL.fullmatch(label) for label in labels):
        raise EntryError(
            f"{host!r} is not a valid host name; use letters, digits and '-' in dot-separated "
            "labels of at most 63 characters"
        )
    if labels[-1] == "localhost" and not private_ok:
        raise EntryError(f"{host!r} is a loopback name; {PRIVATE_HOST_HELP}")
    return ascii_host
