"""`mcp_tool_sets`: a client of the official MCP SDK lists and may call only the tool sets on.

The instance runs no tools (no sandbox needed to prove what is listed and refused): a call
that passes the tool-set gate reaches its handler, which for `dotnet_execute_snippet` answers
`unavailable` (no runtime in this process) instead of the tool-set refusal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client
from sqlalchemy.engine import URL

from forge.runner_setup import add_tool
from mcp_clients import client_for, serving
from polybox.app import create_app
from polybox.config import load_settings
from polybox.instance import Instance

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
ECHO = 'async def main(n: int) -> dict:\n    """Echo n."""\n    return {"n": n}\n'


@pytest.fixture
async def client_of(db_url: URL, tmp_path: Path, tool_sets: list[str]) -> AsyncIterator[Client]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=db_url.render_as_string(False),
        mcp_tool_sets=tool_sets,
    )
    async with Instance.running(settings, run_tools=False) as instance:
        await add_tool(instance.sessions, ECHO, server="bench", tool="echo")
        async with serving(create_app(instance), "127.0.0.1") as url:
            client, _ = client_for(url)
            async with client:
                yield client


async def refusal(client: Client, tool: str, arguments: dict[str, object]) -> str | None:
    """The tool-set refusal of calling `tool`, or None when the call got past it."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    return text if "switched off" in text else None


@pytest.mark.parametrize("tool_sets", [["polybox", "dotnet"], ["polybox"], ["dotnet"], []], ids=str)
async def test_a_client_lists_and_calls_only_the_tool_sets_that_are_on(
    client_of: Client, tool_sets: list[str]
) -> None:
    names = {tool.name for tool in (await client_of.list_tools()).tools}
    forge_on, dotnet_on = "polybox" in tool_sets, "dotnet" in tool_sets
    assert ("polybox_list_servers" in names) is forge_on
    assert ("bench__echo" in names) is forge_on
    assert ("dotnet_execute_snippet" in names) is dotnet_on
    if not forge_on:
        assert not any(name.startswith("polybox_") or "__" in name for name in names)
    if not dotnet_on:
        assert not any(name.startswith("dotnet_") for name in names)

    forge_refused = await refusal(client_of, "polybox_list_servers", {})
    forged_refused = await refusal(client_of, "bench__echo", {"n": 1})
    dotnet_refused = await refusal(client_of, "dotnet_execute_snippet", {"code": "1"})
    assert (forge_refused is None, forged_refused is None) == (forge_on, forge_on)
    assert (dotnet_refused is None) is dotnet_on
    if not dotnet_on:
        assert dotnet_refused is not None
        assert "add 'dotnet' to POLYBOX_MCP_TOOL_SETS" in dotnet_refused
