"""The tools/call hot path: what a call may skip because it was read once already."""

from __future__ import annotations

import mcp_types as types
import pytest

from forge.runner_setup import add_tool
from mcp_clients import Connect
from polybox.instance import Instance
from polybox.mcp.forged import ForgedTools
from polybox.mcp.server import McpSurface

pytestmark = pytest.mark.anyio

ECHO = 'async def main(n: int) -> dict:\n    """Echo n."""\n    return {"n": n}\n'


async def test_a_2026_tools_call_does_not_list_every_tool_to_find_one_schema(
    instance: Instance, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_tool(instance.sessions, ECHO, server="bench", tool="echo")
    async with connect(mode="2026-07-28") as (client, _):
        assert "bench__echo" in {tool.name for tool in (await client.list_tools()).tools}
        listings: list[str] = []
        original = ForgedTools.listings

        async def counted(self: ForgedTools) -> list[types.Tool]:
            listings.append("tools/list")
            return await original(self)

        monkeypatch.setattr(ForgedTools, "listings", counted)
        result = await client.call_tool("bench__echo", {"n": 7})
    assert result.structured_content == {"n": 7}
    assert listings == []


async def test_the_schema_lookup_reads_only_memory_and_knows_nothing_after_a_change(
    instance: Instance,
) -> None:
    await add_tool(instance.sessions, ECHO, server="bench", tool="echo")
    surface = McpSurface(instance)
    lookup = surface.server.get_tool_input_schema
    assert lookup is not None
    management = lookup("polybox_list_servers")
    assert management is not None
    assert "page" in management["properties"]
    assert lookup("bench__echo") is None  # nothing read yet: the lookup never waits on the store
    await surface.forged.listings()
    forged = lookup("bench__echo")
    assert forged is not None
    assert forged["required"] == ["n"]
    surface.forged.catalog.invalidate()
    assert lookup("bench__echo") is None
