"""Log messages and progress notifications through the official MCP client, in both eras.

Logs are opt-in: a handshake-era client sets a level with `logging/setLevel`, a 2026-07-28
client sends its level in each request's `_meta` (the SDK client's `log_level`). Progress is
reported for `polybox_test_code` runs when the request carries a progress token.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning

from forge.runner_setup import add_tool
from polybox.forge.actors import admin
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.instance import Instance

pytestmark = pytest.mark.anyio

DIVIDE = 'async def main(a: int, b: int) -> dict:\n    """Divide."""\n    return {"q": a / b}\n'
SLOW = '''
import asyncio

async def main() -> dict:
    """Take a while."""
    print("starting")
    await asyncio.sleep(1.3)
    return {"done": True}
'''


class Heard:
    """The log messages one client received."""

    def __init__(self) -> None:
        self.messages: list[types.LoggingMessageNotificationParams] = []

    async def log(self, params: types.LoggingMessageNotificationParams) -> None:
        self.messages.append(params)

    def levels(self) -> list[tuple[str, str | None]]:
        return [(message.level, message.logger) for message in self.messages]


def client(
    mcp_url: str, heard: Heard, *, mode: str, level: types.LoggingLevel | None = None
) -> Client:
    return Client(
        mcp_url,
        mode=mode,
        cache=None,
        logging_callback=heard.log,
        log_level=level,
    )


async def test_a_handshake_client_hears_logs_from_the_level_it_set(
    mcp_url: str, instance: Instance
) -> None:
    await add_tool(instance.sessions, DIVIDE, server="maths", tool="divide")
    heard = Heard()
    async with client(mcp_url, heard, mode="legacy") as mcp:
        await mcp.call_tool("maths__divide", {"a": 1, "b": 1})
        assert heard.messages == []  # nothing before logging/setLevel
        with pytest.warns(MCPDeprecationWarning):
            assert await mcp.set_logging_level("info") == types.EmptyResult()
        await mcp.call_tool("maths__divide", {"a": 4, "b": 2})
        with pytest.warns(MCPDeprecationWarning):
            await mcp.set_logging_level("error")
        await mcp.call_tool("maths__divide", {"a": 4, "b": 2})  # info: filtered out
        await mcp.call_tool("maths__divide", {"a": 1, "b": 0})
    assert heard.levels() == [("info", "maths__divide"), ("error", "maths__divide")]
    assert str(heard.messages[0].data).startswith("ok in ")
    assert "ZeroDivisionError" in str(heard.messages[1].data)


async def test_a_2026_client_hears_logs_at_the_level_its_requests_carry(
    mcp_url: str, instance: Instance
) -> None:
    await add_tool(instance.sessions, DIVIDE, server="maths", tool="divide")
    quiet, listening = Heard(), Heard()
    async with client(mcp_url, quiet, mode="auto") as mcp:
        await mcp.call_tool("maths__divide", {"a": 1, "b": 0})
    async with client(mcp_url, listening, mode="auto", level="warning") as mcp:
        assert mcp.protocol_version == "2026-07-28"
        await mcp.call_tool("maths__divide", {"a": 4, "b": 2})
        await mcp.call_tool("maths__divide", {"a": 1, "b": 0})
    assert quiet.messages == []
    assert listening.levels() == [("error", "maths__divide")]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_long_test_run_reports_progress_while_it_runs(
    mcp_url: str, instance: Instance, mode: str
) -> None:
    async with transaction(instance.sessions, instance.events) as session:
        await update_settings(session, admin("root"), test_before_approval=True)
    reports: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    heard = Heard()
    async with client(mcp_url, heard, mode=mode, level="debug") as mcp:
        if mode == "legacy":
            with pytest.warns(MCPDeprecationWarning):
                await mcp.set_logging_level("debug")
        await mcp.call_tool("polybox_create_server", {"name": "slow"})
        arguments: dict[str, Any] = {"server": "slow", "code": SLOW}
        result = await mcp.call_tool("polybox_test_code", arguments, progress_callback=on_progress)
    assert not result.is_error, result.content
    messages = [message for _, _, message in reports]
    assert messages[0] == "checking the code and arguments"
    assert messages[1] == "running in the sandbox: 1 s"
    assert messages[-1] == "finished: ok"
    numbers = [done for done, _, _ in reports]
    assert numbers == sorted(set(numbers))  # each report larger than the last
    assert ("debug", "polybox_test_code") in heard.levels()
    assert heard.messages[0].data == "starting\n"
