"""The forge journey through the official MCP client, over Streamable HTTP and over stdio.

An LLM creates a server, a secret placeholder and a tool that calls a local HTTP server with
the secret; the admin (service calls, as the admin UI makes them) sets the value, allows the
host and approves; the client sees the tool appear, calls it and gets structured output. An
update or a rollback takes the tool out of tools/list until the admin approves again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import mcp_types as types
import pytest
from mcp import Client

from mcp_clients import Connect, Notifications, client_for, stdio_server
from polybox.config import Settings
from polybox.forge import approvals, secrets, servers, tools
from polybox.forge.actors import admin
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.instance import Instance
from sandbox.egress_servers import Server, http_server

pytestmark = pytest.mark.anyio

ADMIN = admin("root")
LIST_CHANGED = "notifications/tools/list_changed"
SECRET = "s3cret-weather-key"


def weather_code(port: int, units: str = "metric") -> str:
    return f'''
async def main(city: str) -> dict:
    """Current weather for a city."""
    r = await http.get(
        "http://127.0.0.1:{port}/echo",
        params={{"q": city}},
        headers={{"X-Key": secrets["WEATHER_KEY"]}},
    )
    echo = r.json()
    return {{"city": city, "units": "{units}", "path": echo["path"],
             "key_sent": echo["headers"]["x-key"] == secrets["WEATHER_KEY"]}}
'''


@pytest.fixture
def local() -> Iterator[Server]:
    with http_server() as server:
        yield server


async def call_ok(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    text = result.content[0]
    assert isinstance(text, types.TextContent)
    structured: dict[str, Any] = result.structured_content
    assert json.loads(text.text) == structured
    return structured


async def tool_names(client: Client) -> dict[str, types.Tool]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


async def admin_approves(
    instance: Instance,
    notifications: Notifications,
    server: str = "weather",
    tool: str = "current",
) -> None:
    """Approve a tool as the admin; return once the client heard the list changed."""
    seen = notifications.count(LIST_CHANGED)
    async with transaction(instance.sessions, instance.events) as session:
        await approvals.approve_tool(session, ADMIN, server, tool)
    await notifications.wait_for(LIST_CHANGED, seen + 1)


async def journey(
    client: Client, notifications: Notifications, instance: Instance, local: Server
) -> None:
    await call_ok(client, "polybox_create_server", {"name": "weather"})
    placeholder = await call_ok(
        client, "polybox_create_server_secret", {"server": "weather", "key": "WEATHER_KEY"}
    )
    assert placeholder["has_value"] is False
    async with transaction(instance.sessions, instance.events) as session:
        await secrets.set_secret_value(
            session, ADMIN, instance.secret_box, "weather", "WEATHER_KEY", value=SECRET
        )
        await servers.set_allowed_hosts(session, ADMIN, "weather", [f"127.0.0.1:{local.port}"])
        await update_settings(session, ADMIN, private_hosts=["127.0.0.1"])

    code = weather_code(local.port)
    report = await call_ok(client, "polybox_validate_code", {"server": "weather", "code": code})
    assert report["ok"] is True
    assert report["input_schema"]["required"] == ["city"]
    await call_ok(
        client, "polybox_create_tool", {"server": "weather", "name": "current", "code": code}
    )
    published = await call_ok(
        client, "polybox_request_publish", {"server": "weather", "tool": "current"}
    )
    assert published["status"] == "pending_review"
    await admin_approves(instance, notifications)
    seen = notifications.count(LIST_CHANGED)
    await call_ok(client, "polybox_start_server", {"server": "weather"})
    await notifications.wait_for(LIST_CHANGED, seen + 1)

    listed = await tool_names(client)
    forged = listed["weather__current"]
    assert forged.description == "Current weather for a city."
    assert forged.input_schema["properties"]["city"]["type"] == "string"
    assert forged.input_schema["required"] == ["city"]
    assert forged.output_schema is not None
    assert forged.output_schema["type"] == "object"
    output = await call_ok(client, "weather__current", {"city": "Oslo"})
    assert output == {"city": "Oslo", "units": "metric", "path": "/echo?q=Oslo", "key_sent": True}
    assert local.recorder.requests[-1][2]["X-Key"] == SECRET

    seen = notifications.count(LIST_CHANGED)
    await call_ok(
        client,
        "polybox_update_tool",
        {"server": "weather", "tool": "current", "code": weather_code(local.port, "imperial")},
    )
    await notifications.wait_for(LIST_CHANGED, seen + 1)
    assert "weather__current" not in await tool_names(client)
    refused = await client.call_tool("weather__current", {"city": "Oslo"})
    assert refused.is_error
    await call_ok(client, "polybox_request_publish", {"server": "weather", "tool": "current"})
    await admin_approves(instance, notifications)
    assert "weather__current" in await tool_names(client)
    assert (await call_ok(client, "weather__current", {"city": "Oslo"}))["units"] == "imperial"

    seen = notifications.count(LIST_CHANGED)
    await call_ok(
        client, "polybox_rollback_tool", {"server": "weather", "tool": "current", "version": 1}
    )
    await notifications.wait_for(LIST_CHANGED, seen + 1)
    assert "weather__current" not in await tool_names(client)
    await call_ok(client, "polybox_request_publish", {"server": "weather", "tool": "current"})
    await admin_approves(instance, notifications)
    assert (await call_ok(client, "weather__current", {"city": "Oslo"}))["units"] == "metric"
    versions = await call_ok(
        client, "polybox_list_tool_versions", {"server": "weather", "tool": "current"}
    )
    assert [item["author"] for item in versions["items"]] == ["rollback", "llm", "llm"]


async def test_forge_journey_over_streamable_http(
    connect: Connect, instance: Instance, local: Server
) -> None:
    async with connect(mode="legacy") as (client, notifications):
        await journey(client, notifications, instance, local)


@asynccontextmanager
async def stdio_client(settings: Settings) -> AsyncIterator[tuple[Client, Notifications]]:
    client, notifications = client_for(stdio_server(settings), mode="legacy")
    async with client:
        yield client, notifications


async def test_a_stdio_client_hears_of_an_approval_made_by_another_process(
    settings: Settings, instance: Instance
) -> None:
    """The stdio process changes nothing itself, so only the other process can tell it."""
    code = 'async def main() -> dict:\n    """Say hi."""\n    return {"hi": True}\n'
    async with transaction(instance.sessions, instance.events) as session:
        await servers.create_server(session, ADMIN, "greet")
        await tools.create_tool(session, ADMIN, "greet", "hello", code)
        await approvals.request_publish(session, ADMIN, "greet", "hello")
        await servers.start_server(session, ADMIN, "greet")
    stdio: AbstractAsyncContextManager[tuple[Client, Notifications]] = stdio_client(settings)
    async with stdio as (client, notifications):
        assert "greet__hello" not in await tool_names(client)  # the tool list is now cached

        await admin_approves(instance, notifications, "greet", "hello")

        assert "greet__hello" in await tool_names(client)


async def test_forge_journey_over_stdio(
    settings: Settings, instance: Instance, local: Server
) -> None:
    """The admin's approvals happen in this process and reach the stdio process across the
    process boundary: LISTEN/NOTIFY on PostgreSQL, the polled change counter on SQLite."""
    stdio: AbstractAsyncContextManager[tuple[Client, Notifications]] = stdio_client(settings)
    async with stdio as (client, notifications):
        await journey(client, notifications, instance, local)
