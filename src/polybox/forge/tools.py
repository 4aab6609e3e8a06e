"""Tools of a server: their code and versions, and the approval state machine.

States: draft -> pending_review (request_publish) -> approved | rejected; an admin may revoke an
approved tool back to pending_review. A change to anything a client sees (code, name, description,
input schema) and a rollback reset the tool to **draft**: the new content has not been reviewed,
and asking again is one call (`polybox_request_publish`). `approved_version` is set exactly when
the status is approved, and that version's code is what runs. With `tool_approval_mode =
auto_approve` every create, update, rollback and publish request approves at once (attributed to
the system), unless the code uses imports or hosts that are neither allowed nor requested.

Every code change is a version (numbered from 1 per tool, with its author); saving code identical
to the current code (same sha256) is not a change. Code that does not parse or has no async `main`
is never saved; imports and hosts off the allow-lists may be saved in a draft (they are reported)
but must be allowed or requested before publishing.
"""

from __future__ import annotations

import difflib
import hashlib
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from polybox.events import EventKind
from polybox.forge.actors import SYSTEM, Actor
from polybox.forge.code import analyze_code
from polybox.forge.errors import (
    ConflictError,
    FieldError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from polybox.forge.names import code_problem, description_problem, name_problem, public_tool_name
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.schemas import (
    CodeReport,
    ToolOut,
    ToolStatusOut,
    ToolVersionDetailOut,
    ToolVersionOut,
)
from polybox.forge.servers import find_server
from polybox.forge.settings import get_settings
from polybox.forge.unit import queue_event, record_activity
from polybox.store.enums import RequestStatus, ServerStatus, ToolStatus, VersionAuthor
from polybox.store.models import ModuleRequest, NetworkRequest, Server, Tool, ToolVersion

_LOADED = (
    selectinload(Tool.server),
    selectinload(Tool.current_version),
    selectinload(Tool.approved_version),
)


async def find_tool(session: AsyncSession, server: str | int, tool: str | int) -> Tool:
    """The tool row (server and versions loaded) by server name/id and tool name/id."""
    owner = await find_server(session, server)
    where = Tool.id == tool if isinstance(tool, int) else Tool.name == tool
    row = await session.scalar(
        select(Tool).where(Tool.server_id == owner.id, where).options(*_LOADED)
    )
    if row is None:
        raise NotFoundError(
            f"server {owner.name!r} has no tool {tool!r}; polybox_list_tools shows its tools"
        )
    return row


async def list_tools(
    session: AsyncSession,
    server: str | int,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    status: ToolStatus | None = None,
) -> Page[ToolOut]:
    """A server's tools by name, optionally only those in one approval state."""
    owner = await find_server(session, server)
    query = select(Tool).where(Tool.server_id == owner.id).options(*_LOADED).order_by(Tool.name)
    if status is not None:
        query = query.where(Tool.status == status)
    return await paginate(session, query, tool_out, page=page, page_size=page_size)


async def get_tool(session: AsyncSession, server: str | int, tool: str | int) -> ToolOut:
    """The tool with its current code and that code's analysis under today's allow-lists."""
    row = await find_tool(session, server, tool)
    return await _detailed(session, row)


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
    await _add_version(session, actor, row, code, report)
    record_activity(session, actor, "tool.created", target_kind="tool", target_id=row.id)
    queue_event(session, EventKind.TOOL_ADDED, _event_data(row))
    await _after_change(session, row, report)
    return await _detailed(session, row, report)


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
    problems = _field_problems(name=name, description=description)
    report = None if code is None else await _checked_code(session, row.server, code, problems)
    if problems:
        raise InvalidInputError.of_fields("cannot update the tool", problems)
    changed: list[str] = []
    if name is not None and name != row.name:
        await _check_name_free(session, row.server, name)
        row.name = name
        changed.append("name")
    old_code = _current(row).code
    if code is not None and report is not None and _sha256(code) != _sha256(old_code):
        followed = _docstring(old_code) or ""
        await _add_version(session, actor, row, code, report)
        changed.append("code")
        if description is None and row.description == followed and report.description:
            description = report.description
    if description is not None and description != row.description:
        row.description = description
        changed.append("description")
    if not changed:
        return await _detailed(session, row, report)
    try:
        await session.flush()
    except IntegrityError:
        raise _name_taken(row.server, row.name) from None
    record_activity(
        session, actor, "tool.updated", target_kind="tool", target_id=row.id,
        details={"changed": changed},
    )  # fmt: skip
    queue_event(session, EventKind.TOOL_CHANGED, _event_data(row))
    await _after_change(session, row, report)
    return await _detailed(session, row, report)


async def delete_tool(
    session: AsyncSession, actor: Actor, server: str | int, tool: str | int
) -> None:
    """Delete a tool and its versions (its execution logs remain)."""
    row = await find_tool(session, server, tool)
    data = _event_data(row)
    record_activity(
        session, actor, "tool.deleted", target_kind="tool", target_id=row.id,
        details={"server": row.server.name, "name": row.name},
    )  # fmt: skip
    queue_event(session, EventKind.TOOL_REMOVED, data)
    await session.delete(row)
    await session.flush()


async def list_tool_versions(
    session: AsyncSession,
    server: str | int,
    tool: str | int,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[ToolVersionOut]:
    """A tool's versions, newest first."""
    row = await find_tool(session, server, tool)
    query = (
        select(ToolVersion).where(ToolVersion.tool_id == row.id).order_by(ToolVersion.number.desc())
    )
    return await paginate(
        session, query, lambda version: _version_out(row, version), page=page, page_size=page_size
    )


async def get_tool_version(
    session: AsyncSession, server: str | int, tool: str | int, number: int
) -> ToolVersionDetailOut:
    """One version's code and schemas, with a unified diff from it to the current code."""
    row = await find_tool(session, server, tool)
    version = await _find_version(session, row, number)
    current = _current(row)
    diff = difflib.unified_diff(
        version.code.splitlines(keepends=True),
        current.code.splitlines(keepends=True),
        fromfile=f"version {version.number}",
        tofile=f"version {current.number} (current)",
    )
    return ToolVersionDetailOut(
        **_version_out(row, version).model_dump(),
        code=version.code,
        input_schema=version.input_schema,
        output_schema=version.output_schema,
        diff_against_current="".join(diff),
    )


async def rollback_tool(
    session: AsyncSession, actor: Actor, server: str | int, tool: str | int, number: int
) -> ToolOut:
    """Make version `number`'s code current again, as a new version authored "rollback".

    Approval resets like any change. ConflictError when that code is already the current code.
    """
    row = await find_tool(session, server, tool)
    version = await _find_version(session, row, number)
    current = _current(row)
    if version.code_sha256 == current.code_sha256:
        raise ConflictError(
            f"version {number} has the same code as the current version "
            f"{current.number}; nothing to roll back"
        )
    report = await _analysis(session, row.server, version.code)
    if report.errors:  # analysed fine when saved; refuse rather than store a broken schema
        raise InvalidInputError.of_fields(
            f"version {number} cannot be restored", _code_fields(report)
        )
    await _add_version(session, actor, row, version.code, report, author=VersionAuthor.ROLLBACK)
    row.description = version.description
    record_activity(
        session, actor, "tool.rolled_back", target_kind="tool", target_id=row.id,
        details={"to_version": number, "new_version": _current(row).number},
    )  # fmt: skip
    queue_event(session, EventKind.TOOL_CHANGED, _event_data(row))
    await _after_change(session, row, report)
    return await _detailed(session, row, report)


# --- approval ---------------------------------------------------------------------------------


async def request_publish(
    session: AsyncSession, actor: Actor, server: str | int, tool: str | int
) -> ToolOut:
    """Ask an admin to review a draft or rejected tool (approved at once in auto_approve mode).

    ConflictError when the code imports modules or reaches hosts that are neither allowed nor
    requested (each listed with how to request it), or when the tool is already approved.
    Asking again while pending changes nothing.
    """
    row = await find_tool(session, server, tool)
    if row.status is ToolStatus.APPROVED:
        raise ConflictError(f"tool {row.name!r} is already approved")
    if row.status is ToolStatus.PENDING_REVIEW:
        return await _detailed(session, row)
    report = await _analysis(session, row.server, _current_code(row))
    missing = await _unrequested(session, row.server, report)
    if missing:
        raise ConflictError(
            f"tool {row.name!r} cannot be published yet: " + "; ".join(missing),
        )
    settings = await get_settings(session)
    if settings.tool_approval_mode == "auto_approve":
        _transition(session, SYSTEM, row, ToolStatus.APPROVED, "tool.auto_approved")
    else:
        _transition(session, actor, row, ToolStatus.PENDING_REVIEW, "tool.publish_requested")
    await session.flush()
    return await _detailed(session, row, report)


async def approve_tool(
    session: AsyncSession, actor: Actor, server: str | int, tool: str | int, note: str | None = None
) -> ToolOut:
    """Approve the current version of a tool pending review (admins only)."""
    return await _decide(session, actor, server, tool, ToolStatus.APPROVED, note=note)


async def reject_tool(
    session: AsyncSession, actor: Actor, server: str | int, tool: str | int, note: str
) -> ToolOut:
    """Reject a tool pending review with a note saying what to change (admins only)."""
    return await _decide(session, actor, server, tool, ToolStatus.REJECTED, note=note)


async def revoke_tool(
    session: AsyncSession, actor: Actor, server: str | int, tool: str | int, note: str | None = None
) -> ToolOut:
    """Withdraw an approval: the tool leaves clients' lists and is pending review again."""
    _require_admin(actor, "revoke an approval")
    row = await find_tool(session, server, tool)
    if row.status is not ToolStatus.APPROVED:
        raise ConflictError(
            f"tool {row.name!r} is {_state(row)}; only approved tools can be revoked"
        )
    _check_note(note)
    _transition(session, actor, row, ToolStatus.PENDING_REVIEW, "tool.revoked", note=note)
    await session.flush()
    return await _detailed(session, row)


async def set_tool_enabled(
    session: AsyncSession, actor: Actor, server: str | int, tool: str | int, enabled: bool
) -> ToolOut:
    """Hide (or show again) an approved tool without touching its approval (admins only)."""
    _require_admin(actor, "enable or disable a tool")
    row = await find_tool(session, server, tool)
    if row.enabled != enabled:
        row.enabled = enabled
        action = "tool.enabled" if enabled else "tool.disabled"
        record_activity(session, actor, action, target_kind="tool", target_id=row.id)
        queue_event(session, EventKind.TOOL_CHANGED, _event_data(row))
        await session.flush()
    return await _detailed(session, row)


async def get_tool_status(
    session: AsyncSession, server: str | int, tool: str | int
) -> ToolStatusOut:
    """Whether clients can call the tool now and, if not, every reason why."""
    row = await find_tool(session, server, tool)
    report = await _analysis(session, row.server, _current_code(row))
    blockers = []
    if row.status is not ToolStatus.APPROVED:
        blockers.append(f"the tool is {_state(row)}, not approved")
    if not row.enabled:
        blockers.append("an admin disabled the tool")
    if row.server.status is not ServerStatus.RUNNING:
        blockers.append(f"server {row.server.name!r} is stopped")
    return ToolStatusOut(
        server=row.server.name,
        tool=row.name,
        public_name=public_tool_name(row.server.name, row.name),
        status=row.status,
        enabled=row.enabled,
        server_status=row.server.status,
        current_version=_number(row.current_version),
        approved_version=_number(row.approved_version),
        review_note=row.review_note,
        callable=not blockers,
        blockers=blockers,
        disallowed_imports=report.disallowed_imports,
        disallowed_hosts=report.disallowed_hosts,
    )


async def validate_code(session: AsyncSession, server: str | int, code: str) -> CodeReport:
    """`code` analysed under the server's allow-lists without storing or running anything.

    InvalidInputError when the code is over the size limit (it is not analysed then).
    """
    owner = await find_server(session, server)
    too_big = code_problem("code", code)
    if too_big is not None:
        raise InvalidInputError.of_fields("the code cannot be checked", [too_big])
    return await _analysis(session, owner, code)


# --- shared steps -----------------------------------------------------------------------------


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
        current_version=_number(row.current_version),
        approved_version=_number(row.approved_version),
        review_note=row.review_note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _detailed(session: AsyncSession, row: Tool, report: CodeReport | None = None) -> ToolOut:
    await session.flush()
    await session.refresh(row, ["updated_at", "created_at"])
    code = _current_code(row)
    report = report or await _analysis(session, row.server, code)
    return tool_out(row).model_copy(update={"code": code, "analysis": report})


async def _analysis(session: AsyncSession, server: Server, code: str) -> CodeReport:
    """`code` analysed under the server's allow-lists and the global module list."""
    settings = await get_settings(session)
    modules = frozenset(settings.allowed_modules) | frozenset(server.allowed_modules)
    return analyze_code(code, allowed_modules=modules, allowed_hosts=server.allowed_hosts)


async def _checked_code(
    session: AsyncSession, server: Server, code: str, problems: list[FieldError]
) -> CodeReport:
    """Analyse code to be saved, adding its size and blocking problems to `problems`."""
    too_big = code_problem("code", code)
    if too_big is not None:
        problems.append(too_big)
        return analyze_code("", allowed_modules=frozenset(), allowed_hosts=())
    report = await _analysis(session, server, code)
    problems += _code_fields(report)
    return report


def _code_fields(report: CodeReport) -> list[FieldError]:
    return [FieldError("code", str(issue)) for issue in report.errors]


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


async def _add_version(
    session: AsyncSession,
    actor: Actor,
    row: Tool,
    code: str,
    report: CodeReport,
    *,
    author: VersionAuthor | None = None,
) -> None:
    """Append a version with `code` and make it current, with the schemas it declares."""
    last = await session.scalar(
        select(func.max(ToolVersion.number)).where(ToolVersion.tool_id == row.id)
    )
    version = ToolVersion(
        tool_id=row.id,
        number=(last or 0) + 1,
        code=code,
        code_sha256=_sha256(code),
        description=row.description if report.description is None else report.description,
        input_schema=report.input_schema or {},
        output_schema=report.output_schema,
        author=author or actor.author,
    )
    session.add(version)
    try:
        await session.flush()
    except IntegrityError:  # another transaction took this number
        raise ConflictError(
            f"tool {row.name!r} was changed at the same time by someone else; try again"
        ) from None
    row.current_version = version
    row.input_schema = version.input_schema
    row.output_schema = version.output_schema
    row.annotations = report.annotations


async def _after_change(session: AsyncSession, row: Tool, report: CodeReport | None) -> None:
    """After a client-visible change: approve in auto_approve mode, else back to draft."""
    settings = await get_settings(session)
    if settings.tool_approval_mode == "auto_approve":
        report = report or await _analysis(session, row.server, _current_code(row))
        if not await _unrequested(session, row.server, report):
            _transition(session, SYSTEM, row, ToolStatus.APPROVED, "tool.auto_approved")
            await session.flush()
            return
    if row.status is not ToolStatus.DRAFT:
        _transition(session, SYSTEM, row, ToolStatus.DRAFT, "tool.approval_reset")
    await session.flush()


async def _decide(
    session: AsyncSession,
    actor: Actor,
    server: str | int,
    tool: str | int,
    status: ToolStatus,
    *,
    note: str | None,
) -> ToolOut:
    verb = "approve" if status is ToolStatus.APPROVED else "reject"
    _require_admin(actor, f"{verb} tools")
    row = await find_tool(session, server, tool)
    if row.status is not ToolStatus.PENDING_REVIEW:
        raise ConflictError(
            f"tool {row.name!r} is {_state(row)}; only tools pending review can be {verb}d "
            "(polybox_request_publish submits a tool)"
        )
    _check_note(note)
    _transition(session, actor, row, status, f"tool.{verb}d", note=note)
    await session.flush()
    return await _detailed(session, row)


def _transition(
    session: AsyncSession,
    actor: Actor,
    row: Tool,
    status: ToolStatus,
    action: str,
    *,
    note: str | None = None,
) -> None:
    """Move `row` to `status` (approved pins the current version), with its record and event."""
    before = row.status
    row.status = status
    row.approved_version = row.current_version if status is ToolStatus.APPROVED else None
    row.review_note = note
    record_activity(
        session, actor, action, target_kind="tool", target_id=row.id,
        details={"from": before.value, "to": status.value, "version": _number(row.current_version),
                 "note": note},
    )  # fmt: skip
    queue_event(session, EventKind.APPROVAL_CHANGED, _event_data(row) | {"status": status.value})


async def _unrequested(session: AsyncSession, server: Server, report: CodeReport) -> list[str]:
    """The disallowed imports and hosts of `report` with no pending request, as instructions."""
    missing = []
    if report.disallowed_imports:
        asked = set(
            await session.scalars(
                select(ModuleRequest.module).where(
                    ModuleRequest.status == RequestStatus.PENDING,
                    or_(ModuleRequest.server_id == server.id, ModuleRequest.server_id.is_(None)),
                )
            )
        )
        missing += [
            f"module {module!r} is not allowed; ask for it with polybox_request_module"
            for module in report.disallowed_imports
            if not any(module == entry or module.startswith(entry + ".") for entry in asked)
        ]
    if report.disallowed_hosts:
        requests = await session.execute(
            select(NetworkRequest.host, NetworkRequest.port).where(
                NetworkRequest.server_id == server.id,
                NetworkRequest.status == RequestStatus.PENDING,
            )
        )
        asked = set()
        for host, port in requests.all():
            shown = f"[{host}]" if ":" in host else host
            asked.add(shown if port is None else f"{shown}:{port}")
        missing += [
            f"host {host!r} is not allowed; ask for it with polybox_request_network_access"
            for host in report.disallowed_hosts
            if host not in asked
        ]
    return missing


def _require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise ForbiddenError(
            f"only an admin can {what}; polybox_request_publish asks an admin to review a tool"
        )


def _check_note(note: str | None) -> None:
    problem = None if note is None else description_problem("note", note)
    if problem is not None:
        raise InvalidInputError.of_fields("invalid review note", [problem])


async def _find_version(session: AsyncSession, row: Tool, number: int) -> ToolVersion:
    version = await session.scalar(
        select(ToolVersion).where(ToolVersion.tool_id == row.id, ToolVersion.number == number)
    )
    if version is None:
        raise NotFoundError(
            f"tool {row.name!r} has no version {number}; polybox_list_tool_versions lists them"
        )
    return version


def _version_out(row: Tool, version: ToolVersion) -> ToolVersionOut:
    return ToolVersionOut(
        number=version.number,
        author=version.author,
        code_sha256=version.code_sha256,
        description=version.description,
        created_at=version.created_at,
        is_current=version.id == row.current_version_id,
        is_approved=version.id == row.approved_version_id,
    )


def _current(row: Tool) -> ToolVersion:
    if row.current_version is None:  # only a row written outside the forge lacks version 1
        raise ConflictError(f"tool {row.name!r} has no saved code; update it with code")
    return row.current_version


def _current_code(row: Tool) -> str:
    return _current(row).code


def _docstring(code: str) -> str | None:
    return analyze_code(code, allowed_modules=frozenset(), allowed_hosts=()).description


def _number(version: ToolVersion | None) -> int | None:
    return None if version is None else version.number


def _state(row: Tool) -> str:
    return row.status.value.replace("_", " ")


def _sha256(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def _event_data(row: Tool) -> dict[str, Any]:
    return {
        "server_id": row.server_id,
        "server": row.server.name,
        "tool_id": row.id,
        "tool": row.name,
    }
