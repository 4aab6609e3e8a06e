"""completion/complete: server and tool names for the resource templates and the prompts.

The names come from one `forge.briefs.inventory` call; values start with what the client typed
so far, at most MAX_VALUES of them (the protocol's cap). Any other argument completes to
nothing, which is a valid answer.
"""

from __future__ import annotations

import mcp_types as types

from polybox.forge.briefs import ServerEntry, inventory
from polybox.forge.names import public_tool_name
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.mcp.prompts import TOOL_ARGUMENTS
from polybox.mcp.resources import TEMPLATES

MAX_VALUES = 100
_TEMPLATE_URIS = {template.uri_template for template in TEMPLATES}


def candidates(servers: list[ServerEntry], params: types.CompleteRequestParams) -> list[str]:
    """Every value that `params.argument` may take, before filtering by what was typed."""
    ref, argument = params.ref, params.argument.name
    if isinstance(ref, types.PromptReference):
        if (ref.name, argument) not in TOOL_ARGUMENTS:
            return []
        return [public_tool_name(s.name, t.name) for s in servers for t in s.tools]
    if ref.uri not in _TEMPLATE_URIS:
        return []
    if argument == "server":
        return [server.name for server in servers]
    if argument == "tool":
        chosen = (params.context.arguments or {}).get("server") if params.context else None
        return [t.name for s in servers if chosen in (None, s.name) for t in s.tools]
    return []


async def complete(instance: Instance, params: types.CompleteRequestParams) -> types.CompleteResult:
    async with transaction(instance.sessions, None) as session:
        servers = await inventory(session)
    typed = params.argument.value
    matches = sorted({value for value in candidates(servers, params) if value.startswith(typed)})
    return types.CompleteResult(
        completion=types.Completion(
            values=matches[:MAX_VALUES],
            total=len(matches),
            has_more=len(matches) > MAX_VALUES,
        )
    )
