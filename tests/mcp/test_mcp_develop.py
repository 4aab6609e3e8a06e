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


async def test_a_local_client_tests_unapproved_code_out_of_the_box_until_the_admin_says_no(
    connect: Connect, instance: Instance
) -> None:
    arguments = {"server": "maths", "code": CODE, "arguments": {"n": 7}}
    async with connect() as (client, _):
        await client.call_tool("polybox_create_server", {"name": "maths"})
        ran = await client.call_tool("polybox_test_code", arguments)
        both = await client.call_tool(
            "polybox_test_code", {"server": "maths", "tool": "sq", "code": CODE}
        )
        async with transaction(instance.sessions, instance.events) as session:
            await update_settings(session, admin("root"), local_test_before_approval=False)
        blocked = await client.call_tool("polybox_test_code", arguments)
    assert not ran.is_error, ran.content
    assert ran.structured_content is not None
    assert ran.structured_content["result"] == {"sq": 49}
    assert ran.structured_content["stdout"] == "squaring\n"
    assert blocked.is_error
    assert "local_test_before_approval" in str(blocked.content[0])
    assert both.is_error
    assert "give exactly one of 'tool' (saved code) or 'code' (unsaved code)" in str(
        both.content[0]
    )
