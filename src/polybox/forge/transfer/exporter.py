"""Export: servers with everything needed to rebuild them elsewhere, as one signed document."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from polybox import __version__
from polybox.crypto import SecretBox
from polybox.forge.actors import Actor
from polybox.forge.errors import ConflictError, ForbiddenError
from polybox.forge.servers import find_server
from polybox.forge.transfer.document import (
    FORMAT,
    FORMAT_VERSION,
    ExportDocument,
    ModuleRequestDoc,
    NetworkRequestDoc,
    Payload,
    SecretDoc,
    ServerDoc,
    SourceDoc,
    ToolDoc,
    VersionDoc,
)
from polybox.forge.transfer.signing import SIGNATURE_FIELD, ExportSigner
from polybox.forge.unit import record_activity
from polybox.store.enums import ToolKind
from polybox.store.models import (
    ExternalSource,
    ModuleRequest,
    NetworkRequest,
    Server,
    Tool,
    ToolVersion,
)
from polybox.store.types import utcnow

Row = TypeVar("Row", ModuleRequest, NetworkRequest, ExternalSource)


async def export_servers(
    session: AsyncSession, actor: Actor, box: SecretBox, *, server: str | None = None
) -> dict[str, Any]:
    """The signed export of one server (by name) or of every server, as a JSON-ready dict.

    Admins only: the document holds every tool's code. Global module requests (not tied to a
    server) and runtime settings are not part of an export.
    """
    if not actor.is_admin:
        raise ForbiddenError("only an admin can export servers")
    query = (
        select(Server)
        .options(
            selectinload(Server.tools).selectinload(Tool.versions),
            selectinload(Server.secrets),
        )
        .order_by(Server.name)
    )
    if server is not None:
        query = query.where(Server.id == (await find_server(session, server)).id)
    rows = list((await session.scalars(query)).all())
    ids = [row.id for row in rows]
    modules = await _by_server(session, ModuleRequest, ids)
    hosts = await _by_server(session, NetworkRequest, ids)
    sources = await _by_server(session, ExternalSource, ids)
    servers = [_server_doc(row, modules[row.id], hosts[row.id], sources[row.id]) for row in rows]
    signer = ExportSigner(box)
    unsigned = ExportDocument(
        format=FORMAT,
        version=FORMAT_VERSION,
        polybox_version=__version__,
        exported_at=utcnow(),
        key_fingerprint=signer.fingerprint,
        payload=Payload(servers=servers),
        signature="",
    ).model_dump(mode="json", exclude={SIGNATURE_FIELD})
    record_activity(
        session, actor, "servers.exported",
        target_kind="server" if server is not None and rows else None,
        target_id=rows[0].id if server is not None and rows else None,
        details={
            "servers": [row.name for row in rows],
            "tools": sum(len(row.tools) for row in rows),
        },
    )  # fmt: skip
    await session.flush()
    return {**unsigned, SIGNATURE_FIELD: signer.sign(unsigned)}


async def _by_server(
    session: AsyncSession, model: type[Row], server_ids: Sequence[int]
) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    if server_ids:
        query = select(model).where(model.server_id.in_(server_ids)).order_by(model.id)
        for row in (await session.scalars(query)).all():
            if row.server_id is not None:  # always: selected by server id
                grouped[row.server_id].append(row)
    return grouped


def _server_doc(
    row: Server,
    modules: list[ModuleRequest],
    hosts: list[NetworkRequest],
    sources: list[ExternalSource],
) -> ServerDoc:
    source_names = {source.id: source.name for source in sources}
    return ServerDoc(
        name=row.name,
        description=row.description,
        status=row.status,
        allowed_hosts=list(row.allowed_hosts),
        allowed_modules=list(row.allowed_modules),
        tools=[
            _tool_doc(tool, source_names) for tool in sorted(row.tools, key=lambda tool: tool.name)
        ],
        secrets=[
            SecretDoc(key=secret.key, description=secret.description)
            for secret in sorted(row.secrets, key=lambda secret: secret.key)
        ],
        module_requests=[
            ModuleRequestDoc(module=request.module, **_decision(request)) for request in modules
        ],
        network_requests=[
            NetworkRequestDoc(host=request.host, port=request.port, **_decision(request))
            for request in hosts
        ],
        external_sources=[
            SourceDoc(
                name=source.name,
                url=source.url,
                transport=source.transport,
                auth_kind=source.auth_kind,
                auth_secret_key=source.auth_secret_key,
            )
            for source in sources
        ],
    )


def _tool_doc(row: Tool, source_names: dict[int, str]) -> ToolDoc:
    numbers = {version.id: version.number for version in row.versions}
    current = numbers.get(row.current_version_id or -1)
    if current is None and row.kind is ToolKind.CODE:  # only a row written outside the forge
        raise ConflictError(f"tool {row.name!r} has no saved code; update it with code first")
    return ToolDoc(
        name=row.name,
        description=row.description,
        kind=row.kind,
        status=row.status,
        enabled=row.enabled,
        current_version=current,
        approved_version=numbers.get(row.approved_version_id or -1),
        review_note=row.review_note,
        input_schema=dict(row.input_schema),
        output_schema=None if row.output_schema is None else dict(row.output_schema),
        annotations=dict(row.annotations),
        external_source=source_names.get(row.external_source_id or -1),
        remote_name=row.remote_name,
        versions=[_version_doc(version) for version in row.versions],
    )


def _version_doc(row: ToolVersion) -> VersionDoc:
    return VersionDoc(
        number=row.number,
        code=row.code,
        description=row.description,
        input_schema=dict(row.input_schema),
        output_schema=None if row.output_schema is None else dict(row.output_schema),
        author=row.author,
        created_at=row.created_at,
    )


def _decision(row: ModuleRequest | NetworkRequest) -> dict[str, Any]:
    return {
        "reason": row.reason,
        "status": row.status,
        "requested_by": row.requested_by,
        "decision_note": row.decision_note,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }
