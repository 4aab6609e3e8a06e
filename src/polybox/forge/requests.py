"""Allow-list requests: an LLM asks for a module or a host, an admin (or the policy) decides.

Requests by an admin are granted at once ("added by admin"). LLM requests wait for a decision
unless the admin chose automatic grants: `module_approval_mode=auto_approve` grants modules and
`network_access_policy=allow_all_public` grants hosts. LLMs can never ask for private or loopback
addresses, so an automatic grant only ever reaches the public internet; the egress broker still
refuses a host name that resolves to a private address unless the admin listed it in
`private_hosts`. Automatic decisions are recorded as made by the system, naming the policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.events import EventKind
from polybox.forge.actors import SYSTEM, Actor
from polybox.forge.allowlists import EntryError, HostEntry, check_module, parse_host_entry
from polybox.forge.errors import (
    ConflictError,
    FieldError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from polybox.forge.names import description_problem
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, check_page, paginate
from polybox.forge.schemas import AllowedModulesOut, RequestKind, RequestOut, RequestState
from polybox.forge.servers import extend_server_list, find_server
from polybox.forge.settings import get_settings, grant_global_modules
from polybox.forge.unit import queue_event, record_activity
from polybox.sandbox.python.packages import PackageInstallError, check_requirement
from polybox.store.enums import InstallState, RequestStatus
from polybox.store.models import ModuleRequest, NetworkRequest, Server
from polybox.store.types import utcnow

AnyRequest = ModuleRequest | NetworkRequest


async def request_module(
    session: AsyncSession,
    actor: Actor,
    server: str | int | None,
    module: str,
    reason: str = "",
    *,
    package: str | None = None,
) -> RequestOut:
    """Ask to allow `module` for one server (or every server when `server` is None).

    `package` names the distribution to install when it is not the module's name. Returns the
    pending (or already granted) request; asking again while one is pending returns that one.
    ConflictError when the module is already allowed there.
    """
    problems = [description_problem("reason", reason)]
    try:
        check_module(module)
    except EntryError as exc:
        problems.insert(0, FieldError("module", str(exc)))
    if package is not None:
        try:
            package = check_requirement(package)
        except PackageInstallError as exc:
            problems.append(FieldError("package", str(exc)))
    _raise_problems("cannot request the module", problems)
    row = None if server is None else await find_server(session, server)
    server_id = None if row is None else row.id
    if _covers(await effective_modules(session, server_id), module):
        where = "every server" if row is None else f"server {row.name!r}"
        raise ConflictError(f"module {module!r} is already allowed for {where}")
    pending = await session.scalar(
        select(ModuleRequest).where(
            ModuleRequest.server_id.is_(None) if row is None else ModuleRequest.server_id == row.id,
            ModuleRequest.module == module,
            ModuleRequest.status == RequestStatus.PENDING,
        )
    )
    if pending is not None:
        return _out(pending, row)
    request = ModuleRequest(
        server_id=server_id,
        module=module,
        package=package,
        reason=reason,
        requested_by=actor.requester,
    )
    auto = (await get_settings(session)).module_approval_mode == "auto_approve"
    return await _submit(session, actor, request, row, auto=auto, setting="module_approval_mode")


async def request_network_access(
    session: AsyncSession,
    actor: Actor,
    server: str | int,
    host: str,
    *,
    port: int | None = None,
    reason: str = "",
) -> RequestOut:
    """Ask to add `host[:port]` to a server's allowed hosts.

    LLMs may only name public hosts: private, loopback and link-local addresses and `localhost`
    are refused. Pending duplicates return the existing request; an allowed entry is a conflict.
    """
    reason_problem = description_problem("reason", reason)
    try:
        parsed = parse_host_entry(host, port=port, private_ok=actor.is_admin)
    except EntryError as exc:
        found = [FieldError("host", str(exc)), *([reason_problem] if reason_problem else [])]
        raise InvalidInputError.of_fields("cannot request network access", found) from None
    _raise_problems("cannot request network access", [reason_problem])
    row = await find_server(session, server)
    if str(parsed) in row.allowed_hosts:
        raise ConflictError(f"{parsed} is already allowed for server {row.name!r}")
    pending = await session.scalar(
        select(NetworkRequest).where(
            NetworkRequest.server_id == row.id,
            NetworkRequest.host == parsed.host,
            NetworkRequest.port.is_(None)
            if parsed.port is None
            else NetworkRequest.port == parsed.port,
            NetworkRequest.status == RequestStatus.PENDING,
        )
    )
    if pending is not None:
        return _out(pending, row)
    request = NetworkRequest(
        server_id=row.id,
        host=parsed.host,
        port=parsed.port,
        reason=reason,
        requested_by=actor.requester,
    )
    auto = (await get_settings(session)).network_access_policy == "allow_all_public"
    return await _submit(session, actor, request, row, auto=auto, setting="network_access_policy")


async def _submit(
    session: AsyncSession,
    actor: Actor,
    request: AnyRequest,
    row: Server | None,
    *,
    auto: bool,
    setting: str,
) -> RequestOut:
    """Store a new request, record it, and grant it at once when the actor or `setting` allows."""
    session.add(request)
    await session.flush()
    kind = "module" if isinstance(request, ModuleRequest) else "network"
    _record(session, actor, f"{kind}.requested", request, row)
    await _grant_without_review(session, actor, request, row, policy_grants=auto, setting=setting)
    return _out(request, row)


async def list_pending_requests(
    session: AsyncSession,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    kind: RequestKind | None = None,
) -> Page[RequestOut]:
    """Requests waiting for an admin, oldest first; both kinds unless `kind` is given."""
    check_page(page, page_size)
    parts = []
    if kind in (None, "module"):
        parts.append(_pending_ids(ModuleRequest, "module"))
    if kind in (None, "network"):
        parts.append(_pending_ids(NetworkRequest, "network"))
    listing = union_all(*parts).subquery()
    total = int(await session.scalar(select(func.count()).select_from(listing)) or 0)
    keys = (
        await session.execute(
            select(listing.c.kind, listing.c.id)
            .order_by(listing.c.created_at, listing.c.kind, listing.c.id)
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    ).all()
    rows = await _load(session, [(str(k), int(i)) for k, i in keys])
    names = await _server_names(session, (row.server_id for row in rows))
    return Page[RequestOut](
        items=[_out(row, None, names.get(row.server_id or 0)) for row in rows],
        total=total,
        page=page,
        page_size=page_size,
        pages=(total + page_size - 1) // page_size,
    )


async def decide_request(
    session: AsyncSession,
    actor: Actor,
    kind: RequestKind,
    request_id: int,
    *,
    approve: bool,
    note: str | None = None,
    package: str | None = None,
) -> RequestOut:
    """Approve (granting the module or host) or reject a pending request; admins only.

    Approving a module installs its `package` in the background (default: the module's name;
    e.g. `python-dateutil` for `dateutil`, optionally pinned `name==1.2`).
    """
    if not actor.is_admin:
        raise ForbiddenError("only an admin can approve or reject requests")
    if package is not None:
        package = _check_package(package, kind, approve=approve)
    request: AnyRequest | None = (
        await session.get(ModuleRequest, request_id)
        if kind == "module"
        else await session.get(NetworkRequest, request_id)
    )
    if request is None:
        raise NotFoundError(f"no {kind} request {request_id}; polybox_list_pending_requests")
    if request.status is not RequestStatus.PENDING:
        raise ConflictError(f"{kind} request {request_id} was already {request.status}")
    row = None if request.server_id is None else await session.get(Server, request.server_id)
    await _decide(session, actor, request, row, approve=approve, note=note, package=package)
    await session.flush()
    return _out(request, row)


async def retry_install(
    session: AsyncSession, actor: Actor, request_id: int, *, package: str | None = None
) -> RequestOut:
    """Install an approved module again after a failed install, optionally from another package."""
    if not actor.is_admin:
        raise ForbiddenError("only an admin can retry an install")
    request = await session.get(ModuleRequest, request_id)
    if request is None:
        raise NotFoundError(f"no module request {request_id}")
    if request.install_state is not InstallState.FAILED:
        state = request.install_state or request.status
        raise ConflictError(
            f"module request {request_id} is {state}; only a failed install is retried"
        )
    if package is not None:
        request.package = _check_package(package, "module", approve=True)
    row = None if request.server_id is None else await session.get(Server, request.server_id)
    _start_install(session, actor, request, row)
    queue_event(
        session,
        EventKind.APPROVAL_CHANGED,
        {"kind": "module", "request_id": request.id, "server": None if row is None else row.name},
    )
    await session.flush()
    return _out(request, row)


async def list_module_installs(
    session: AsyncSession, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> Page[RequestOut]:
    """Approved module requests and their installs (installing, installed, failed), newest first."""
    check_page(page, page_size)
    installs = (
        select(ModuleRequest)
        .where(ModuleRequest.install_state.is_not(None))
        .order_by(ModuleRequest.decided_at.desc(), ModuleRequest.id.desc())
    )
    rows: list[ModuleRequest] = []

    def keep(row: ModuleRequest) -> int:
        rows.append(row)
        return row.id

    listed = await paginate(session, installs, keep, page=page, page_size=page_size)
    names = await _server_names(session, (row.server_id for row in rows))
    return Page[RequestOut](
        items=[_out(row, None, names.get(row.server_id or 0)) for row in rows],
        **listed.model_dump(exclude={"items"}),
    )


async def effective_modules(session: AsyncSession, server_id: int | None) -> frozenset[str]:
    """What tools of `server_id` may import: the global list plus the server's own entries."""
    modules = set((await get_settings(session)).allowed_modules)
    if server_id is not None:
        own = await session.scalar(select(Server.allowed_modules).where(Server.id == server_id))
        modules.update(own or [])
    return frozenset(modules)


