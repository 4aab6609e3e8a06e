"""Servers: named groups of tools sharing secrets and allow-lists, started and stopped as one.

Only tools of a running server are callable. Starting, stopping and deleting are open to any
actor (what a server exposes is still limited to approved tools); changing its allow-lists is
admin work, because that is what widens what its code may do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.events import EventKind
from polybox.forge.actors import Actor
from polybox.forge.allowlists import (
    EntryError,
    check_module,
    is_private_entry,
    parse_host_entry,
)
from polybox.forge.errors import (
    ConflictError,
    FieldError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from polybox.forge.names import description_problem, name_problem
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.schemas import ServerOut
from polybox.forge.settings import grant_private_hosts
from polybox.forge.sorting import ordering
from polybox.forge.unit import queue_event, record_activity
from polybox.store.enums import ServerStatus, ToolStatus
from polybox.store.models import Server, Tool


async def find_server(session: AsyncSession, server: str | int) -> Server:
    """The server row by name (or id); NotFoundError naming how to list servers."""
    query = select(Server).where(
        Server.id == server if isinstance(server, int) else Server.name == server
    )
    row = await session.scalar(query)
    if row is None:
        raise NotFoundError(f"no server {server!r}; polybox_list_servers shows the servers")
    return row


SORT_FIELDS = {
    "name": Server.name,
    "status": Server.status,
    "created_at": Server.created_at,
    "updated_at": Server.updated_at,
}


async def list_servers(
    session: AsyncSession,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    status: ServerStatus | None = None,
    name_contains: str | None = None,
    sort: str | None = None,
) -> Page[ServerOut]:
    """Servers (by name unless `sort` says otherwise), with their tool counts.

    `name_contains` matches case-insensitively anywhere in the name; `sort` is one of
    SORT_FIELDS, `-` first for descending. One extra query per page for the counts.
    """
    order = ordering(sort, SORT_FIELDS, default="name", tiebreak=Server.id)
    query = select(Server).order_by(*order)
    if status is not None:
        query = query.where(Server.status == status)
    if name_contains:
        query = query.where(
            func.lower(Server.name).contains(name_contains.lower(), autoescape=True)
        )
    listed = await paginate(session, query, _bare_out, page=page, page_size=page_size)
    counts = await _tool_counts(session, [item.id for item in listed.items])
    items = [item.model_copy(update={"tool_counts": counts[item.id]}) for item in listed.items]
    return listed.model_copy(update={"items": items})


async def get_server(session: AsyncSession, server: str | int) -> ServerOut:
    return await server_out(session, await find_server(session, server))


async def create_server(
    session: AsyncSession, actor: Actor, name: str, description: str = ""
) -> ServerOut:
    """A new, stopped server with empty allow-lists; ConflictError when the name is taken."""
    problems = [
        problem
        for problem in (name_problem("name", name), description_problem("description", description))
        if problem is not None
    ]
    if problems:
        raise InvalidInputError.of_fields("cannot create the server", problems)
    taken = ConflictError(f"a server named {name!r} already exists; choose another name")
    if await session.scalar(select(Server.id).where(Server.name == name)) is not None:
        raise taken
    row = Server(name=name, description=description)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:  # created concurrently by another transaction
        raise taken from None
    record_activity(session, actor, "server.created", target_kind="server", target_id=row.id)
    queue_event(session, EventKind.SERVER_CHANGED, _event_data(row))
    await session.flush()
    return await server_out(session, row)


async def update_server(
    session: AsyncSession, actor: Actor, server: str | int, *, description: str
) -> ServerOut:
    """Replace the server's description (what clients read about its tools' purpose)."""
    problem = description_problem("description", description)
    if problem is not None:
        raise InvalidInputError.of_fields("cannot update the server", [problem])
    row = await find_server(session, server)
    if description != row.description:
        row.description = description
        record_activity(
            session, actor, "server.updated", target_kind="server", target_id=row.id,
            details={"changed": ["description"]},
        )  # fmt: skip
        queue_event(session, EventKind.SERVER_CHANGED, _event_data(row))
        await session.flush()
        await session.refresh(row, ["updated_at"])
    return await server_out(session, row)


async def delete_server(session: AsyncSession, actor: Actor, server: str | int) -> None:
    """Delete a server with its tools, versions, secrets and requests (execution logs remain)."""
    row = await find_server(session, server)
    record_activity(
        session,
        actor,
        "server.deleted",
        target_kind="server",
        target_id=row.id,
        details={"name": row.name},
    )
    queue_event(session, EventKind.SERVER_REMOVED, _event_data(row))
    await session.delete(row)
    await session.flush()


async def start_server(session: AsyncSession, actor: Actor, server: str | int) -> ServerOut:
    """Expose the server's approved, enabled tools; starting a running server changes nothing."""
    return await _set_status(session, actor, server, ServerStatus.RUNNING)


async def stop_server(session: AsyncSession, actor: Actor, server: str | int) -> ServerOut:
    """Withdraw every tool of the server from clients; stopping a stopped server changes nothing."""
    return await _set_status(session, actor, server, ServerStatus.STOPPED)


