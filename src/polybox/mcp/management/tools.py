"""Management tools for tools: create, edit, inspect, version and roll back forged tools."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from polybox.forge import tools, versions
from polybox.forge.pages import Page
from polybox.forge.schemas import ToolOut, ToolVersionDetailOut, ToolVersionOut
from polybox.mcp.management.base import Call, Deleted, Input, ManagementTool, PageInput
from polybox.store.enums import ToolStatus

SERVER = Field(description="Name of the server the tool belongs to.")
TOOL = Field(description="Tool name within the server.")
CODE = Field(
    description="Python source defining `async def main(...)`: typed parameters become the "
    "input schema, the docstring's first line the description (max 100 kB)."
)


class ServerTools(PageInput):
    server: str = SERVER
    status: ToolStatus | None = Field(None, description="Only tools in this approval state.")


class ToolRef(Input):
    server: str = SERVER
    tool: str = TOOL


class CreateTool(Input):
    server: str = SERVER
    name: str = Field(description="Tool name: 1-48 of a-z, 0-9 and '_', starting with a letter.")
    code: str = CODE
    description: str | None = Field(
        None, description="Description for clients; default: first line of main's docstring."
    )


class UpdateTool(ToolRef):
    code: str | None = Field(None, description="New source; identical code is not a new version.")
    description: str | None = Field(None, description="New description.")
    name: str | None = Field(None, description="New tool name.")


class ToolVersions(PageInput):
    server: str = SERVER
    tool: str = TOOL


class VersionRef(ToolRef):
    version: int = Field(
        ge=1, description="Version number, as listed by polybox_list_tool_versions."
    )


async def _list(call: Call, args: ServerTools) -> Page[ToolOut]:
    async with call.transaction() as session:
        return await tools.list_tools(
            session, args.server, page=args.page, page_size=args.page_size, status=args.status
        )


async def _get(call: Call, args: ToolRef) -> ToolOut:
    async with call.transaction() as session:
        return await tools.get_tool(session, args.server, args.tool)


async def _create(call: Call, args: CreateTool) -> ToolOut:
    async with call.transaction() as session:
        return await tools.create_tool(
            session, call.actor, args.server, args.name, args.code, description=args.description
        )


async def _update(call: Call, args: UpdateTool) -> ToolOut:
    async with call.transaction() as session:
        return await tools.update_tool(
            session,
            call.actor,
            args.server,
            args.tool,
            code=args.code,
            description=args.description,
            name=args.name,
        )


async def _delete(call: Call, args: ToolRef) -> Deleted:
    async with call.transaction() as session:
        await tools.delete_tool(session, call.actor, args.server, args.tool)
    return Deleted(deleted=f"{args.server}/{args.tool}")


async def _versions(call: Call, args: ToolVersions) -> Page[ToolVersionOut]:
    async with call.transaction() as session:
        return await versions.list_tool_versions(
            session, args.server, args.tool, page=args.page, page_size=args.page_size
        )


async def _version(call: Call, args: VersionRef) -> ToolVersionDetailOut:
    async with call.transaction() as session:
        return await versions.get_tool_version(session, args.server, args.tool, args.version)


async def _rollback(call: Call, args: VersionRef) -> ToolOut:
    async with call.transaction() as session:
        return await versions.rollback_tool(
            session, call.actor, args.server, args.tool, args.version
        )


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "polybox_list_tools",
        "List a server's tools with approval state, schemas and versions.",
        ServerTools,
        _list,
        output=Page[ToolOut],
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_get_tool",
        "Get one tool with its current code and the analysis of that code.",
        ToolRef,
        _get,
        output=ToolOut,
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_create_tool",
        "Create a tool from Python code (a draft until approved). Every problem with the name, "
        "description and code is reported at once; nothing is stored unless all are fixed.",
        CreateTool,
        _create,
        output=ToolOut,
    ),
    ManagementTool(
        "polybox_update_tool",
        "Change a tool's code, description or name. Any change resets approval: the tool "
        "leaves tools/list until it is approved again.",
        UpdateTool,
        _update,
        output=ToolOut,
    ),
    ManagementTool(
        "polybox_delete_tool",
        "Delete a tool with all its versions. Cannot be undone.",
        ToolRef,
        _delete,
        output=Deleted,
        destructive=True,
    ),
    ManagementTool(
        "polybox_list_tool_versions",
        "List a tool's versions, newest first, with author and time.",
        ToolVersions,
        _versions,
        output=Page[ToolVersionOut],
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_get_tool_version",
        "Get the code of one version and its unified diff against the current code.",
        VersionRef,
        _version,
        output=ToolVersionDetailOut,
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "polybox_rollback_tool",
        "Make an earlier version's code current again (as a new version). Resets approval.",
        VersionRef,
        _rollback,
        output=ToolOut,
    ),
]
