"""Remote clients (a non-loopback peer) get the management tools `remote_tool_editing` allows."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from forge.runner_setup import add_tool
from mcp_clients import client_for, serving
from polybox.app import create_app
from polybox.config import Settings
from polybox.forge.actors import admin
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.instance import Instance

pytestmark = pytest.mark.anyio


def _non_loopback_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the local address
        address: str = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


@pytest.fixture
async def remote(settings: Settings) -> AsyncIterator[tuple[str, Instance]]:
    """The app on this host's non-loopback address (as `polybox serve --host 0.0.0.0` would be):
    a client connecting there is a remote peer."""
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this host has no non-loopback IPv4 address")
    open_settings = settings.model_copy(update={"host": "0.0.0.0"})
    async with (
        Instance.running(open_settings) as instance,
        serving(create_app(instance), address) as url,
    ):
        yield url, instance


@pytest.mark.parametrize(
    ("policy", "create_allowed", "list_allowed"),
    [("all", True, True), ("read_only", False, True), ("none", False, False)],
)
async def test_remote_tool_editing_decides_which_management_tools_remote_clients_may_call(
    remote: tuple[str, Instance], policy: str, create_allowed: bool, list_allowed: bool
) -> None:
    url, instance = remote
    async with transaction(instance.sessions, instance.events) as session:
        await update_settings(session, admin("root"), remote_tool_editing=policy)
    client, _ = client_for(url)
    async with client:
        created = await client.call_tool("polybox_create_server", {"name": "weather"})
        listed = await client.call_tool("polybox_list_servers", {})
    assert created.is_error is not create_allowed
    assert listed.is_error is not list_allowed
    if not create_allowed:
        text = created.content[0]
        assert getattr(text, "text", "").startswith(
            f"polybox_create_server is not available to remote clients: "
            f"remote_tool_editing is {policy!r}"
        )


@pytest.mark.parametrize(("policy", "allowed"), [("read_only", True), ("none", False)])
async def test_remote_clients_read_tool_sources_and_logs_only_where_read_only_tools_are_allowed(
    remote: tuple[str, Instance], policy: str, allowed: bool
) -> None:
    url, instance = remote
    await add_tool(instance.sessions, 'async def main() -> int:\n    """One."""\n    return 1\n')
    async with transaction(instance.sessions, instance.events) as session:
        await update_settings(session, admin("root"), remote_tool_editing=policy)
    reads: dict[str, Callable[[Client], Awaitable[object]]] = {
        "resources/read": lambda c: c.read_resource("polybox://tools/weather/probe/source"),
        "resources/list": lambda c: c.list_resources(),
        "prompts/get": lambda c: c.get_prompt("review_tool_failures", {"tool": "weather__probe"}),
        "completion/complete": lambda c: c.complete(
            types.PromptReference(name="review_tool_failures"), {"name": "tool", "value": ""}
        ),
    }
    client, _ = client_for(url, mode="auto")
    async with client:
        for method, read in reads.items():
            if allowed:
                await read(client)
                continue
            with pytest.raises(MCPError) as refused:
                await read(client)
            assert refused.value.message.startswith(
                f"{method} is not available to remote clients: remote_tool_editing is 'none'"
            )
