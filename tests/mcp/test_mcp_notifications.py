"""list_changed reaches every connected client, of both protocol eras, on every tool change."""

from __future__ import annotations

import anyio
import pytest
from mcp.client.subscriptions import ToolsListChanged
from starlette.applications import Starlette

from mcp_clients import Connect
from polybox.forge import approvals, servers, tools
from polybox.forge.actors import admin
from polybox.forge.unit import transaction
from polybox.instance import Instance

pytestmark = pytest.mark.anyio

LIST_CHANGED = "notifications/tools/list_changed"
ADMIN = admin("root")
CODE = 'async def main() -> dict:\n    """Ping."""\n    return {"pong": True}\n'


async def test_an_admin_approval_notifies_every_connected_client_of_both_eras(
    connect: Connect, instance: Instance
) -> None:
    async with transaction(instance.sessions, instance.events) as session:
        await servers.create_server(session, ADMIN, "net")
        await servers.start_server(session, ADMIN, "net")
        await tools.create_tool(session, ADMIN, "net", "ping", CODE)
        await approvals.request_publish(session, ADMIN, "net", "ping")
    async with (
        connect(name="first") as (first, first_heard),
        connect(name="second") as (second, second_heard),
        connect(mode="auto") as (modern, _),
        modern.listen(tools_list_changed=True) as subscription,
    ):
        assert "net__ping" not in {tool.name for tool in (await first.list_tools()).tools}
        async with transaction(instance.sessions, instance.events) as session:
            await approvals.approve_tool(session, ADMIN, "net", "ping")
        await first_heard.wait_for(LIST_CHANGED)
        await second_heard.wait_for(LIST_CHANGED)
        with anyio.fail_after(10):
            event = await anext(aiter(subscription))
        assert isinstance(event, ToolsListChanged)
        for client in (first, second, modern):
            assert "net__ping" in {tool.name for tool in (await client.list_tools()).tools}


async def test_a_client_that_leaves_is_no_longer_tracked(connect: Connect, app: Starlette) -> None:
    fanout = app.state.mcp.surface.fanout
    async with connect() as (client, _):
        await client.list_tools()
        assert fanout.connection_count == 1
    # The session's server side winds down after the client's DELETE, in its own task; the SDK
    # has no event for that, so poll the condition under a deadline.
    with anyio.fail_after(10):
        while fanout.connection_count:  # noqa: ASYNC110
            await anyio.sleep(0.01)
