"""What API tests set up through the forge services, as an MCP client (an LLM) would.

The admin API has no endpoint for writing tool code or asking for modules and hosts (that is the
LLM's side, over MCP); these helpers make the same service calls the MCP tools make.
"""

from __future__ import annotations

from polybox.forge import approvals, requests, servers, tools
from polybox.forge.actors import llm
from polybox.forge.unit import transaction
from polybox.instance import Instance

CLAUDE = llm("claude")
CODE_V1 = 'async def main(city: str) -> dict:\n    """Weather for a city."""\n    return {}\n'
CODE_V2 = 'async def main(city: str) -> dict:\n    """Weather for a city."""\n    return {"a": 1}\n'


async def add_server(instance: Instance, name: str = "weather") -> None:
    async with transaction(instance.sessions, instance.events) as session:
        await servers.create_server(session, CLAUDE, name, "Forecasts")


async def add_tool(
    instance: Instance, server: str, name: str, *, code: str = CODE_V1, publish: bool = False
) -> None:
    """A draft tool (pending review when `publish`)."""
    async with transaction(instance.sessions, instance.events) as session:
        await tools.create_tool(session, CLAUDE, server, name, code)
        if publish:
            await approvals.request_publish(session, CLAUDE, server, name)


async def publish(instance: Instance, server: str, name: str) -> None:
    async with transaction(instance.sessions, instance.events) as session:
        await approvals.request_publish(session, CLAUDE, server, name)


async def change_code(instance: Instance, server: str, name: str, code: str) -> None:
    async with transaction(instance.sessions, instance.events) as session:
        await tools.update_tool(session, CLAUDE, server, name, code=code)


async def ask_for_module(instance: Instance, server: str, module: str) -> int:
    async with transaction(instance.sessions, instance.events) as session:
        return (await requests.request_module(session, CLAUDE, server, module, "parsing")).id


async def ask_for_host(instance: Instance, server: str, host: str) -> int:
    async with transaction(instance.sessions, instance.events) as session:
        return (await requests.request_network_access(session, CLAUDE, server, host)).id
