"""What a client reads about the forge besides calling tools: MCP resources, prompts, completion.

`inventory` names every server and its tools (any state: a model reads its drafts too) in one
query, for resources/list and for completing server and tool names. `tool_brief` is one tool
with its current code and its latest calls, for the prompt that reviews why a tool fails. A
single tool's source and schemas (`tools.get_tool`) and a server's log tail
(`logs.get_tool_logs`) need nothing new.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.errors import NotFoundError
from polybox.forge.logs import get_tool_logs
from polybox.forge.names import SEPARATOR
from polybox.forge.schemas import ExecutionLogOut, Out, ToolOut
from polybox.forge.tool_rows import detailed, find_tool
from polybox.store.enums import ToolStatus
from polybox.store.models import Server, Tool


class ToolEntry(Out):
    name: str
    description: str
    status: ToolStatus


class ServerEntry(Out):
    name: str
    description: str
    tools: list[ToolEntry]


class ToolBrief(Out):
    """A tool (current code and its analysis) and its latest calls, newest first."""

    tool: ToolOut
    calls: list[ExecutionLogOut]


async def inventory(session: AsyncSession) -> list[ServerEntry]:
    """Every server (by name) with its tools (by name), in a single SELECT."""
    rows = await session.execute(
        select(Server.name, Server.description, Tool.name, Tool.description, Tool.status)
        .outerjoin(Tool, Tool.server_id == Server.id)
        .order_by(Server.name, Tool.name)
    )
    servers: dict[str, ServerEntry] = {}
    for server, server_description, tool, tool_description, status in rows:
        entry = servers.setdefault(
            server, ServerEntry(name=server, description=server_description, tools=[])
        )
        if tool is not None:
            entry.tools.append(ToolEntry(name=tool, description=tool_description, status=status))
    return list(servers.values())


async def tool_brief(session: AsyncSession, public_name: str, *, calls: int) -> ToolBrief:
    """Tool `<server>__<tool>` with its `calls` latest execution logs.

    Raises NotFoundError naming the expected form when `public_name` is not one.
    """
    server, separator, tool = public_name.partition(SEPARATOR)
    if not separator or not server or not tool:
        raise NotFoundError(
            f"{public_name!r} is not a forged tool name; use '<server>{SEPARATOR}<tool>' "
            "as tools/list shows it (polybox_list_tools lists a server's tools)"
        )
    row = await find_tool(session, server, tool)
    logs = await get_tool_logs(session, row.server.name, row.name, page_size=calls)
    return ToolBrief(tool=await detailed(session, row), calls=logs.items)
