"""Discovering a source's tools and importing them as passthrough tools of the server.

An imported tool is a tool like any other: `<server>__<name>` on MCP, listed, logged, and callable
only once an admin approved it. Its versions are snapshots of the remote definition (name,
description, schemas, annotations), kept as a comment block so nothing mistakes them for code; a
re-import whose snapshot differs is a new version and needs approval again, so an upstream change
never reaches clients unreviewed. Importing asks for review at once (the import is the request);
in auto_approve mode the tools are approved at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import mcp_types as types
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.events import EventBus, EventKind
from polybox.forge.actors import Actor
from polybox.forge.approvals import after_change, request_publish
from polybox.forge.errors import ConflictError, FieldError, InvalidInputError, UnavailableError
from polybox.forge.external.gateway import SourceError, SourceGateway
from polybox.forge.external.schemas import DiscoveryOut, ImportOut, RemoteToolOut
from polybox.forge.external.snapshots import remote_annotations, snapshot
from polybox.forge.external.sources import find_source
from polybox.forge.external.targets import RemoteTarget
from polybox.forge.names import NAME_PATTERN, SEPARATOR, description_problem, name_problem
from polybox.forge.plans import ServerRun, server_run
from polybox.forge.servers import find_server
from polybox.forge.tool_rows import LOADED, code_sha256, detailed, event_data
from polybox.forge.unit import queue_event, record_activity, transaction
from polybox.store.enums import ToolKind, ToolStatus
from polybox.store.models import Tool, ToolVersion

_NOT_NAME = re.compile(r"[^a-z0-9_]+")


async def discover_tools(
    sessions: async_sessionmaker[AsyncSession],
    gateway: SourceGateway,
    server: str | int,
    source: str | int,
) -> DiscoveryOut:
    """The tools the source lists now, with the local names an import would give them."""
    target, run, imported = await _resolve(sessions, gateway, server, source)
    remote = await _remote_tools(sessions, gateway, target, run)
    return DiscoveryOut(
        source=target.source,
        tools=[_remote_out(tool, imported) for tool in remote],
    )


async def import_tools(
    sessions: async_sessionmaker[AsyncSession],
    events: EventBus | None,
    actor: Actor,
    gateway: SourceGateway,
    *,
    server: str | int,
    source: str | int,
    tools: Sequence[str],
    names: Mapping[str, str] | None = None,
) -> ImportOut:
    """Import (or refresh) the named remote tools; each goes to review unless auto-approved.

    `names` maps a remote name to the local name to use instead of the derived one. Every
    problem (unknown tool, bad or taken name) is reported at once and nothing is written.
    """
    names = dict(names or {})
    target, run, _ = await _resolve(sessions, gateway, server, source)
    remote = {tool.name: tool for tool in await _remote_tools(sessions, gateway, target, run)}
    problems = [
        FieldError("tools", f"the source has no tool {name!r}; discover its tools first")
        for name in tools
        if name not in remote
    ]
    problems += [
        FieldError("names", f"{name!r} is not among the tools to import")
        for name in names
        if name not in tools
    ]
    chosen = {name: names.get(name) or local_name(name) for name in tools if name in remote}
    problems += [
        problem
        for remote_name, local in chosen.items()
        if (problem := name_problem(f"names.{remote_name}", local)) is not None
    ]
    problems += [
        problem
        for name in chosen
        if (problem := description_problem(name, remote[name].description or "")) is not None
    ]
    if problems or not tools:
        problems = problems or [FieldError("tools", "name at least one tool to import")]
        raise InvalidInputError.of_fields("cannot import the tools", problems)
    async with transaction(sessions, events) as session:
        owner = await find_server(session, server)
        row_source = await find_source(session, owner, target.source_id)
        imported = []
        for remote_name, local in chosen.items():
            row = await _upsert(
                session, actor, server_id=owner.id, source_id=row_source.id, name=local,
                remote=remote[remote_name],
            )  # fmt: skip
            imported.append(await detailed(session, row))
        record_activity(
            session, actor, "external_source.tools_imported", target_kind="external_source",
            target_id=row_source.id, details={"tools": sorted(chosen.values())},
        )  # fmt: skip
    return ImportOut(source=target.source, tools=imported)


def local_name(remote_name: str) -> str:
    """A valid tool name derived from a remote one: `getWeather` -> `getweather`, `a-b` -> `a_b`."""
    name = _NOT_NAME.sub("_", remote_name.lower())
    while SEPARATOR in name:
        name = name.replace(SEPARATOR, "_")
    name = name.strip("_")
    if not name or not name[0].isalpha():
        name = f"tool_{name}".rstrip("_")
    name = name[:48].rstrip("_")
    return name if NAME_PATTERN.fullmatch(name) else "tool"


async def _upsert(
    session: AsyncSession,
    actor: Actor,
    *,
    server_id: int,
    source_id: int,
    name: str,
    remote: types.Tool,
) -> Tool:
    """Create the passthrough tool or add a version when the remote definition changed."""
    row = await session.scalar(
        select(Tool).where(Tool.server_id == server_id, Tool.name == name).options(*LOADED)
    )
    if row is not None and (row.kind is not ToolKind.PASSTHROUGH or row.remote_name != remote.name):
        raise ConflictError(
            f"the server already has a tool named {name!r}; import {remote.name!r} under another "
            "name (names)"
        )
    text = snapshot(remote)
    current = None if row is None else row.current_version
    if row is not None and current is not None and current.code_sha256 == code_sha256(text):
        return row  # unchanged upstream: nothing to review again
    created = row is None
    if row is None:
        row = Tool(
            server_id=server_id,
            name=name,
            kind=ToolKind.PASSTHROUGH,
            external_source_id=source_id,
            remote_name=remote.name,
        )
        session.add(row)
        await session.flush()
        await session.refresh(row, ["server", "current_version", "approved_version"])
    row.external_source_id = source_id
    await _add_snapshot(session, actor, row, remote, text)
    action = "tool.imported" if created else "tool.reimported"
    record_activity(session, actor, action, target_kind="tool", target_id=row.id)
    kind = EventKind.TOOL_ADDED if created else EventKind.TOOL_CHANGED
    queue_event(session, kind, event_data(row))
    await after_change(session, actor, row, None)
    if row.status is ToolStatus.DRAFT:
        await request_publish(session, actor, server_id, row.id)
    return row


async def _add_snapshot(
    session: AsyncSession, actor: Actor, row: Tool, remote: types.Tool, text: str
) -> None:
    last = await session.scalar(
        select(func.max(ToolVersion.number)).where(ToolVersion.tool_id == row.id)
    )
    version = ToolVersion(
        tool_id=row.id,
        number=(last or 0) + 1,
        code=text,
        code_sha256=code_sha256(text),
        description=remote.description or "",
        input_schema=dict(remote.input_schema),
        output_schema=None if remote.output_schema is None else dict(remote.output_schema),
        author=actor.author,
    )
    session.add(version)
    await session.flush()
    row.current_version = version
    row.description = version.description
    row.input_schema = version.input_schema
    row.output_schema = version.output_schema
    row.annotations = remote_annotations(remote)


async def _resolve(
    sessions: async_sessionmaker[AsyncSession],
    gateway: SourceGateway,
    server: str | int,
    source: str | int,
) -> tuple[RemoteTarget, ServerRun, dict[str, str]]:
    """The source's target, its server's run policy and {remote name: local name} imported."""
    async with sessions() as session:
        owner = await find_server(session, server)
        row = await find_source(session, owner, source)
        run = await server_run(session, gateway.secret_box, gateway.settings, owner)
        imported = await session.execute(
            select(Tool.remote_name, Tool.name).where(Tool.external_source_id == row.id)
        )
        return (
            RemoteTarget.of(row, remote_name=""),
            run,
            {remote: local for remote, local in imported.all() if remote is not None},
        )


async def _remote_tools(
    sessions: async_sessionmaker[AsyncSession],
    gateway: SourceGateway,
    target: RemoteTarget,
    run: ServerRun,
) -> list[types.Tool]:
    try:
        return await gateway.list_tools(sessions, target, run)
    except TimeoutError:
        raise UnavailableError(
            f"external source {target.source!r} did not list its tools in {gateway.timeout:g} s"
        ) from None
    except SourceError as exc:
        raise UnavailableError(str(exc)) from None


def _remote_out(tool: types.Tool, imported: Mapping[str, str]) -> RemoteToolOut:
    return RemoteToolOut(
        remote_name=tool.name,
        local_name=imported.get(tool.name) or local_name(tool.name),
        description=tool.description or "",
        input_schema=dict(tool.input_schema),
        output_schema=None if tool.output_schema is None else dict(tool.output_schema),
        imported=tool.name in imported,
    )
