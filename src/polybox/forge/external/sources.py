"""External sources of a server: add, list, change and remove the MCP servers it passes through.

A source is a URL (Streamable HTTP or legacy SSE) and how polybox authenticates there: none, a
bearer token taken from one of the server's secrets (by key: the value never leaves the secret
store except in the Authorization header), or OAuth 2.1 (an admin connects it in the UI). The URL
must pass the server's egress policy when it is added or changed, as it must on every call.
Adding a source is open to clients like creating a tool (what it exposes still needs an admin's
approval); changing and removing sources is admin work.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.events import EventKind
from polybox.forge.actors import Actor
from polybox.forge.errors import (
    ConflictError,
    FieldError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from polybox.forge.external.gateway import SourceGateway
from polybox.forge.external.schemas import SourceOut
from polybox.forge.names import name_problem
from polybox.forge.plans import server_run
from polybox.forge.secrets import KEY_PATTERN
from polybox.forge.servers import find_server
from polybox.forge.unit import queue_event, record_activity
from polybox.sandbox.egress import EgressError
from polybox.store.enums import SourceAuth, SourceTransport
from polybox.store.models import ExternalSource, Server, ServerSecret, Tool

MAX_URL_CHARS = 2_000


async def add_source(
    session: AsyncSession,
    actor: Actor,
    gateway: SourceGateway,
    server: str | int,
    *,
    name: str,
    url: str,
    transport: SourceTransport = SourceTransport.STREAMABLE_HTTP,
    auth: SourceAuth = SourceAuth.NONE,
    secret_key: str | None = None,
) -> SourceOut:
    """Add a source; InvalidInputError lists every bad field (the egress verdict included)."""
    owner = await find_server(session, server)
    problems = [p for p in (name_problem("name", name),) if p is not None]
    problems += await _settings_problems(
        session, gateway, owner, url=url, auth=auth, secret_key=secret_key
    )
    if problems:
        raise InvalidInputError.of_fields("cannot add the external source", problems)
    taken = ConflictError(
        f"server {owner.name!r} already has an external source named {name!r}; choose another name"
    )
    if await _find(session, owner, name) is not None:
        raise taken
    row = ExternalSource(
        server_id=owner.id,
        name=name,
        url=url,
        transport=transport,
        auth_kind=auth,
        auth_secret_key=secret_key if auth is SourceAuth.BEARER else None,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:  # added concurrently by another transaction
        raise taken from None
    _changed(
        session, actor, owner, row,
        action="external_source.added", details={"url": url, "auth": auth.value},
    )  # fmt: skip
    await session.flush()
    return await source_out(session, owner, row)


async def list_sources(session: AsyncSession, server: str | int) -> list[SourceOut]:
    """A server's sources by name, with their health and imported tools."""
    owner = await find_server(session, server)
    rows = await session.scalars(
        select(ExternalSource)
        .where(ExternalSource.server_id == owner.id)
        .order_by(ExternalSource.name)
    )
    return [await source_out(session, owner, row) for row in rows.all()]


async def get_source(session: AsyncSession, server: str | int, source: str | int) -> SourceOut:
    owner = await find_server(session, server)
    return await source_out(session, owner, await find_source(session, owner, source))


async def update_source(
    session: AsyncSession,
    actor: Actor,
    gateway: SourceGateway,
    server: str | int,
    source: str | int,
    *,
    url: str | None = None,
    transport: SourceTransport | None = None,
    auth: SourceAuth | None = None,
    secret_key: str | None = None,
) -> SourceOut:
    """Change how a source is reached (admins only). A new URL or auth drops its OAuth tokens."""
    _require_admin(actor, "change an external source")
    owner = await find_server(session, server)
    row = await find_source(session, owner, source)
    new_url = row.url if url is None else url
    new_auth = row.auth_kind if auth is None else auth
    new_key = secret_key if secret_key is not None else row.auth_secret_key
    problems = await _settings_problems(
        session, gateway, owner, url=new_url, auth=new_auth, secret_key=new_key
    )
    if problems:
        raise InvalidInputError.of_fields("cannot change the external source", problems)
    if new_url != row.url or new_auth is not row.auth_kind:
        row.oauth_state_ciphertext = None
    row.url = new_url
    row.transport = row.transport if transport is None else transport
    row.auth_kind = new_auth
    row.auth_secret_key = new_key if new_auth is SourceAuth.BEARER else None
    _changed(session, actor, owner, row, action="external_source.updated", details={"url": new_url})
    await session.flush()
    return await source_out(session, owner, row)


