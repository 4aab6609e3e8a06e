"""Import: rebuild the servers of an export document, all of them or none.

Everything is checked before the first row is written (`checks.read_document`, then names taken
in this store), and the rows are written in the caller's one transaction, so a refused or failing
import leaves the store as it was.

What carries over depends on where the file comes from:
- signed by this instance: everything as exported — tool states, the approved version, enabled
  flags and whether each server was running;
- from another instance (imported with explicit trust): code, versions and allow-lists, but no
  approval: an approved tool lands **pending review** (its note names the version that was
  approved there) and every server lands **stopped**, so nothing foreign runs before an admin
  of this instance has reviewed it.
Secrets arrive as placeholders without values; external sources arrive without credentials, and
their URLs must pass the egress policy their server will have here (the check adding a source
runs), or nothing is imported.
Code tools' schemas are derived again from each version's code, never taken from the file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.crypto import SecretBox
from polybox.events import EventKind
from polybox.forge.actors import Actor
from polybox.forge.code import analyze_code
from polybox.forge.errors import ConflictError, FieldError, ForbiddenError, InvalidInputError
from polybox.forge.external.gateway import SourceGateway
from polybox.forge.plans import egress_policy
from polybox.forge.schemas import CodeReport, Out
from polybox.forge.settings import ForgeSettings, get_settings
from polybox.forge.tool_rows import code_sha256, event_data
from polybox.forge.transfer.checks import read_document
from polybox.forge.transfer.document import RequestDoc, ServerDoc, ToolDoc, VersionDoc
from polybox.forge.transfer.signing import ExportSigner
from polybox.forge.unit import queue_event, record_activity
from polybox.sandbox.egress import EgressError
from polybox.store.enums import ServerStatus, ToolKind, ToolStatus
from polybox.store.models import (
    ExternalSource,
    ModuleRequest,
    NetworkRequest,
    Server,
    ServerSecret,
    Tool,
    ToolVersion,
)


class ImportedServer(Out):
    id: int
    name: str
    status: ServerStatus
    tools: dict[str, ToolStatus]  # name -> state after the import
    versions: int
    secrets_to_set: list[str]  # placeholder keys: the values were not exported


class ImportResult(Out):
    """What an import created."""

    same_instance: bool  # signed by this instance: states carried over as exported
    servers: list[ImportedServer]


async def import_document(
    session: AsyncSession,
    actor: Actor,
    box: SecretBox,
    raw: Any,
    *,
    gateway: SourceGateway,
    trust: bool = False,
) -> ImportResult:
    """Create the servers of export document `raw` (parsed JSON); admins only.

    `gateway` checks the external sources' URLs (as adding a source does).
    InvalidInputError (not an export, a newer format, schema, names, code, a source URL the
    egress policy refuses), ForbiddenError
    (tampered, or foreign without `trust`), ConflictError (a name used twice in the file or
    already taken here; every one is named). Nothing is written unless all of it is.
    """
    if not actor.is_admin:
        raise ForbiddenError("only an admin can import servers")
    signer = ExportSigner(box)
    checked = read_document(signer, raw, trust=trust)
    servers = checked.document.payload.servers
    await _check_names_free(session, [server.name for server in servers])
    forge = await get_settings(session)
    reports = _analyses(servers, frozenset(forge.allowed_modules))
    await _check_sources(gateway, forge, servers)
    origin = {
        "origin": "this instance" if checked.same_instance else "another instance",
        "key_fingerprint": checked.document.key_fingerprint,
    }
    imported = []
    try:
        for server in servers:
            result = await _write_server(session, server, reports, keep=checked.same_instance)
            record_activity(
                session, actor, "server.imported", target_kind="server", target_id=result.id,
                details={"tools": len(result.tools), "versions": result.versions, **origin},
            )  # fmt: skip
            imported.append(result)
        await session.flush()
    except IntegrityError:  # a server of that name was created meanwhile
        raise ConflictError("a server of the file was created meanwhile; import again") from None
    return ImportResult(same_instance=checked.same_instance, servers=imported)


async def _check_names_free(session: AsyncSession, names: list[str]) -> None:
    taken = sorted((await session.scalars(select(Server.name).where(Server.name.in_(names)))).all())
    if taken:
        listed = ", ".join(repr(name) for name in taken)
        raise ConflictError(
            f"server {listed} already exists here; delete or rename it first (nothing was imported)"
            if len(taken) == 1
            else f"servers {listed} already exist here; delete or rename them first "
            "(nothing was imported)"
        )


VersionKey = tuple[str, str, int]  # server, tool, version number


def _analyses(
    servers: list[ServerDoc], global_modules: frozenset[str]
) -> dict[VersionKey, CodeReport]:
    """Each code tool version's analysis; InvalidInputError naming every version that fails."""
    reports: dict[VersionKey, CodeReport] = {}
    problems: list[FieldError] = []
    for server in servers:
        modules = global_modules | frozenset(server.allowed_modules)
        for tool in server.tools:
            if tool.kind is not ToolKind.CODE:
                continue
            for version in tool.versions:
                report = analyze_code(
                    version.code, allowed_modules=modules, allowed_hosts=server.allowed_hosts
                )
                where = f"server {server.name!r}, tool {tool.name!r}, version {version.number}"
                problems += [FieldError(where, str(issue)) for issue in report.errors]
                reports[server.name, tool.name, version.number] = report
    if problems:
        raise InvalidInputError.of_fields("the file holds code that cannot be saved", problems)
    return reports


