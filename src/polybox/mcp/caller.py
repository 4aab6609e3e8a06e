"""Who is calling: the forge `Actor` of an MCP request.

In remote mode every `/mcp` request carries a bearer token (an OAuth access token or an admin's
API token) that the bearer middleware verified and put in the request scope as the SDK's
`AuthenticatedUser`. Such a caller is remote, whatever its address (it may come through a proxy
on this machine), holds the token's scopes, and is named by the token's client id in execution
logs; the self-declared `clientInfo.name` is not trusted then.

Without a token (local mode, stdio): stdio clients and HTTP clients on a loopback address are
local; any other peer is remote and not limited by scopes, only by `remote_tool_editing`. The
peer address is the real client's when a trusted proxy sent the request (`remote.py`).

The token is read from the request scope rather than the SDK's `get_access_token()` context
variable: a handshake-era session handles its messages in the session's own task, which the
per-request context variable does not reach.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
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


def access_token_of(request: object) -> AccessToken | None:
    """The verified bearer token of an HTTP request, None without one (or off HTTP)."""
    if not isinstance(request, Request):
        return None
    user = request.scope.get("user")
    return user.access_token if isinstance(user, AuthenticatedUser) else None


def actor_of(ctx: ServerRequestContext[Any, Any]) -> Actor:
    """The actor for one request: the token's client, else local or remote by peer address."""
    request = ctx.request
    token = access_token_of(request)
    if token is not None:
        return llm(token.client_id, remote=True, scopes=frozenset(token.scopes))
    params = ctx.session.client_params
    client_id = params.client_info.name if params is not None else None
    remote = isinstance(request, Request) and not is_loopback(
        request.client.host if request.client is not None else None
    )
    return llm(client_id, remote=remote)
