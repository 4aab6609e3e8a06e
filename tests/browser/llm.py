"""The LLM's side of the browser journey: the official MCP SDK client forging a tool over /mcp.

What the admin then does happens in the browser; these calls are what a model would make.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import mcp_types as types
from mcp import Client

from mcp_clients import Notifications, client_for

SERVER = "weather"
TOOL = "current"
PUBLIC_NAME = f"{SERVER}__{TOOL}"
SECRET_KEY = "WEATHER_KEY"
LIST_CHANGED = "notifications/tools/list_changed"


def weather_code(version: int) -> str:
    """Tool code whose answer says which version ran and whether the secret has a value."""
    return f'''
async def main(city: str) -> dict:
    """Current weather for a city."""
    return {{"city": city, "version": {version}, "has_key": bool(secrets.get("{SECRET_KEY}"))}}
'''


class Agent:
    """One MCP client session acting as the model; it records the notifications it receives."""

    def __init__(self, client: Client, notifications: Notifications) -> None:
        self.client = client
        self.notifications = notifications

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Call a tool that must succeed; its structured result."""
        result = await self.client.call_tool(name, arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        text = result.content[0]
        assert isinstance(text, types.TextContent)
        assert json.loads(text.text) == result.structured_content
        structured: dict[str, Any] = result.structured_content
        return structured

    async def tool_names(self) -> set[str]:
        return {tool.name for tool in (await self.client.list_tools()).tools}

    async def forge_weather_tool(self) -> None:
        """Server, secret placeholder, a tool with two versions (the second sent for review)."""
        await self.call("polybox_create_server", {"name": SERVER})
        await self.call("polybox_create_server_secret", {"server": SERVER, "key": SECRET_KEY})
        tool = {"server": SERVER, "name": TOOL}
        await self.call("polybox_create_tool", {**tool, "code": weather_code(1)})
        await self.call(
            "polybox_update_tool", {"server": SERVER, "tool": TOOL, "code": weather_code(2)}
        )
        published = await self.call("polybox_request_publish", {"server": SERVER, "tool": TOOL})
        assert published["status"] == "pending_review"
        await self.call("polybox_start_server", {"server": SERVER})

    async def weather(self) -> dict[str, Any]:
        return await self.call(PUBLIC_NAME, {"city": "Oslo"})

    async def wait_until_listed(self, listed: bool, within: float = 20) -> None:
        """Return once tools/list shows (or no longer shows) the forged tool.

        Each check follows a list_changed notification, so this waits on the server's word, not
        on time; the first check covers a change that happened before the call.
        """
        seen = self.notifications.count(LIST_CHANGED)
        while (PUBLIC_NAME in await self.tool_names()) != listed:
            seen += 1
            await self.notifications.wait_for(LIST_CHANGED, seen, within=within)


@asynccontextmanager
async def agent(mcp_url: str) -> AsyncIterator[Agent]:
    client, notifications = client_for(mcp_url, name="browser-journey-agent")
    async with client:
        yield Agent(client, notifications)
