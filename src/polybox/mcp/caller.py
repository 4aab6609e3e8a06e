"""Who is calling: the forge `Actor` of an MCP request.

Stdio clients and HTTP clients on a loopback address are local; any other peer is remote
(issue 7 adds authentication on top). The client's self-declared name from `initialize`
(`clientInfo.name`) becomes the actor's client id, used in execution logs.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from mcp.server.context import ServerRequestContext
from starlette.requests import Request

from polybox.forge.actors import Actor, llm


def is_loopback(host: str | None) -> bool:
    """Whether `host` (a peer address) is on this machine; unknown or non-IP peers are not."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def actor_of(ctx: ServerRequestContext[Any, Any]) -> Actor:
    """The actor for one request: local on stdio and loopback HTTP, remote otherwise."""
    params = ctx.session.client_params
    client_id = params.client_info.name if params is not None else None
    request = ctx.request
    remote = isinstance(request, Request) and not is_loopback(
        request.client.host if request.client is not None else None
    )
    return llm(client_id, remote=remote)
