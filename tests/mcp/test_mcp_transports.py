"""The MCP endpoints themselves: Streamable HTTP at /mcp (both eras) and `polybox stdio`."""

from __future__ import annotations

import json

import httpx
import pytest

from mcp_clients import Connect, client_for, stdio_server
from polybox.config import Settings
from polybox.forge.servers import get_server
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.mcp.management import MANAGEMENT_TOOLS
from polybox.mcp.server import INSTRUCTIONS

pytestmark = pytest.mark.anyio

MANAGEMENT_NAMES = {tool.name for tool in MANAGEMENT_TOOLS}


async def test_handshake_client_over_http_gets_instructions_and_management_tools(
    connect: Connect,
) -> None:
    async with connect(mode="legacy") as (client, _):
        assert client.protocol_version == "2025-11-25"
        assert client.instructions == INSTRUCTIONS
        assert client.server_capabilities.tools is not None
        assert client.server_capabilities.tools.list_changed is True
        listed = await client.list_tools()
    assert {tool.name for tool in listed.tools} >= MANAGEMENT_NAMES


async def test_sessionless_2026_client_over_http_lists_the_same_tools(connect: Connect) -> None:
    async with connect(mode="auto") as (client, _):
        assert client.protocol_version == "2026-07-28"
        listed = await client.list_tools()
    assert {tool.name for tool in listed.tools} >= MANAGEMENT_NAMES


async def test_foreign_host_header_is_refused_on_loopback(mcp_url: str) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not reach /mcp."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient() as http:
        refused = await http.post(
            mcp_url, json=body, headers={**headers, "Host": "evil.example:80"}
        )
        cross_origin = await http.post(
            mcp_url, json=body, headers={**headers, "Origin": "http://evil.example"}
        )
    assert refused.status_code == 421
    assert cross_origin.status_code == 403


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_polybox_stdio_serves_both_eras_against_the_same_store(
    settings: Settings, mode: str
) -> None:
    client, _ = client_for(stdio_server(settings), mode=mode)
    async with client:
        listed = await client.list_tools()
        created = await client.call_tool(
            "polybox_create_server", {"name": "weather", "description": "forecasts"}
        )
    assert {tool.name for tool in listed.tools} >= MANAGEMENT_NAMES
    assert not created.is_error, created.content
    async with (
        Instance.running(settings) as instance,
        transaction(instance.sessions, None) as session,
    ):
        stored = await get_server(session, "weather")
    assert stored.description == "forecasts"


async def test_a_2025_06_18_client_is_served_in_its_own_version(mcp_url: str) -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "old-client", "version": "0"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream"}
    async with (
        httpx.AsyncClient() as http,
        http.stream("POST", mcp_url, json=initialize, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["mcp-session-id"]
        body = "".join([chunk async for chunk in response.aiter_text()])
    data = json.loads(next(line[5:] for line in body.splitlines() if line.startswith("data:")))
    assert data["result"]["protocolVersion"] == "2025-06-18"
    assert data["result"]["capabilities"]["tools"]["listChanged"] is True
