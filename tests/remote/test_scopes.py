"""A remote client gets what its token's scopes and `remote_tool_editing` allow, and sees only that.

Both protocol eras: a handshake-era session handles its messages in its own task, so these
also show the token is read per request there.
"""

from __future__ import annotations

import pytest
from mcp import Client

from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from remote.conftest import ADMIN, ClientWith, Remote, TokenFor

pytestmark = pytest.mark.anyio

MODES = pytest.mark.parametrize("mode", ["legacy", "auto"])


async def _names(client: Client) -> set[str]:
    return {tool.name for tool in (await client.list_tools()).tools}


def _text(result: object) -> str:
    content = getattr(result, "content", [])
    return str(getattr(content[0], "text", "")) if content else ""


@MODES
async def test_a_tools_call_token_calls_forged_tools_and_reads_the_forge_but_cannot_build(
    token_for: TokenFor, client_with: ClientWith, mode: str
) -> None:
    async with client_with(await token_for("tools:call"), mode) as client:
        names = await _names(client)
        called = await client.call_tool("net__ping", {})
        read = await client.call_tool("polybox_list_servers", {})
        build = await client.call_tool("polybox_create_server", {"name": "other"})
    assert {"net__ping", "polybox_list_servers", "dotnet_execute_snippet"} <= names
    assert "polybox_create_server" not in names
    assert called.structured_content == {"pong": True}
    assert not read.is_error
    assert build.is_error
    assert _text(build).startswith("polybox_create_server needs the 'forge:write' scope")


@MODES
async def test_a_forge_write_token_builds_but_cannot_call_forged_tools(
    token_for: TokenFor, client_with: ClientWith, mode: str
) -> None:
    async with client_with(await token_for("forge:write"), mode) as client:
        names = await _names(client)
        build = await client.call_tool("polybox_create_server", {"name": "other"})
        called = await client.call_tool("net__ping", {})
        snippet = await client.call_tool("dotnet_execute_snippet", {"code": "1"})
    assert "polybox_create_server" in names
    assert "net__ping" not in names
    assert "dotnet_execute_snippet" not in names
    assert not build.is_error
    assert called.is_error
    assert _text(called).startswith("calling forged tools needs the 'tools:call' scope")
    assert snippet.is_error
    assert snippet.structured_content is not None
    error = snippet.structured_content["error"]
    assert error["type"] == "forbidden"
    assert error["message"].startswith("running .NET code needs the 'tools:call' scope")


async def test_remote_tool_editing_none_stops_forge_write_tokens_but_not_admin_ones(
    remote: Remote, token_for: TokenFor, client_with: ClientWith
) -> None:
    async with transaction(remote.instance.sessions, remote.instance.events) as session:
        await update_settings(session, ADMIN, remote_tool_editing="none")
    async with client_with(await token_for("tools:call", "forge:write"), "legacy") as writer:
        writer_names = await _names(writer)
        refused = await writer.call_tool("polybox_list_servers", {})
    async with client_with(await token_for("admin"), "legacy") as admin_client:
        admin_names = await _names(admin_client)
        built = await admin_client.call_tool("polybox_create_server", {"name": "other"})
    assert not any(name.startswith("polybox_") for name in writer_names)
    assert "net__ping" in writer_names
    assert refused.is_error
    assert "remote_tool_editing is 'none'" in _text(refused)
    assert {"polybox_create_server", "net__ping"} <= admin_names
    assert not built.is_error
