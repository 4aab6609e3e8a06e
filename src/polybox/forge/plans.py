"""Call plans: what a forged-tool call needs, read from the store once and kept until a change.

Resolving `<server>__<tool>` for a call takes the tool, its server and approved version, the
forge settings and the server's decrypted secrets. `CallPlans` keeps the result per tool in
memory and trusts it only while the event bus says nothing happened since it read the store.
`EventBus.sequence` moves inside `publish` itself, before the publishing transaction returns,
so a revoke, disable, stop, allow-list, secret or setting change made in this process is seen
by the very next call; another replica's change is seen as soon as its event arrives (PostgreSQL
NOTIFY; the SQLite poll for other processes). While the bus cannot hear other processes (its
PostgreSQL listener is down) no plan is trusted and every call reads the store.

Decrypted secrets live in a plan for as long as the plan does: until the next event of any
kind, or until it is evicted past PLAN_LIMIT tools.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.crypto import SecretBox
from polybox.events import EventBus
from polybox.forge.arguments import argument_validator
from polybox.forge.errors import ForbiddenError, NotFoundError, UnavailableError
from polybox.forge.external.targets import RemoteTarget, remote_target
from polybox.forge.names import SEPARATOR
from polybox.forge.returns import ReturnCheck, return_check
from polybox.forge.secrets import server_secrets
from polybox.forge.settings import ForgeSettings, get_settings
from polybox.forge.worker_scopes import server_scope
from polybox.sandbox.egress import EgressPolicy
from polybox.sandbox.redaction import Redactor
from polybox.store.enums import ServerStatus, ToolKind, ToolStatus
from polybox.store.models import Server, Tool, ToolVersion

PLAN_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class ServerRun:
    """How code of one server runs under the current settings: what the pool is given."""

    server_id: int
    server_name: str
    scope: str  # the pool scope (worker_scopes.py): never shared with another server or config
    secrets: Mapping[str, str]
    raw: frozenset[str]  # keys handed to the code in clear; the others only as stand-ins
    egress: EgressPolicy
    modules: frozenset[str]
    redact: bool
    redactor: Redactor  # of `secrets` when `redact`, else one that changes nothing


@dataclass(frozen=True, slots=True)
class CallPlan:
    """Everything a call of one forged tool needs besides its arguments."""

    public_name: str
    tool_id: int
    tool_name: str
    code: str  # the approved version's
    validator: Draft202012Validator  # of the approved version's input schema
    returns: ReturnCheck | None  # of the approved version's output schema (code tools only)
    run: ServerRun
    remote: RemoteTarget | None = None  # a passthrough tool's upstream (then `code` is unused)


def egress_policy(
    settings: Settings, forge: ForgeSettings, allowed_hosts: Iterable[str]
) -> EgressPolicy:
    """What a server with `allowed_hosts` may reach under the current settings."""
    return EgressPolicy(
        allowed_hosts=frozenset(allowed_hosts),
        private_hosts=frozenset(forge.private_hosts),
        allow_public=forge.network_access_policy == "allow_all_public",
        timeout=settings.egress_timeout_seconds,
        max_response_bytes=settings.egress_max_response_bytes,
    )


async def server_run(
    session: AsyncSession,
    box: SecretBox,
    settings: Settings,
    server: Server,
    forge: ForgeSettings | None = None,
    *,
    raw_allowed: bool = True,
) -> ServerRun:
    """Secrets, egress policy and allowed modules of `server` under the current settings.

    Without `raw_allowed` (code no admin approved) even raw secrets are only stand-ins.
    """
    forge = forge or await get_settings(session)
    secrets, raw = await server_secrets(session, box, server.id)
    if not raw_allowed:
        raw = frozenset()
    egress = egress_policy(settings, forge, server.allowed_hosts)
    # Approved module requests are written into these two lists (requests.py).
    modules = frozenset(forge.allowed_modules) | frozenset(server.allowed_modules)
    return ServerRun(
        server_id=server.id,
        server_name=server.name,
        scope=server_scope(
            server.id, server.sandbox_key, secrets=secrets, raw=raw, egress=egress, modules=modules
        ),
        secrets=secrets,
        raw=raw,
        egress=egress,
        modules=modules,
        redact=forge.redact_secrets_in_output,
        redactor=Redactor(secrets.values() if forge.redact_secrets_in_output else ()),
    )


async def load_plan(
    session: AsyncSession, box: SecretBox, settings: Settings, public_name: str
) -> CallPlan:
    """The plan of `public_name` from the store; raises as `callable_tool` does."""
    tool, server, version = await callable_tool(session, public_name)
    remote = await remote_target(session, tool) if tool.kind is ToolKind.PASSTHROUGH else None
    return CallPlan(
        public_name=public_name,
        tool_id=tool.id,
        tool_name=tool.name,
        code=version.code,
        validator=argument_validator(version.input_schema),
        # A source's structured result is already the object its output schema describes.
        returns=None if remote is not None else return_check(version.code, version.output_schema),
        run=await server_run(session, box, settings, server),
        remote=remote,
    )


async def callable_tool(
    session: AsyncSession, public_name: str
) -> tuple[Tool, Server, ToolVersion]:
    """The tool behind `public_name` if a client may call it now, else an error saying why.

    Raises NotFoundError, ForbiddenError (not approved, disabled) or UnavailableError (server
    stopped). One statement: tool, server and approved version joined.
    """
    server_name, _, tool_name = public_name.partition(SEPARATOR)
    found = (
        await session.execute(
            select(Tool, Server, ToolVersion)
            .join(Server, Tool.server_id == Server.id)
            .outerjoin(ToolVersion, Tool.approved_version_id == ToolVersion.id)
            .where(Server.name == server_name, Tool.name == tool_name)
        )
    ).first()
    if found is None or not tool_name:
        raise NotFoundError(f"no tool {public_name!r}; tools/list shows the callable tools")
    row, server, version = found
    if row.status is not ToolStatus.APPROVED or version is None:
        raise ForbiddenError(
            f"tool {public_name!r} is {row.status.value.replace('_', ' ')}, not approved; "
            "only approved tools can be called (polybox_request_publish asks an admin)"
        )
    if not row.enabled:
        raise ForbiddenError(f"tool {public_name!r} is disabled by an admin")
    if server.status is not ServerStatus.RUNNING:
        raise UnavailableError(f"server {server_name!r} is stopped; polybox_start_server starts it")
    return row, server, version


class CallPlans:
    """The call plans of one process, valid while the event bus reports no change.

    Without a bus (`events` None) nothing is cached: nobody could say when a plan went stale.
    A plan read while an event arrived is returned to its caller but not kept.
    """

    def __init__(self, box: SecretBox, settings: Settings, *, limit: int = PLAN_LIMIT) -> None:
        self._box = box
        self._settings = settings
        self._limit = limit
        self._plans: dict[str, CallPlan] = {}
        self._seen = -1  # the bus sequence the kept plans were read at

    def __len__(self) -> int:
        return len(self._plans)

    async def get(
        self,
        sessions: async_sessionmaker[AsyncSession],
        events: EventBus | None,
        public_name: str,
    ) -> CallPlan:
        """The plan of `public_name`: from memory when still valid, else from the store.

        Raises what `callable_tool` raises (refusals are never cached), and the store's errors.
        """
        if self._current(events) and (plan := self._plans.get(public_name)) is not None:
            return plan
        read_at = None if events is None else events.sequence
        async with sessions() as session:
            plan = await load_plan(session, self._box, self._settings, public_name)
        if self._current(events) and self._seen == read_at:
            if len(self._plans) >= self._limit:
                del self._plans[next(iter(self._plans))]  # the oldest
            self._plans[public_name] = plan
        return plan

    def _current(self, events: EventBus | None) -> bool:
        """Whether plans may be used now; drops them all when the bus moved since they were read."""
        if events is None or not events.listening:
            self._plans.clear()
            return False
        if events.sequence != self._seen:
            self._plans.clear()
            self._seen = events.sequence
        return True