async def get_allowed_modules(
    session: AsyncSession, server: str | int | None = None
) -> AllowedModulesOut:
    """The global import allow-list and, for a server, its own entries and the union."""
    global_modules = sorted((await get_settings(session)).allowed_modules)
    row = None if server is None else await find_server(session, server)
    own = [] if row is None else sorted(row.allowed_modules)
    return AllowedModulesOut(
        server=None if row is None else row.name,
        global_modules=global_modules,
        server_modules=own,
        effective=sorted(set(global_modules) | set(own)),
    )


async def _grant_without_review(
    session: AsyncSession,
    actor: Actor,
    request: AnyRequest,
    row: Server | None,
    *,
    policy_grants: bool,
    setting: str,
) -> None:
    """Admins' own requests are granted as they ask; others when the admin's policy says so."""
    if actor.is_admin:
        await _decide(session, actor, request, row, approve=True, note=None)
    elif policy_grants:
        note = f"granted automatically by the {setting} setting"
        await _decide(session, SYSTEM, request, row, approve=True, note=note)
    await session.flush()


async def _decide(
    session: AsyncSession,
    actor: Actor,
    request: AnyRequest,
    row: Server | None,
    *,
    approve: bool,
    note: str | None,
    package: str | None = None,
) -> None:
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    request.decision_note = note
    request.decided_at = utcnow()
    if approve and isinstance(request, ModuleRequest):
        if row is None:
            await grant_global_modules(session, actor, [request.module])
        else:
            await extend_server_list(session, actor, row, "allowed_modules", [request.module])
    elif approve and isinstance(request, NetworkRequest) and row is not None:
        entry = str(HostEntry(request.host, request.port))
        await extend_server_list(session, actor, row, "allowed_hosts", [entry])
    kind = "module" if isinstance(request, ModuleRequest) else "network"
    _record(session, actor, f"{kind}.{request.status}", request, row, note=note)
    if approve and isinstance(request, ModuleRequest):
        request.package = package or request.package
        _start_install(session, actor, request, row)
    queue_event(
        session,
        EventKind.APPROVAL_CHANGED,
        {"kind": kind, "request_id": request.id, "server": None if row is None else row.name},
    )


