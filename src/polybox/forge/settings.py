"""Runtime settings of the forge, changed by admins and stored one row per key.

Absent rows mean the default, so adding a setting needs no migration and a store written by an
older polybox keeps working. Startup settings (ports, paths, the sandbox) live in config.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.events import EventKind
from polybox.forge.actors import Actor
from polybox.forge.allowlists import EntryError, check_module, parse_host_entry
from polybox.forge.errors import FieldError, ForbiddenError, InvalidInputError
from polybox.forge.unit import queue_event, record_activity
from polybox.sandbox.python import DEFAULT_ALLOWED_MODULES
from polybox.store.models import Setting


def _module(text: str) -> str:
    try:
        return check_module(text)
    except EntryError as exc:
        raise ValueError(str(exc)) from None


def _private_host(text: str) -> str:
    try:
        entry = parse_host_entry(text, private_ok=True)
    except EntryError as exc:
        raise ValueError(str(exc)) from None
    if entry.port is not None:
        raise ValueError(f"{text!r}: private hosts are names or addresses without a port")
    return entry.host


ApprovalMode = Literal["require_approval", "auto_approve"]
ModuleName = Annotated[str, AfterValidator(_module)]
PrivateHost = Annotated[str, AfterValidator(_private_host)]


class ForgeSettings(BaseModel):
    """Every runtime setting with its default; the descriptions are shown to admins."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool_approval_mode: ApprovalMode = Field(
        default="require_approval",
        description="`auto_approve`: new and changed tools are approved without an admin.",
    )
    module_approval_mode: ApprovalMode = Field(
        default="require_approval",
        description="`auto_approve`: module requests are granted without an admin.",
    )
    network_access_policy: Literal["require_approval", "allow_all_public"] = Field(
        default="require_approval",
        description="`allow_all_public`: requests for public hosts are granted without an admin.",
    )
    remote_tool_editing: Literal["all", "read_only", "none"] = Field(
        default="all",
        description=(
            "Management tools remote MCP clients may call: all, read_only (list, get, validate, "
            "status, logs) or none."
        ),
    )
    redact_secrets_in_output: bool = Field(
        default=True, description="Replace secret values in tool results, output and logs."
    )
    log_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Execution and activity logs older than this are deleted.",
    )
    test_before_approval: bool = Field(
        default=False, description="Allow polybox_test_code on code that is not approved yet."
    )
    allowed_modules: list[ModuleName] = Field(
        default_factory=lambda: sorted(DEFAULT_ALLOWED_MODULES),
        description="Modules every server's tools may import.",
    )
    private_hosts: list[PrivateHost] = Field(
        default_factory=list,
        description="Private or loopback hosts tools may reach when their server allows them.",
    )

    @field_validator("allowed_modules", "private_hosts")
    @classmethod
    def _sorted_once(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


async def get_settings(session: AsyncSession) -> ForgeSettings:
    """The stored settings over the defaults; keys this version does not know are ignored."""
    rows = (await session.scalars(select(Setting))).all()
    stored = {row.key: row.value for row in rows if row.key in ForgeSettings.model_fields}
    return ForgeSettings.model_validate(stored)


async def update_settings(session: AsyncSession, actor: Actor, **changes: Any) -> ForgeSettings:
    """Change settings (admins only); every bad field is reported at once, nothing half-written."""
    if not actor.is_admin:
        raise ForbiddenError("only an admin can change settings")
    current = await get_settings(session)
    updated = _validated(current, changes)
    changed = {
        key: getattr(updated, key)
        for key in changes
        if getattr(updated, key) != getattr(current, key)
    }
    await _store(session, actor, changed)
    if changed:
        record_activity(
            session,
            actor,
            "settings.updated",
            target_kind="settings",
            details={"changes": changed},
        )
        queue_event(session, EventKind.SETTINGS_CHANGED, {"keys": ",".join(sorted(changed))})
    await session.flush()
    return updated


async def grant_global_modules(session: AsyncSession, actor: Actor, modules: Iterable[str]) -> None:
    """Add modules to the global allow-list once a grant was decided (by an admin or policy).

    The caller owns the decision and its activity record; this only writes and announces it.
    """
    current = await get_settings(session)
    merged = sorted(set(current.allowed_modules) | {check_module(name) for name in modules})
    if merged != current.allowed_modules:
        await _store(session, actor, {"allowed_modules": merged})
        queue_event(session, EventKind.SETTINGS_CHANGED, {"keys": "allowed_modules"})
        await session.flush()


def _validated(current: ForgeSettings, changes: dict[str, Any]) -> ForgeSettings:
    problems = [
        FieldError(key, "unknown setting")
        for key in changes
        if key not in ForgeSettings.model_fields
    ]
    try:
        updated = ForgeSettings.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        problems += [
            FieldError(
                _field_name(error["loc"]),
                str(error["msg"]).removeprefix("Value error, "),
            )
            for error in exc.errors()
            if error["type"] != "extra_forbidden"
        ]
        updated = current
    if problems:
        raise InvalidInputError.of_fields("invalid settings", problems)
    return updated


def _field_name(location: tuple[int | str, ...]) -> str:
    """`allowed_modules[1]` for an item of a list, the field name otherwise."""
    return "".join(f"[{part}]" if isinstance(part, int) else str(part) for part in location)


async def _store(session: AsyncSession, actor: Actor, values: dict[str, Any]) -> None:
    for key, value in values.items():
        row = await session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value, updated_by=actor.name))
        else:
            row.value = value
            row.updated_by = actor.name