async def remove_source(
    session: AsyncSession, actor: Actor, server: str | int, source: str | int
) -> None:
    """Delete a source and every tool imported from it (admins only; execution logs remain)."""
    _require_admin(actor, "remove an external source")
    owner = await find_server(session, server)
    row = await find_source(session, owner, source)
    tools = await session.scalars(select(Tool).where(Tool.external_source_id == row.id))
    for tool in tools.all():
        queue_event(
            session,
            EventKind.TOOL_REMOVED,
            {"server_id": owner.id, "server": owner.name, "tool_id": tool.id, "tool": tool.name},
        )
        await session.delete(tool)
    _changed(
        session, actor, owner, row, action="external_source.removed", details={"name": row.name}
    )
    await session.delete(row)
    await session.flush()


async def find_source(session: AsyncSession, server: Server, source: str | int) -> ExternalSource:
    """The source by name (or id) within `server`; NotFoundError saying how to list them."""
    row = await _find(session, server, source)
    if row is None:
        raise NotFoundError(
            f"server {server.name!r} has no external source {source!r}; "
            "polybox_list_external_sources shows them"
        )
    return row


async def source_out(session: AsyncSession, server: Server, row: ExternalSource) -> SourceOut:
    tools = await session.scalars(
        select(Tool.name).where(Tool.external_source_id == row.id).order_by(Tool.name)
    )
    await session.refresh(row)
    return SourceOut(
        id=row.id,
        server=server.name,
        name=row.name,
        url=row.url,
        transport=row.transport,
        auth_kind=row.auth_kind,
        auth_secret_key=row.auth_secret_key,
        oauth_connected=row.oauth_state_ciphertext is not None,
        health=row.health,
        last_error=row.last_error,
        last_checked_at=row.last_checked_at,
        created_at=row.created_at,
        tools=list(tools.all()),
    )


async def _settings_problems(
    session: AsyncSession,
    gateway: SourceGateway,
    server: Server,
    *,
    url: str,
    auth: SourceAuth,
    secret_key: str | None,
) -> list[FieldError]:
    problems = []
    if len(url) > MAX_URL_CHARS:
        problems.append(FieldError("url", f"the URL is longer than {MAX_URL_CHARS} characters"))
    else:
        run = await server_run(session, gateway.secret_box, gateway.settings, server)
        try:
            await gateway.check_url(url, run.egress)
        except EgressError as exc:
            problems.append(FieldError("url", str(exc)))
    if auth is SourceAuth.BEARER:
        problems += await _secret_key_problems(session, server, secret_key)
    elif secret_key is not None:
        problems.append(FieldError("secret_key", "only a bearer source takes a secret key"))
    return problems


async def _secret_key_problems(
    session: AsyncSession, server: Server, key: str | None
) -> list[FieldError]:
    if key is None or not KEY_PATTERN.fullmatch(key):
        return [
            FieldError(
                "secret_key",
                "a bearer source names the server secret holding its token (e.g. UPSTREAM_TOKEN)",
            )
        ]
    exists = await session.scalar(
        select(ServerSecret.id).where(ServerSecret.server_id == server.id, ServerSecret.key == key)
    )
    if exists is None:
        return [
            FieldError(
                "secret_key",
                f"server {server.name!r} has no secret {key}; create it first "
                "(polybox_create_server_secret) and have an admin set its value",
            )
        ]
    return []


async def _find(session: AsyncSession, server: Server, source: str | int) -> ExternalSource | None:
    where = (
        ExternalSource.id == source if isinstance(source, int) else ExternalSource.name == source
    )
    return await session.scalar(
        select(ExternalSource).where(ExternalSource.server_id == server.id, where)
    )


def _changed(
    session: AsyncSession,
    actor: Actor,
    server: Server,
    row: ExternalSource,
    *,
    action: str,
    details: dict[str, str],
) -> None:
    record_activity(
        session, actor, action, target_kind="external_source", target_id=row.id, details=details
    )
    queue_event(session, EventKind.SERVER_CHANGED, {"server_id": server.id, "server": server.name})


def _require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise ForbiddenError(f"only an admin can {what}")
