"""tools/list from the SDK's last answer while nothing changed, and never past a change."""

from __future__ import annotations

import anyio
import mcp_types as types
import pytest
from mcp.client.subscriptions import ToolsListChanged

from forge.runner_setup import add_tool
from mcp_clients import Connect
from polybox.forge import approvals
from polybox.forge.actors import admin
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.mcp.forged import ForgedTools

pytestmark = pytest.mark.anyio

ECHO = 'async def main(n: int) -> dict:\n    """Echo n."""\n    return {"n": n}\n'
LIST_CHANGED = "notifications/tools/list_changed"


@pytest.mark.parametrize("mode", ["2026-07-28", "legacy"])
async def test_an_unchanged_tool_list_is_answered_without_rebuilding_it(
    instance: Instance, connect: Connect, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    await add_tool(instance.sessions, ECHO, server="bench", tool="echo")
    async with connect(mode=mode) as (client, _):
        first = (await client.list_tools()).tools  # loads the catalog
        second = (await client.list_tools()).tools  # keeps the SDK's answer
        handled: list[str] = []
        original = ForgedTools.listings

        async def counted(self: ForgedTools) -> list[types.Tool]:
            handled.append("tools/list")
            return await original(self)

        monkeypatch.setattr(ForgedTools, "listings", counted)
        third = (await client.list_tools()).tools
    assert "bench__echo" in {tool.name for tool in first}
    assert first == second == third
    assert handled == []


async def test_a_change_shows_in_the_next_tool_list_of_either_era(
    instance: Instance, connect: Connect
) -> None:
    await add_tool(instance.sessions, ECHO, server="bench", tool="echo")
    async with (
        connect() as (legacy, legacy_heard),
        connect(mode="2026-07-28") as (modern, _),
        modern.listen(tools_list_changed=True) as subscription,
    ):
        for _ in range(3):  # both answers are kept by now
            for client in (legacy, modern):
                assert "bench__echo" in {tool.name for tool in (await client.list_tools()).tools}
        async with transaction(instance.sessions, instance.events) as session:
            await approvals.revoke_tool(session, admin("root"), "bench", "echo")
        await legacy_heard.wait_for(LIST_CHANGED)
        with anyio.fail_after(10):
            assert isinstance(await anext(aiter(subscription)), ToolsListChanged)
        for client in (legacy, modern):
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert "bench__echo" not in names
            assert "polybox_list_servers" in names
