"""A forged tool whose return value misses its annotation fails as a tool error the model can read.

Official MCP client over Streamable HTTP on 127.0.0.1, approved tools run in the real sandbox.
Without the server's check, the client itself rejects the result (its structuredContent violates
the tool's outputSchema) and the call raises instead of returning a message.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forge.runner_setup import add_tool
from mcp_clients import Connect
from polybox.instance import Instance
from polybox.store.enums import ExecutionStatus
from polybox.store.models import ExecutionLog

# SQLite only: the check is in the runner, whatever the store.
pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

COUNT = 'async def main(text: str) -> int:\n    """Count words."""\n    return text\n'
SIZES = "async def main() -> list[int]:\n    return [1, 'two', 3]\n"
GOOD = "async def main() -> list[int]:\n    return [1, 2, 3]\n"


async def test_a_return_that_misses_its_annotation_is_a_tool_error_logged_as_error(
    instance: Instance, connect: Connect
) -> None:
    await add_tool(instance.sessions, COUNT, server="words", tool="count")
    await add_tool(instance.sessions, SIZES, server="numbers", tool="sizes")
    await add_tool(instance.sessions, GOOD, server="fine", tool="good")
    async with connect() as (client, _):
        await client.list_tools()  # the client learns the output schemas it checks against
        count = await client.call_tool("words__count", {"text": "a b"})
        sizes = await client.call_tool("numbers__sizes", {})
        good = await client.call_tool("fine__good", {})
        tested = await client.call_tool(
            "polybox_test_code", {"server": "words", "tool": "count", "arguments": {"text": "x"}}
        )
    await instance.runner.logs.drained()
    async with instance.sessions() as session:
        logged = (await session.scalars(select(ExecutionLog).order_by(ExecutionLog.id))).all()

    assert count.is_error
    assert count.structured_content is None
    assert count.content[0].text == "TypeError: main returned str, its annotation says int"  # type: ignore[union-attr]
    assert sizes.is_error
    assert sizes.content[0].text == (  # type: ignore[union-attr]
        "TypeError: main returned list, its annotation says list[int]: "
        "at [1], 'two' is not of type 'integer'"
    )
    assert not good.is_error
    assert tested.structured_content is not None  # a test run says the same, before publishing
    assert tested.structured_content["ok"] is False
    assert tested.structured_content["error"]["message"] == (
        "main returned str, its annotation says int"
    )
    assert good.structured_content == {"result": [1, 2, 3]}
    assert [row.status for row in logged] == [  # test runs are not execution logs
        ExecutionStatus.ERROR, ExecutionStatus.ERROR, ExecutionStatus.OK,
    ]  # fmt: skip
    assert logged[0].error is not None
    assert logged[0].error["message"] == "main returned str, its annotation says int"
