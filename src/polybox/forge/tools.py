"""Tools of a server: create, read, update, delete, and checking code before it is saved.

Code that does not parse or has no async `main` is never saved; imports and hosts off the
allow-lists may be saved in a draft (they are reported) but must be allowed or requested before
publishing. Every change a client can see makes a version (`versions.py`) and resets approval
(`approvals.py`, which holds the state machine).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.events import EventKind
from polybox.forge.actors import Actor
from polybox.forge.approvals import after_change
from polybox.forge.code import analyze_code
from polybox.forge.errors import ConflictError, FieldError, InvalidInputError
from polybox.forge.names import code_problem, description_problem, name_problem
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.schemas import CodeReport, ToolOut
from polybox.forge.servers import find_server
from polybox.forge.sorting import ordering
from polybox.forge.tool_rows import (
    LOADED,
    analysis,
    code_field_errors,
    code_sha256,
    current_version,
    detailed,
    event_data,
    find_tool,
    tool_out,
)
from polybox.forge.unit import queue_event, record_activity
from polybox.forge.versions import add_version
from polybox.store.enums import ToolKind, ToolStatus
from polybox.store.models import Server, Tool

SORT_FIELDS = {
    "name": Tool.name,
    "status": Tool.status,
    "created_at": Tool.created_at,
    "updated_at": Tool.updated_at,
}


async def list_tools(
    session: AsyncSession,
    server: str | int,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    status: ToolStatus | None = None,
    sort: str | None = None,
) -> Page[ToolOut]:
    """A server's tools, by name unless `sort` names a SORT_FIELD, optionally of one state."""
    order = ordering(sort, SORT_FIELDS, default="name", tiebreak=Tool.id)
    owner = await find_server(session, server)
    query = select(Tool).where(Tool.server_id == owner.id).options(*LOADED).order_by(*order)
    if status is not None:
        query = query.where(Tool.status == status)
    return await paginate(session, query, tool_out, page=page, page_size=page_size)


async def get_tool(session: AsyncSession, server: str | int, tool: str | int) -> ToolOut:
    """The tool with its current code and that code's analysis under today's allow-lists."""
    row = await find_tool(session, server, tool)
    return await detailed(session, row)


async def create_tool(
    session: AsyncSession,
    actor: Actor,
    server: str | int,
    name: str,
    code: str,
    *,
    description: str | None = None,
) -> ToolOut:
    """A new draft tool at version 1 (approved at once in auto_approve mode).

    Every problem with the name, description and code is reported in one InvalidInputError;
    ConflictError when the server already has a tool of that name.
    """
    owner = await find_server(session, server)
    problems = _field_problems(name=name, description=description)
    report = await _checked_code(session, owner, code, problems)
    if problems:
        raise InvalidInputError.of_fields("cannot create the tool", problems)
    await _check_name_free(session, owner, name)
    row = Tool(server=owner, name=name, description=description or report.description or "")
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:  # created concurrently by another transaction
        raise _name_taken(owner, name) from None
    await add_version(session, actor, row, code, report)
    record_activity(session, actor, "tool.created", target_kind="tool", target_id=row.id)
    queue_event(session, EventKind.TOOL_ADDED, event_data(row))
    await after_change(session, actor, row, report)
    return await detailed(session, row, report)


async def update_tool(
    session: AsyncSession,
    actor: Actor,
    server: str | int,
    tool: str | int,
    *,
    code: str | None = None,
    description: str | None = None,
    name: str | None = None,
) -> ToolOut:
    """Change code, description and/or name; any real change resets approval (see the module).

    New code becomes a new version unless identical to the current code. When no description
    is given and the current one is the old docstring's first line, it follows the new docstring.
    """
    row = await find_tool(session, server, tool)
    if code is not None and row.kind is ToolKind.PASSTHROUGH:
        raise InvalidInputError.of_fields(
            "cannot update the tool",
            [
                FieldError(
                    "code",
                    f"tool {row.name!r} passes through an external source and has no code; "
                    "import it again (polybox_import_external_tools) to take the source's "
                    "current definition",
                )
            ],
        )
    problems = _field_problems(name=name, description=description)
    report = None if code is None else await _checked_code(session, row.server, code, problems)
    if problems:
        raise InvalidInputError.of_fields("cannot update the tool", problems)
    changed: list[str] = []
    if name is not None and name != row.name:
        await _check_name_free(session, row.server, name)
        row.name = name
        changed.append("name")
    old_code = current_version(row).code
    if code is not None and report is not None and code_sha256(code) != code_sha256(old_code):
        followed = _docstring(old_code) or ""
        await add_version(session, actor, row, code, report)
        changed.append("code")
        if description is None and row.description == followed and report.description:
            description = report.description
    if description is not None and description != row.description:
        row.description = description
        changed.append("description")
    if not changed:
        return await detailed(session, row, report)
    try:
        await session.flush()
    except IntegrityError:
        raise _name_taken(row.server, row.name) from None
    record_activity(
        session, actor, "tool.updated", target_kind="tool", target_id=row.id,
        details={"changed": changed},
    )  # fmt: skip
    queue_event(session, EventKind.TOOL_CHANGED, event_data(row))
    await after_change(session, actor, row, report)
    return await detailed(session, row, report)


async def delete_tool(
    session: AsyncSession, actor: Actor, server: str | int, tool: str | int
) -> None:
    """Delete a tool and its versions (its execution logs remain)."""
    row = await find_tool(session, server, tool)
    data = event_data(row)
    record_activity(
        session, actor, "tool.deleted", target_kind="tool", target_id=row.id,
        details={"server": row.server.name, "name": row.name},
    )  # fmt: skip
    queue_event(session, EventKind.TOOL_REMOVED, data)
    await session.delete(row)
    await session.flush()


async def validate_code(session: AsyncSession, server: str | int, code: str) -> CodeReport:
    """`code` analysed under the server's allow-lists without storing or running anything.

    InvalidInputError when the code is over the size limit (it is not analysed then).
    """
    owner = await find_server(session, server)
    too_big = code_problem("code", code)
    if too_big is not None:
        raise InvalidInputError.of_fields("the code cannot be checked", [too_big])
    return await analysis(session, owner, code)


async def _checked_code(
    session: AsyncSession, server: Server, code: str, problems: list[FieldError]
) -> CodeReport:
    """Analyse code to be saved, adding its size and blocking problems to `problems`."""
    too_big = code_problem("code", code)
    if too_big is not None:
        problems.append(too_big)
        return analyze_code("", allowed_modules=frozenset(), allowed_hosts=())
    report = await analysis(session, server, code)
    problems += code_field_errors(report)
    return report


def _field_problems(*, name: str | None, description: str | None) -> list[FieldError]:
    found = [
        None if name is None else name_problem("name", name),
        None if description is None else description_problem("description", description),
    ]
    return [problem for problem in found if problem is not None]


async def _check_name_free(session: AsyncSession, server: Server, name: str) -> None:
    taken = await session.scalar(
        select(Tool.id).where(Tool.server_id == server.id, Tool.name == name)
    )
    if taken is not None:
        raise _name_taken(server, name)


def _name_taken(server: Server, name: str) -> ConflictError:
    return ConflictError(
        f"server {server.name!r} already has a tool named {name!r}; choose another name or "
        "update that tool"
    )


def _docstring(code: str) -> str | None:
    return analyze_code(code, allowed_modules=frozenset(), allowed_hosts=()).description
