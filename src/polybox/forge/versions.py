"""Tool versions: every code change is one, with its author and time; diffs and rollback.

Versions are numbered from 1 per tool; saving code identical to the current code (same sha256)
is not a change and makes no version. A rollback makes an old version's code current again as a
new version authored "rollback", and resets approval like any change; a passthrough tool's
rollback restores an earlier remote definition (its snapshot, schemas and annotations).
"""

from __future__ import annotations

import difflib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.events import EventKind
from polybox.forge.actors import Actor
from polybox.forge.approvals import after_change
from polybox.forge.errors import ConflictError, InvalidInputError, NotFoundError
from polybox.forge.external.snapshots import annotations_of
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.schemas import (
    CodeReport,
    ToolDiffOut,
    ToolOut,
    ToolVersionDetailOut,
    ToolVersionOut,
)
from polybox.forge.tool_rows import (
    analysis,
    code_field_errors,
    code_sha256,
    current_version,
    detailed,
    event_data,
    find_tool,
)
from polybox.forge.unit import queue_event, record_activity
from polybox.store.enums import ToolKind, VersionAuthor
from polybox.store.models import Tool, ToolVersion


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
    current = current_version(row)
    return ToolVersionDetailOut(
        **_version_out(row, version).model_dump(),
        code=version.code,
        input_schema=version.input_schema,
        output_schema=version.output_schema,
        diff_against_current=unified_diff(
            version.code,
            current.code,
            old_name=f"version {version.number}",
            new_name=f"version {current.number} (current)",
        ),
    )


async def diff_tool_versions(
    session: AsyncSession, server: str | int, tool: str | int, old: int, new: int
) -> ToolDiffOut:
    """A unified diff from version `old`'s code to version `new`'s (empty when the code is equal).

    Either order works: a diff from a newer to an older version shows what a rollback would undo.
    """
    row = await find_tool(session, server, tool)
    before = await _find_version(session, row, old)
    after = await _find_version(session, row, new)
    return ToolDiffOut(
        server=row.server.name,
        tool=row.name,
        from_version=old,
        to_version=new,
        diff=unified_diff(
            before.code, after.code, old_name=f"version {old}", new_name=f"version {new}"
        ),
    )


def unified_diff(old: str, new: str, *, old_name: str, new_name: str) -> str:
    """The unified diff of two codes as one text, lines labelled with the version names."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=old_name,
        tofile=new_name,
    )
    return "".join(lines)


async def rollback_tool(
    session: AsyncSession, actor: Actor, server: str | int, tool: str | int, number: int
) -> ToolOut:
    """Make version `number`'s code current again, as a new version authored "rollback".

    Approval resets like any change. ConflictError when that code is already the current code.
    """
    row = await find_tool(session, server, tool)
    version = await _find_version(session, row, number)
    current = current_version(row)
    if version.code_sha256 == current.code_sha256:
        raise ConflictError(
            f"version {number} has the same code as the current version "
            f"{current.number}; nothing to roll back"
        )
    report = None
    if row.kind is ToolKind.PASSTHROUGH:  # a remote definition, not code: nothing to analyse
        await _append(session, row, _copy(version), annotations=annotations_of(version.code))
    else:
        report = await analysis(session, row.server, version.code)
        if report.errors:  # analysed fine when saved; refuse rather than store a broken schema
            raise InvalidInputError.of_fields(
                f"version {number} cannot be restored", code_field_errors(report)
            )
        await add_version(session, actor, row, version.code, report, author=VersionAuthor.ROLLBACK)
    row.description = version.description
    record_activity(
        session, actor, "tool.rolled_back", target_kind="tool", target_id=row.id,
        details={"to_version": number, "new_version": current_version(row).number},
    )  # fmt: skip
    queue_event(session, EventKind.TOOL_CHANGED, event_data(row))
    await after_change(session, actor, row, report)
    return await detailed(session, row, report)


async def add_version(
    session: AsyncSession,
    actor: Actor,
    row: Tool,
    code: str,
    report: CodeReport,
    *,
    author: VersionAuthor | None = None,
) -> None:
    """Append a version with `code` and make it current, with the schemas it declares."""
    version = ToolVersion(
        tool_id=row.id,
        code=code,
        code_sha256=code_sha256(code),
        description=row.description if report.description is None else report.description,
        input_schema=report.input_schema or {},
        output_schema=report.output_schema,
        author=author or actor.author,
    )
    await _append(session, row, version, annotations=report.annotations)


def _copy(version: ToolVersion) -> ToolVersion:
    """A new version with `version`'s content, authored "rollback"."""
    return ToolVersion(
        tool_id=version.tool_id,
        code=version.code,
        code_sha256=version.code_sha256,
        description=version.description,
        input_schema=version.input_schema,
        output_schema=version.output_schema,
        author=VersionAuthor.ROLLBACK,
    )


async def _append(
    session: AsyncSession, row: Tool, version: ToolVersion, *, annotations: dict[str, Any]
) -> None:
    """Number `version` next, store it and make it the tool's current version."""
    last = await session.scalar(
        select(func.max(ToolVersion.number)).where(ToolVersion.tool_id == row.id)
    )
    version.number = (last or 0) + 1
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
    row.annotations = annotations


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
