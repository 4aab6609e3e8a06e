"""Tool rows as every tool service reads them: lookup, the output forms, the code's analysis.

Shared by `tools` (create, update, delete), `versions` (history, diff, rollback) and `approvals`
(the state machine): a tool row is always loaded with its server and its current and approved
versions, and described the same way everywhere.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from polybox.forge.code import analyze_code
from polybox.forge.errors import ConflictError, FieldError, NotFoundError
from polybox.forge.names import public_tool_name
from polybox.forge.schemas import CodeReport, ToolOut
from polybox.forge.servers import find_server
from polybox.forge.settings import get_settings
from polybox.store.enums import ToolKind
from polybox.store.models import Server, Tool, ToolVersion

# What every tool query loads: the outputs read the server and both versions.
LOADED = (
    selectinload(Tool.server),
    selectinload(Tool.current_version),
    selectinload(Tool.approved_version),
)


async def find_tool(session: AsyncSession, server: str | int, tool: str | int) -> Tool:
    """The tool row (server and versions loaded) by server name/id and tool name/id."""
    owner = await find_server(session, server)
    where = Tool.id == tool if isinstance(tool, int) else Tool.name == tool
    row = await session.scalar(
        select(Tool).where(Tool.server_id == owner.id, where).options(*LOADED)
    )
    if row is None:
        raise NotFoundError(
            f"server {owner.name!r} has no tool {tool!r}; polybox_list_tools shows its tools"
        )
    return row


def tool_out(row: Tool) -> ToolOut:
    """The listed form of a loaded tool row (server and versions loaded)."""
    return ToolOut(
        id=row.id,
        server=row.server.name,
        name=row.name,
        public_name=public_tool_name(row.server.name, row.name),
        description=row.description,
        status=row.status,
        enabled=row.enabled,
        input_schema=row.input_schema,
        output_schema=row.output_schema,
        annotations=row.annotations,
        current_version=version_number(row.current_version),
        approved_version=version_number(row.approved_version),
        review_note=row.review_note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def detailed(session: AsyncSession, row: Tool, report: CodeReport | None = None) -> ToolOut:
    """The full form a service returns: current code and its analysis (`report` if given).

    A passthrough tool has no analysis: its versions are remote definitions, not code.
    """
    await session.flush()
    await session.refresh(row, ["updated_at", "created_at"])
    code = current_code(row)
    if row.kind is ToolKind.PASSTHROUGH:
        report = None
    else:
        report = report or await analysis(session, row.server, code)
    return tool_out(row).model_copy(update={"code": code, "analysis": report})


async def analysis(session: AsyncSession, server: Server, code: str) -> CodeReport:
    """`code` analysed under the server's allow-lists and the global module list."""
    settings = await get_settings(session)
    modules = frozenset(settings.allowed_modules) | frozenset(server.allowed_modules)
    return analyze_code(code, allowed_modules=modules, allowed_hosts=server.allowed_hosts)


def code_field_errors(report: CodeReport) -> list[FieldError]:
    """The analysis errors that block saving, as problems of the `code` field."""
    return [FieldError("code", str(issue)) for issue in report.errors]


def current_version(row: Tool) -> ToolVersion:
    """The version whose code the tool has now (ConflictError for a row without code)."""
    if row.current_version is None:  # only a row written outside the forge lacks version 1
        raise ConflictError(f"tool {row.name!r} has no saved code; update it with code")
    return row.current_version


def current_code(row: Tool) -> str:
    return current_version(row).code


def version_number(version: ToolVersion | None) -> int | None:
    """The number of a version, None for no version (e.g. a tool never approved)."""
    return None if version is None else version.number


def state_text(row: Tool) -> str:
    """The status in words for messages: "pending review"."""
    return row.status.value.replace("_", " ")


def code_sha256(code: str) -> str:
    """What makes two saved codes the same version."""
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def event_data(row: Tool) -> dict[str, Any]:
    """The ids and names a tool event carries (small enough for NOTIFY)."""
    return {
        "server_id": row.server_id,
        "server": row.server.name,
        "tool_id": row.id,
        "tool": row.name,
    }
