"""Bad input through MCP: each mistake gets a clear tool error, and nothing is stored half-way."""

from __future__ import annotations

from typing import Any

import mcp_types as types
import pytest
from mcp import Client

from mcp_clients import Connect
from polybox.forge import approvals, servers
from polybox.forge.actors import admin
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.mcp.management.base import Call, Input, ManagementTool, call_management_tool

pytestmark = pytest.mark.anyio

GOOD = 'async def main(city: str, days: int = 1) -> dict:\n    """Forecast."""\n    return {}\n'


async def tool_error(client: Client, name: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(name, arguments)
    assert result.is_error, result.structured_content
    assert result.structured_content is None
    text = result.content[0]
    assert isinstance(text, types.TextContent)
    assert "Traceback" not in text.text
    return text.text


async def stored_tools(client: Client) -> int:
    listed = await client.call_tool("polybox_list_tools", {"server": "weather"})
    assert listed.structured_content is not None
    total: int = listed.structured_content["total"]
    return total


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("async def main(:\n    pass\n", "line 1"),
        ("async def helper() -> None:\n    pass\n", "main"),
        (
            "def main() -> dict:\n    return {}\n",
            "must be a coroutine: write `async def main(...)`",
        ),
        ("x = 1\n" * 20_000, "the limit is 100000"),
    ],
    ids=["syntax-error", "no-main", "sync-main", "oversize"],
)
async def test_unusable_code_is_refused_with_the_reason_and_no_tool_is_stored(
    connect: Connect, code: str, expected: str
) -> None:
    async with connect() as (client, _):
        await client.call_tool("polybox_create_server", {"name": "weather"})
        validated = await client.call_tool(
            "polybox_validate_code", {"server": "weather", "code": code}
        )
        message = await tool_error(
            client, "polybox_create_tool", {"server": "weather", "name": "fc", "code": code}
        )
        assert expected in message
        assert await stored_tools(client) == 0
    if "limit" in expected:
        assert validated.is_error
    else:
        assert validated.structured_content is not None
        assert validated.structured_content["ok"] is False


async def test_bad_names_are_each_named_in_one_error(connect: Connect) -> None:
    async with connect() as (client, _):
        bad_server = await tool_error(client, "polybox_create_server", {"name": "Bad-Name"})
        await client.call_tool("polybox_create_server", {"name": "weather"})
        bad_tool = await tool_error(
            client,
            "polybox_create_tool",
            {"server": "weather", "name": "x__y", "code": GOOD, "description": "d" * 2001},
        )
        assert await stored_tools(client) == 0
        listed = await client.call_tool("polybox_list_servers", {})
    assert "'Bad-Name' is not a valid name" in bad_server
    assert "name: 'x__y' must not contain '__'" in bad_tool
    assert "description: description is 2001 characters; the limit is 2000" in bad_tool
    assert listed.structured_content is not None
    assert [item["name"] for item in listed.structured_content["items"]] == ["weather"]


async def test_wrong_argument_types_for_a_management_tool_list_every_bad_field(
    connect: Connect,
) -> None:
    async with connect() as (client, _):
        message = await tool_error(
            client, "polybox_list_servers", {"page": "first", "page_size": 0, "colour": "red"}
        )
    assert message.startswith("invalid arguments for polybox_list_servers: ")
    assert "page: Input should be a valid integer" in message
    assert "page_size: Input should be greater than or equal to 1" in message
    assert "colour: Extra inputs are not permitted" in message


async def test_unknown_servers_tools_and_versions_are_named_in_the_error(
    connect: Connect,
) -> None:
    async with connect() as (client, _):
        no_server = await tool_error(client, "polybox_get_server", {"server": "nowhere"})
        await client.call_tool("polybox_create_server", {"name": "weather"})
        no_tool = await tool_error(
            client, "polybox_get_tool", {"server": "weather", "tool": "missing"}
        )
        await client.call_tool(
            "polybox_create_tool", {"server": "weather", "name": "fc", "code": GOOD}
        )
        no_version = await tool_error(
            client, "polybox_get_tool_version", {"server": "weather", "tool": "fc", "version": 9}
        )
        no_forged = await tool_error(client, "weather__missing", {})
    assert "nowhere" in no_server
    assert "server 'weather' has no tool 'missing'" in no_tool
    assert "9" in no_version
    assert "no tool 'weather__missing'" in no_forged


async def test_calling_a_draft_tool_says_it_needs_approval(
    connect: Connect, instance: Instance
) -> None:
    async with connect() as (client, _):
        await client.call_tool("polybox_create_server", {"name": "weather"})
        await client.call_tool("polybox_start_server", {"server": "weather"})
        await client.call_tool(
            "polybox_create_tool", {"server": "weather", "name": "fc", "code": GOOD}
        )
        message = await tool_error(client, "weather__fc", {"city": "Oslo"})
    assert "tool 'weather__fc' is draft, not approved" in message
    assert "polybox_request_publish" in message


async def test_wrong_argument_types_for_a_forged_tool_list_each_bad_field(
    connect: Connect, instance: Instance
) -> None:
    async with connect() as (client, _):
        await client.call_tool("polybox_create_server", {"name": "weather"})
        await client.call_tool(
            "polybox_create_tool", {"server": "weather", "name": "fc", "code": GOOD}
        )
        async with transaction(instance.sessions, instance.events) as session:
            await approvals.request_publish(session, admin("root"), "weather", "fc")
            await approvals.approve_tool(session, admin("root"), "weather", "fc")
            await servers.start_server(session, admin("root"), "weather")
        message = await tool_error(client, "weather__fc", {"city": 7, "days": "many"})
    assert message == (
        "invalid arguments for weather__fc: city: 7 is not of type 'string'; "
        "days: 'many' is not of type 'integer'"
    )


class _Nothing(Input):
    pass


async def _explode(call: Call, args: _Nothing) -> Input:
    raise RuntimeError("secret internals: /etc/polybox/key")


async def test_an_unexpected_failure_is_a_generic_message_with_a_reference_and_no_trace(
    instance: Instance,
) -> None:
    """The failing handler is made up for this test: no real service fails on demand."""
    broken = ManagementTool("polybox_broken", "Fails.", _Nothing, _explode)
    result = await call_management_tool(broken, Call(instance, admin("root")), {})
    assert result.is_error
    text = result.content[0]
    assert isinstance(text, types.TextContent)
    assert text.text.startswith("polybox_broken failed with an internal error (reference ")
    assert "secret internals" not in text.text