async def _check_sources(
    gateway: SourceGateway, forge: ForgeSettings, servers: list[ServerDoc]
) -> None:
    """InvalidInputError naming every external source whose URL the egress policy refuses."""
    problems: list[FieldError] = []
    for server in servers:
        policy = egress_policy(gateway.settings, forge, server.allowed_hosts)
        for source in server.external_sources:
            try:
                await gateway.check_url(source.url, policy)
            except EgressError as exc:
                where = f"server {server.name!r}, external source {source.name!r}"
                problems.append(FieldError(where, str(exc)))
    if problems:
        raise InvalidInputError.of_fields(
            "the file holds external sources this instance's egress policy refuses (nothing was "
            "imported)",
            problems,
        )


async def _write_server(
    session: AsyncSession,
    doc: ServerDoc,
    reports: dict[VersionKey, CodeReport],
    *,
    keep: bool,
) -> ImportedServer:
    row = Server(
        name=doc.name,
        description=doc.description,
        status=doc.status if keep else ServerStatus.STOPPED,
        allowed_hosts=sorted(set(doc.allowed_hosts)),
        allowed_modules=sorted(set(doc.allowed_modules)),
    )
    session.add(row)
    await session.flush()
    session.add_all(
        ServerSecret(server_id=row.id, key=secret.key, description=secret.description)
        for secret in doc.secrets
    )
    session.add_all(
        ModuleRequest(server_id=row.id, module=request.module, **_decision(request))
        for request in doc.module_requests
    )
    session.add_all(
        NetworkRequest(server_id=row.id, host=request.host, port=request.port, **_decision(request))
        for request in doc.network_requests
    )
    sources = {
        source.name: ExternalSource(
            server_id=row.id,
            name=source.name,
            url=source.url,
            transport=source.transport,
            auth_kind=source.auth_kind,
            auth_secret_key=source.auth_secret_key,
        )
        for source in doc.external_sources
    }
    session.add_all(sources.values())
    await session.flush()
    source_ids = {name: source.id for name, source in sources.items()}
    states = {}
    for tool in doc.tools:
        states[tool.name] = await _write_tool(session, row, tool, reports, source_ids, keep=keep)
    queue_event(session, EventKind.SERVER_CHANGED, {"server_id": row.id, "server": row.name})
    return ImportedServer(
        id=row.id,
        name=row.name,
        status=row.status,
        tools=states,
        versions=sum(len(tool.versions) for tool in doc.tools),
        secrets_to_set=sorted(secret.key for secret in doc.secrets),
    )


async def _write_tool(
    session: AsyncSession,
    server: Server,
    doc: ToolDoc,
    reports: dict[VersionKey, CodeReport],
    source_ids: dict[str, int],
    *,
    keep: bool,
) -> ToolStatus:
    status, approved, note = doc.status, doc.approved_version, doc.review_note
    if not keep and status is ToolStatus.APPROVED:
        status, approved = ToolStatus.PENDING_REVIEW, None
        note = (
            f"imported from another polybox instance, where version {doc.approved_version} "
            "was approved; review it before approving here"
        )
    row = Tool(
        server=server,
        name=doc.name,
        description=doc.description,
        kind=doc.kind,
        status=status,
        enabled=doc.enabled,
        review_note=note,
        external_source_id=None if doc.external_source is None else source_ids[doc.external_source],
        remote_name=doc.remote_name,
    )
    session.add(row)
    await session.flush()
    versions = {}
    for version in doc.versions:
        report = reports.get((server.name, doc.name, version.number))
        versions[version.number] = _version_row(row, version, report)
    session.add_all(versions.values())
    await session.flush()
    row.approved_version_id = None if approved is None else versions[approved].id
    if doc.current_version is not None:
        row.current_version_id = versions[doc.current_version].id
    report = reports.get((server.name, doc.name, doc.current_version or 0))
    if report is None:  # a passthrough tool: its source declares the schemas
        row.input_schema, row.output_schema = doc.input_schema, doc.output_schema
        row.annotations = doc.annotations
    else:
        row.input_schema, row.output_schema = report.input_schema or {}, report.output_schema
        row.annotations = report.annotations
    queue_event(session, EventKind.TOOL_ADDED, event_data(row))
    return status


def _version_row(tool: Tool, doc: VersionDoc, report: CodeReport | None) -> ToolVersion:
    """The stored version; a code tool's schemas come from `report`, the file's otherwise."""
    return ToolVersion(
        tool_id=tool.id,
        number=doc.number,
        code=doc.code,
        code_sha256=code_sha256(doc.code),
        description=doc.description,
        input_schema=doc.input_schema if report is None else report.input_schema or {},
        output_schema=doc.output_schema if report is None else report.output_schema,
        author=doc.author,
        created_at=doc.created_at,
    )


def _decision(request: RequestDoc) -> dict[str, Any]:
    return {
        "reason": request.reason,
        "status": request.status,
        "requested_by": request.requested_by,
        "decision_note": request.decision_note,
        "created_at": request.created_at,
        "decided_at": request.decided_at,
    }
