"""Two `polybox serve` replicas on one PostgreSQL behave as one MCP server.

Real processes, real PostgreSQL, official MCP clients over HTTP on 127.0.0.1. The forge is built
through replica A (an LLM client's management tools, the admin API for start and approval); B's
clients see it: tools/list, the list_changed notification of a 2026-07-28 client's listen stream
(handshake-era clients are sessionless here and get none: mcp/http.py), the same tool results,
and a revocation through B stops calls on A at once. A client whose requests alternate between
the replicas works end to end in both protocol eras.
"""

from __future__ import annotations

from itertools import cycle
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ToolsListChanged

from mcp_clients import client_for
from replicas.processes import ADMIN, ADMIN_PASSWORD, Replica

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

CODE = 'async def main(name: str) -> dict:\n    """Greet."""\n    return {"hello": name}\n'


async def _admin_post(replica: Replica, path: str) -> None:
    """POST to replica's admin API as the admin (logging in there first)."""
    async with httpx.AsyncClient(base_url=replica.base) as http:
        login = await http.post(
            "/api/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        (await http.post(f"/api{path}", json={}, headers=headers)).raise_for_status()


async def _build_tool_awaiting_approval(replica: Replica) -> None:
    """An LLM client on `replica` writes server `greet` with tool `hi` and asks to publish it."""
    client, _ = client_for(replica.mcp_url)
    async with client:
        for name, arguments in [
            ("polybox_create_server", {"name": "greet"}),
            ("polybox_create_tool", {"server": "greet", "name": "hi", "code": CODE}),
            ("polybox_request_publish", {"server": "greet", "tool": "hi"}),
        ]:
            result = await client.call_tool(name, arguments)
            assert not result.is_error, result.content
    await _admin_post(replica, "/servers/greet/start")


async def _tool_names(client: Client) -> set[str]:
    return {tool.name for tool in (await client.list_tools()).tools}


async def test_a_tool_approved_through_one_replica_is_listed_announced_and_callable_on_the_other(
    replicas: list[Replica],
) -> None:
    a, b = replicas
    await _build_tool_awaiting_approval(a)
    on_a, _ = client_for(a.mcp_url, mode="auto")
    on_b, _ = client_for(b.mcp_url, mode="auto")
    legacy_on_b, _ = client_for(b.mcp_url, mode="legacy")
    async with (
        on_a,
        on_b,
        legacy_on_b,
        on_a.listen(tools_list_changed=True) as changes_on_a,
        on_b.listen(tools_list_changed=True) as changes_on_b,
    ):
        assert "greet__hi" not in await _tool_names(on_b)
        await _admin_post(a, "/approvals/tools/greet/hi/approve")
        await _next_change(changes_on_b)
        for client in (on_a, on_b, legacy_on_b):
            assert "greet__hi" in await _tool_names(client)
            result = await client.call_tool("greet__hi", {"name": "ada"})
            assert not result.is_error, result.content
            assert result.structured_content == {"hello": "ada"}

        await _admin_post(b, "/approvals/tools/greet/hi/revoke")
        # A hears of B's revocation over LISTEN/NOTIFY and tells its client (earlier
        # notifications of A's own approval may come first).
        with anyio.fail_after(15):
            while "greet__hi" in await _tool_names(on_a):
                await _next_change(changes_on_a)
        refused = await on_a.call_tool("greet__hi", {"name": "ada"})
        assert refused.is_error


async def _next_change(changes: Any) -> None:
    with anyio.fail_after(15):
        assert isinstance(await anext(aiter(changes)), ToolsListChanged)


class RoundRobin(httpx2.AsyncBaseTransport):
    """Sends each request to the next replica in turn, as a load balancer without affinity."""

    def __init__(self, replicas: list[Replica]) -> None:
        self._ports = cycle([httpx.URL(replica.base).port for replica in replicas])
        self._inner = httpx2.AsyncHTTPTransport()
        self.sent: dict[int, int] = {}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = next(self._ports)
        assert port is not None
        self.sent[port] = self.sent.get(port, 0) + 1
        request.url = request.url.copy_with(port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_client_whose_requests_alternate_between_replicas_works_end_to_end(
    replicas: list[Replica], mode: str
) -> None:
    a, b = replicas
    await _build_tool_awaiting_approval(a)
    await _admin_post(b, "/approvals/tools/greet/hi/approve")
    balancer = RoundRobin(replicas)
    results: list[Any] = []
    async with (
        httpx2.AsyncClient(transport=balancer) as http,
        Client(
            streamable_http_client(a.mcp_url, http_client=http), mode=mode, cache=None
        ) as client,
    ):
        for name in ("ada", "grace", "alan", "barbara"):
            assert "greet__hi" in await _tool_names(client)
            result = await client.call_tool("greet__hi", {"name": name})
            assert not result.is_error, result.content
            results.append(result.structured_content)
        created = await client.call_tool("polybox_create_server", {"name": "second"})
        assert not created.is_error, created.content
        listed = await client.call_tool("polybox_get_server", {"server": "second"})
        assert not listed.is_error, listed.content
    assert results == [{"hello": n} for n in ("ada", "grace", "alan", "barbara")]
    ports = {httpx.URL(replica.base).port for replica in replicas}
    assert set(balancer.sent) == ports
    assert min(balancer.sent.values()) >= 5
