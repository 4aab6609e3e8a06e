"""polybox_test_code through MCP follows the approval policy and runs in the sandbox."""

from __future__ import annotations

import pytest

from mcp_clients import Connect
from polybox.forge.actors import admin
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.instance import Instance

pytestmark = pytest.mark.anyio

CODE = '''
async def main(n: int) -> dict:
    """Square."""
    print("squaring")
    return {"sq": n * n}
'''


async def test_unapproved_code_runs_only_once_the_admin_allows_testing_before_approval(
    connect: Connect, instance: Instance
) -> None:
    arguments = {"server": "maths", "code": CODE, "arguments": {"n": 7}}
    async with connect() as (client, _):
        await client.call_tool("polybox_create_server", {"name": "maths"})
        blocked = await client.call_tool("polybox_test_code", arguments)
        async with transaction(instance.sessions, instance.events) as session:
            await update_settings(session, admin("root"), test_before_approval=True)
        ran = await client.call_tool("polybox_test_code", arguments)
        both = await client.call_tool(
            "polybox_test_code", {"server": "maths", "tool": "sq", "code": CODE}
        )
    assert blocked.is_error
    assert not ran.is_error, ran.content
    assert ran.structured_content is not None
    assert ran.structured_content["result"] == {"sq": 49}
    assert ran.structured_content["stdout"] == "squaring\n"
    assert both.is_error
    assert "give exactly one of 'tool' (saved code) or 'code' (unsaved code)" in str(
        both.content[0]
    )