async def set_allowed_hosts(
    session: AsyncSession,
    actor: Actor,
    server: str | int,
    hosts: Sequence[str],
    *,
    private: Sequence[str] = (),
) -> ServerOut:
    """Replace the server's egress allow-list (admins only); the one place to allow a private host.

    Private and loopback addresses and `localhost` in `hosts`, and the names in `private` (hosts
    of the list that resolve to private addresses, e.g. `nas.lan`), are also added to the global
    `private_hosts` setting, which the egress broker needs as well.
    """
    _require_admin(actor, "change a server's allowed hosts", "polybox_request_network_access")
    entries = _checked_list(
        "hosts", hosts, lambda text: str(parse_host_entry(text, private_ok=True))
    )
    listed = {parse_host_entry(entry, private_ok=True).host for entry in entries}
    named = _checked_list("private", private, lambda text: _listed_host(text, listed))
    row = await find_server(session, server)
    out = await _set_list(session, actor, row, "allowed_hosts", entries)
    privates = {parse_host_entry(e, private_ok=True).host for e in entries if is_private_entry(e)}
    await grant_private_hosts(session, actor, privates | set(named))
    return out


def _listed_host(text: str, listed: set[str]) -> str:
    host = parse_host_entry(text, private_ok=True).host
    if host not in listed:
        raise EntryError(f"{host!r} is not among the hosts; add it to the hosts too")
    return host


async def set_allowed_modules(
    session: AsyncSession, actor: Actor, server: str | int, modules: Sequence[str]
) -> ServerOut:
    """Replace the modules this server's tools may import beyond the global list (admins only)."""
    _require_admin(actor, "change a server's allowed modules", "polybox_request_module")
    names = _checked_list("modules", modules, check_module)
    row = await find_server(session, server)
    return await _set_list(session, actor, row, "allowed_modules", names)


def _checked_list(field: str, texts: Sequence[str], check: Callable[[str], str]) -> list[str]:
    """The entries in canonical form, sorted and unique; every bad one reported at once."""
    entries, problems = set(), []
    for index, text in enumerate(texts):
        try:
            entries.add(check(text))
        except EntryError as exc:
            problems.append(FieldError(f"{field}[{index}]", str(exc)))
    if problems:
        raise InvalidInputError.of_fields(f"invalid allowed {field}", problems)
    return sorted(entries)


async def extend_server_list(
    session: AsyncSession, actor: Actor, row: Server, field: str, entries: Iterable[str]
) -> None:
    """Add checked entries to `allowed_hosts`/`allowed_modules` after a decided grant."""
    current: list[str] = getattr(row, field)
    merged = sorted(set(current) | set(entries))
    if merged != current:
        await _set_list(session, actor, row, field, merged)


async def server_out(session: AsyncSession, row: Server) -> ServerOut:
    counts = await _tool_counts(session, [row.id])
    return _bare_out(row).model_copy(update={"tool_counts": counts[row.id]})


async def _set_status(
    session: AsyncSession, actor: Actor, server: str | int, status: ServerStatus
) -> ServerOut:
    row = await find_server(session, server)
    if row.status is not status:
        row.status = status
        started = status is ServerStatus.RUNNING
        action = "server.started" if started else "server.stopped"
        record_activity(session, actor, action, target_kind="server", target_id=row.id)
        kind = EventKind.SERVER_STARTED if started else EventKind.SERVER_STOPPED
        queue_event(session, kind, _event_data(row))
        await session.flush()
    return await server_out(session, row)


async def _set_list(
    session: AsyncSession, actor: Actor, row: Server, field: str, values: list[str]
) -> ServerOut:
    before: list[str] = getattr(row, field)
    if values != before:
        setattr(row, field, values)
        record_activity(
            session,
            actor,
            f"server.{field}_set",
            target_kind="server",
            target_id=row.id,
            details={
                "added": sorted(set(values) - set(before)),
                "removed": sorted(set(before) - set(values)),
            },
        )
        queue_event(session, EventKind.SERVER_CHANGED, _event_data(row))
        await session.flush()
    return await server_out(session, row)


def _require_admin(actor: Actor, what: str, ask_with: str) -> None:
    if not actor.is_admin:
        raise ForbiddenError(f"only an admin can {what}; ask for an addition with {ask_with}")


def _event_data(row: Server) -> dict[str, str | int]:
    return {"server_id": row.id, "server": row.name}


async def _tool_counts(session: AsyncSession, server_ids: list[int]) -> dict[int, dict[str, int]]:
    counts = {server_id: dict.fromkeys(ToolStatus, 0) for server_id in server_ids}
    if server_ids:
        query = (
            select(Tool.server_id, Tool.status, func.count())
            .where(Tool.server_id.in_(server_ids))
            .group_by(Tool.server_id, Tool.status)
        )
        for server_id, status, count in (await session.execute(query)).all():
            counts[server_id][status] = count
    return {key: {str(status): n for status, n in value.items()} for key, value in counts.items()}


def _bare_out(row: Server) -> ServerOut:
    return ServerOut(
        id=row.id,
        name=row.name,
        description=row.description,
        status=row.status,
        allowed_hosts=list(row.allowed_hosts),
        allowed_modules=list(row.allowed_modules),
        tool_counts={},
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