def _start_install(
    session: AsyncSession, actor: Actor, request: ModuleRequest, row: Server | None
) -> None:
    """Mark the module for the installer (forge/installs.py); an approval event wakes it."""
    request.install_state = InstallState.INSTALLING
    request.installed_version = None
    request.install_error = None
    _record(session, actor, "module.installing", request, row)


def _check_package(package: str, kind: RequestKind, *, approve: bool) -> str:
    """The package to install for an approved module request, checked."""
    if kind != "module" or not approve:
        raise InvalidInputError.of_fields(
            "nothing to install",
            [FieldError("package", "only an approved module request installs a package")],
        )
    try:
        return check_requirement(package)
    except PackageInstallError as exc:
        raise InvalidInputError.of_fields(
            "cannot install that package", [FieldError("package", str(exc))]
        ) from None


def _pending_ids(model: type[AnyRequest], kind: str) -> Select[str, int, datetime]:
    return select(
        literal(kind).label("kind"), model.id.label("id"), model.created_at.label("created_at")
    ).where(model.status == RequestStatus.PENDING)


async def _load(session: AsyncSession, keys: list[tuple[str, int]]) -> list[AnyRequest]:
    found: dict[tuple[str, int], AnyRequest] = {}
    module_ids = [request_id for kind, request_id in keys if kind == "module"]
    network_ids = [request_id for kind, request_id in keys if kind == "network"]
    if module_ids:
        query = select(ModuleRequest).where(ModuleRequest.id.in_(module_ids))
        found.update((("module", r.id), r) for r in (await session.scalars(query)).all())
    if network_ids:
        listed = select(NetworkRequest).where(NetworkRequest.id.in_(network_ids))
        found.update((("network", r.id), r) for r in (await session.scalars(listed)).all())
    return [found[key] for key in keys]


