"""The approval state machine of tools, and what decides whether clients can call one.

States: draft -> pending_review (request_publish) -> approved | rejected; an admin may revoke an
approved tool back to pending_review. A change to anything a client sees (code, name, description,
input schema) and a rollback reset the approval (`after_change`): the new content has not been
reviewed. An LLM's change makes the tool a **draft** again (asking is one call,
`polybox_request_publish`); an admin's change (a rollback from the UI, say) puts it straight into
review, where an admin approves it next to its diff. `approved_version` is set
exactly when the status is approved, and that version's code is what runs. With
`tool_approval_mode = auto_approve` every create, update, rollback and publish request approves
at once (attributed to the system), unless the code uses imports or hosts that are neither
allowed nor requested. Only admins decide, revoke, enable or disable.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.events import EventKind
from polybox.forge.actors import SYSTEM, Actor
from polybox.forge.allowlists import PRIVATE_HOST_HELP, is_private_entry
from polybox.forge.errors import ConflictError, ForbiddenError, InvalidInputError
from polybox.forge.names import description_problem, public_tool_name
from polybox.forge.schemas import CodeReport, ToolOut, ToolStatusOut
from polybox.forge.settings import get_settings
from polybox.forge.tool_rows import (
    analysis,
    current_code,
    detailed,
    event_data,
    find_tool,
    state_text,
    version_number,
)
from polybox.forge.unit import queue_event, record_activity
from polybox.store.enums import RequestStatus, ServerStatus, ToolStatus
from polybox.store.models import ModuleRequest, NetworkRequest, Server, Tool


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
        return await detailed(session, row)
    report = await analysis(session, row.server, current_code(row))
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
    return await detailed(session, row, report)


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
            f"tool {row.name!r} is {state_text(row)}; only approved tools can be revoked"
        )
    _check_note(note)
    _transition(session, actor, row, ToolStatus.PENDING_REVIEW, "tool.revoked", note=note)
    await session.flush()
    return await detailed(session, row)


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
        queue_event(session, EventKind.TOOL_CHANGED, event_data(row))
        await session.flush()
    return await detailed(session, row)


async def get_tool_status(
    session: AsyncSession, server: str | int, tool: str | int
) -> ToolStatusOut:
    """Whether clients can call the tool now and, if not, every reason why."""
    row = await find_tool(session, server, tool)
    report = await analysis(session, row.server, current_code(row))
    blockers = []
    if row.status is not ToolStatus.APPROVED:
        blockers.append(f"the tool is {state_text(row)}, not approved")
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
        current_version=version_number(row.current_version),
        approved_version=version_number(row.approved_version),
        review_note=row.review_note,
        callable=not blockers,
        blockers=blockers,
        disallowed_imports=report.disallowed_imports,
        disallowed_hosts=report.disallowed_hosts,
    )


async def after_change(
    session: AsyncSession, actor: Actor, row: Tool, report: CodeReport | None
) -> None:
    """After a client-visible change: approve in auto_approve mode; otherwise an admin's change
    waits for review at once (it shows in Approvals, next to its diff) and an LLM's goes back to
    draft until the LLM asks. Code that needs unrequested imports or hosts always goes to draft."""
    settings = await get_settings(session)
    auto = settings.tool_approval_mode == "auto_approve"
    if auto or actor.is_admin:
        report = report or await analysis(session, row.server, current_code(row))
        if not await _unrequested(session, row.server, report):
            if auto:
                _transition(session, SYSTEM, row, ToolStatus.APPROVED, "tool.auto_approved")
            elif row.status is not ToolStatus.PENDING_REVIEW:
                _transition(session, actor, row, ToolStatus.PENDING_REVIEW, "tool.review_requested")
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
            f"tool {row.name!r} is {state_text(row)}; only tools pending review can be {verb}d "
            "(polybox_request_publish submits a tool)"
        )
    _check_note(note)
    _transition(session, actor, row, status, f"tool.{verb}d", note=note)
    await session.flush()
    return await detailed(session, row)


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
    version = version_number(row.current_version)
    record_activity(
        session, actor, action, target_kind="tool", target_id=row.id,
        details={"from": before.value, "to": status.value, "version": version, "note": note},
    )  # fmt: skip
    queue_event(session, EventKind.APPROVAL_CHANGED, event_data(row) | {"status": status.value})


_ASK_FOR_HOST = "ask for it with polybox_request_network_access"


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
            f"host {host!r} is not allowed; "
            + (PRIVATE_HOST_HELP if is_private_entry(host) else _ASK_FOR_HOST)
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
