"""MCP resources: each tool's source, schemas and latest calls, each server's latest calls.

URIs (server and tool names are `[a-z][a-z0-9_]*`, so nothing needs escaping):

- `polybox://tools/{server}/{tool}/source`: the current code (text/x-python)
- `polybox://tools/{server}/{tool}/schema`: description, input and output schema (JSON)
- `polybox://tools/{server}/{tool}/logs`: the tool's latest calls, newest first (JSON)
- `polybox://servers/{server}/logs`: the server's latest calls, newest first (JSON)

resources/list names the source and schema of every tool (any state) and the log of every
server; resources/templates/list gives the four forms. A read is one forge service call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.forge.briefs import ServerEntry, inventory
from polybox.forge.errors import ForgeError
from polybox.forge.logs import get_tool_logs
from polybox.forge.names import public_tool_name
from polybox.forge.schemas import ExecutionLogOut, ToolOut
from polybox.forge.tools import get_tool
from polybox.forge.unit import transaction
from polybox.instance import Instance

LOG_TAIL = 20  # calls in a log resource
PYTHON = "text/x-python"
JSON = "application/json"

TOOL_SOURCE = "polybox://tools/{server}/{tool}/source"
TOOL_SCHEMA = "polybox://tools/{server}/{tool}/schema"
TOOL_LOGS = "polybox://tools/{server}/{tool}/logs"
SERVER_LOGS = "polybox://servers/{server}/logs"

TEMPLATES = [
    types.ResourceTemplate(
        name="tool_source",
        title="Tool source",
        uri_template=TOOL_SOURCE,
        description="A tool's current code.",
        mime_type=PYTHON,
    ),
    types.ResourceTemplate(
        name="tool_schema",
        title="Tool schema",
        uri_template=TOOL_SCHEMA,
        description="A tool's description, input schema and output schema.",
        mime_type=JSON,
    ),
    types.ResourceTemplate(
        name="tool_logs",
        title="Tool calls",
        uri_template=TOOL_LOGS,
        description=f"A tool's {LOG_TAIL} latest calls, newest first.",
        mime_type=JSON,
    ),
    types.ResourceTemplate(
        name="server_logs",
        title="Server calls",
        uri_template=SERVER_LOGS,
        description=f"The {LOG_TAIL} latest calls of a server's tools, newest first.",
        mime_type=JSON,
    ),
]

_NAME = r"([a-z][a-z0-9_]*)"
_TOOL_URI = re.compile(rf"polybox://tools/{_NAME}/{_NAME}/(source|schema|logs)")
_SERVER_URI = re.compile(rf"polybox://servers/{_NAME}/logs")


@dataclass(frozen=True)
class Target:
    """What a resource URI names: `part` of tool `tool` (None: the server's log) of `server`."""

    server: str
    tool: str | None
    part: str


def parse_uri(uri: str) -> Target:
    """The target of `uri`; anything else is an INVALID_PARAMS error naming the forms."""
    if found := _TOOL_URI.fullmatch(uri):
        return Target(found[1], found[2], found[3])
    if found := _SERVER_URI.fullmatch(uri):
        return Target(found[1], None, "logs")
    forms = ", ".join(template.uri_template for template in TEMPLATES)
    raise MCPError(INVALID_PARAMS, f"unknown resource {uri!r}; polybox resources are: {forms}")


def changed_by(event: Mapping[str, object]) -> list[str]:
    """The resources a forge change event updates: the source and schema of the tool it names
    (tool added, changed, approved, removed); none for other events. Log resources change with
    every call and send no updates."""
    server, tool = event.get("server"), event.get("tool")
    if not isinstance(server, str) or not isinstance(tool, str):
        return []
    return [form.format(server=server, tool=tool) for form in (TOOL_SOURCE, TOOL_SCHEMA)]


def source_contents(tool: ToolOut) -> types.TextResourceContents:
    return types.TextResourceContents(
        uri=TOOL_SOURCE.format(server=tool.server, tool=tool.name),
        mime_type=PYTHON,
        text=tool.code or "",
    )


def schema_contents(tool: ToolOut) -> types.TextResourceContents:
    schema = {
        "name": tool.public_name,
        "description": tool.description,
        "status": tool.status.value,
        "input_schema": tool.input_schema,
        "output_schema": tool.output_schema,
    }
    return _json(TOOL_SCHEMA.format(server=tool.server, tool=tool.name), schema)


def log_contents(
    calls: list[ExecutionLogOut], *, server: str, tool: str | None = None
) -> types.TextResourceContents:
    uri = (
        SERVER_LOGS.format(server=server)
        if tool is None
        else TOOL_LOGS.format(server=server, tool=tool)
    )
    return _json(uri, [call.model_dump(mode="json") for call in calls])


def _json(uri: str, value: Any) -> types.TextResourceContents:
    text = json.dumps(value, ensure_ascii=False, indent=1)
    return types.TextResourceContents(uri=uri, mime_type=JSON, text=text)


def listing(servers: list[ServerEntry]) -> list[types.Resource]:
    """The resources/list entries: each tool's source and schema, each server's log."""
    resources = []
    for server in servers:
        for tool in server.tools:
            name = public_tool_name(server.name, tool.name)
            resources.append(
                types.Resource(
                    name=f"{name} source",
                    uri=TOOL_SOURCE.format(server=server.name, tool=tool.name),
                    description=f"Code of {name} ({tool.status.value}): {tool.description}",
                    mime_type=PYTHON,
                )
            )
            resources.append(
                types.Resource(
                    name=f"{name} schema",
                    uri=TOOL_SCHEMA.format(server=server.name, tool=tool.name),
                    description=f"Input and output schema of {name}.",
                    mime_type=JSON,
                )
            )
        resources.append(
            types.Resource(
                name=f"{server.name} calls",
                uri=SERVER_LOGS.format(server=server.name),
                description=f"The {LOG_TAIL} latest calls of server {server.name}'s tools.",
                mime_type=JSON,
            )
        )
    return resources


async def list_resources(instance: Instance) -> types.ListResourcesResult:
    async with transaction(instance.sessions, None) as session:
        servers = await inventory(session)
    return types.ListResourcesResult(resources=listing(servers))


async def read_resource(instance: Instance, uri: str) -> types.ReadResourceResult:
    """Read `uri`; an unknown server or tool is an INVALID_PARAMS error with the forge's words."""
    target = parse_uri(uri)
    try:
        async with transaction(instance.sessions, None) as session:
            contents = await _contents(session, target)
    except ForgeError as exc:
        raise MCPError(INVALID_PARAMS, exc.message) from None
    return types.ReadResourceResult(contents=[contents])


async def _contents(session: AsyncSession, target: Target) -> types.TextResourceContents:
    if target.part == "logs" or target.tool is None:
        page = await get_tool_logs(session, target.server, target.tool, page_size=LOG_TAIL)
        return log_contents(page.items, server=target.server, tool=target.tool)
    tool = await get_tool(session, target.server, target.tool)
    return source_contents(tool) if target.part == "source" else schema_contents(tool)