async def _server_names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {server_id for server_id in ids if server_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Server.id, Server.name).where(Server.id.in_(wanted)))
    return {server_id: name for server_id, name in rows.all()}


def _covers(allowed: frozenset[str], module: str) -> bool:
    """Whether `module` or a package containing it is allowed (submodules come with it)."""
    parts = module.split(".")
    return any(".".join(parts[:end]) in allowed for end in range(1, len(parts) + 1))


def _raise_problems(summary: str, problems: list[FieldError | None]) -> None:
    """Raise one InvalidInputError listing every problem found, if any."""
    found = [problem for problem in problems if problem is not None]
    if found:
        raise InvalidInputError.of_fields(summary, found)


def _record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    request: AnyRequest,
    row: Server | None,
    *,
    note: str | None = None,
) -> None:
    module = isinstance(request, ModuleRequest)
    details: dict[str, object] = {"server": None if row is None else row.name}
    if isinstance(request, ModuleRequest):
        details["module"] = request.module
        if request.package and request.package != request.module:
            details["package"] = request.package
    else:
        details.update(host=request.host, port=request.port)
    if note:
        details["note"] = note
    target_kind = "module_request" if module else "network_request"
    record_activity(
        session, actor, action, target_kind=target_kind, target_id=request.id, details=details
    )


def _out(request: AnyRequest, row: Server | None, server_name: str | None = None) -> RequestOut:
    module = isinstance(request, ModuleRequest)
    install = request if isinstance(request, ModuleRequest) else None
    return RequestOut(
        kind="module" if module else "network",
        id=request.id,
        server=row.name if row is not None else server_name,
        module=request.module if isinstance(request, ModuleRequest) else None,
        host=request.host if isinstance(request, NetworkRequest) else None,
        port=request.port if isinstance(request, NetworkRequest) else None,
        reason=request.reason,
        status=_state(request),
        requested_by=request.requested_by,
        decision_note=request.decision_note,
        created_at=request.created_at,
        decided_at=request.decided_at,
        package=None if install is None else install.package or install.module,  # what installs
        installed_version=None if install is None else install.installed_version,
        install_error=None if install is None else install.install_error,
    )


def _state(request: AnyRequest) -> RequestState:
    """An approved module request is `approved` only once installed (see forge/installs.py)."""
    if isinstance(request, ModuleRequest) and request.install_state is InstallState.INSTALLING:
        return "installing"
    if isinstance(request, ModuleRequest) and request.install_state is InstallState.FAILED:
        return "install_failed"
    return request.status.value
