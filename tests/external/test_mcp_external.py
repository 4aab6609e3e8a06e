"""External sources over MCP: an official client drives the whole journey through polybox.

polybox is served by a real uvicorn on 127.0.0.1; the upstream is a second MCP server built
with the `mcp` SDK (upstream.py). The admin's approval goes through the forge service, as the
admin API does.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp_types import TextContent

from external.conftest import ADMIN
from external.upstream import Upstream
from mcp_clients import client_for, serving
from polybox.app import create_app
from polybox.forge import approvals
from polybox.forge.unit import transaction
from polybox.instance import Instance

pytestmark = pytest.mark.anyio


async def _call(client: Client, name: str, arguments: dict[str, Any]) -> Any:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def test_a_client_adds_discovers_imports_and_calls_a_source_an_admin_approved(
    instance: Instance, allowed_server: str, upstream: Upstream
) -> None:
    async with serving(create_app(instance), "127.0.0.1") as url:
        client, _ = client_for(url)
        async with client:
            added = await _call(
                client,
                "polybox_add_external_source",
                {"server": "hub", "name": "up", "url": upstream.url},
            )
            found = await _call(
                client, "polybox_discover_external_tools", {"server": "hub", "source": "up"}
            )
            imported = await _call(
                client,
                "polybox_import_external_tools",
                {"server": "hub", "source": "up", "tools": ["add", "broken"]},
            )
            before = {tool.name for tool in (await client.list_tools()).tools}
            async with transaction(instance.sessions, instance.events) as session:
                await approvals.approve_tool(session, ADMIN, "hub", "add")
                await approvals.approve_tool(session, ADMIN, "hub", "broken")
            after = {tool.name for tool in (await client.list_tools()).tools}
            summed = await _call(client, "hub__add", {"a": 40, "b": 2})
            failed = await client.call_tool("hub__broken", {})
            listed = await _call(client, "polybox_list_external_sources", {"server": "hub"})

    assert added["health"] == "unknown"
    assert {tool["remote_name"] for tool in found["tools"]} == {"add", "shout-Text", "broken"}
    assert [tool["status"] for tool in imported["tools"]] == ["pending_review", "pending_review"]
    assert "hub__add" not in before
    assert {"hub__add", "hub__broken"} <= after
    assert summed == {"sum": 42}
    assert failed.is_error
    assert [block.text for block in failed.content if isinstance(block, TextContent)] == [
        "ExternalToolError: Error executing tool broken"  # the upstream SDK's own wording
    ]
    (source,) = listed["items"]
    assert (source["health"], source["tools"]) == ("healthy", ["add", "broken"])
