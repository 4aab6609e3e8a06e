"""Runtime settings of the forge, changed by admins and stored one row per key.

Absent rows mean the default, so adding a setting needs no migration and a store written by an
older polybox keeps working. Startup settings (ports, paths, the sandbox) live in config.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.events import EventKind
from polybox.forge.actors import Actor
from polybox.forge.allowlists import EntryError, check_module, parse_host_entry
from polybox.forge.errors import FieldError, ForbiddenError, InvalidInputError, NotFoundError
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


def _webhook_url(text: str) -> str:
    if not text:
        return text
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:  # IDNA errors are ValueErrors
        raise ValueError(f"not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host or any(c.isspace() for c in text):
        raise ValueError("give an http:// or https:// URL, or an empty text for no webhook")
    return text


ApprovalMode = Literal["require_approval", "auto_approve"]
NetworkPolicy = Literal["require_approval", "allow_all_public"]
RemoteEditing = Literal["all", "read_only", "none"]
RetentionDays = Annotated[int, Field(ge=1, le=3650)]
ModuleName = Annotated[str, AfterValidator(_module)]
PrivateHost = Annotated[str, AfterValidator(_private_host)]
AlertFormat = Literal["generic", "slack", "discord"]
WebhookUrl = Annotated[str, Field(max_length=2000), AfterValidator(_webhook_url)]
Percent = Annotated[int, Field(ge=1, le=100)]
Minutes = Annotated[int, Field(ge=1, le=10_080)]  # up to a week


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
    network_access_policy: NetworkPolicy = Field(
        default="require_approval",
        description="`allow_all_public`: requests for public hosts are granted without an admin.",
    )
    remote_tool_editing: RemoteEditing = Field(
        default="all",
        description=(
            "Management tools remote MCP clients may call: all, read_only (list, get, validate, "
            "status, logs) or none."
        ),
    )
    redact_secrets_in_output: bool = Field(
        default=True, description="Replace secret values in tool results, output and logs."
    )
    log_retention_days: RetentionDays = Field(
        default=30,
        description="Execution and activity logs older than this are deleted.",
    )
    test_before_approval: bool = Field(
        default=False,
        description="Allow polybox_test_code on code that is not approved yet, for every client "
        "(remote ones too).",
    )
    local_test_before_approval: bool = Field(
        default=True,
        description="Allow local clients (stdio, loopback) polybox_test_code on code that is not "
        "approved yet, so the forge loop (write, test, fix, publish) works out of the box. Test "
        "runs see secrets only as stand-ins, never raw ones.",
    )
    allowed_modules: list[ModuleName] = Field(
        default_factory=lambda: sorted(DEFAULT_ALLOWED_MODULES),
        description="Modules every server's tools may import.",
    )
    private_hosts: list[PrivateHost] = Field(
        default_factory=list,
        description="Private or loopback hosts tools may reach when their server allows them.",
    )

    # --- alerts (alerts/): a webhook told about ongoing problems -------------------------------
    alerts_enabled: bool = Field(
        default=False, description="Send alerts to `alert_webhook_url` (names and counts only)."
    )
    alert_webhook_url: WebhookUrl = Field(
        default="", description="Where alerts are POSTed; empty for none."
    )
    alert_format: AlertFormat = Field(
        default="generic",
        description="Body of an alert: generic JSON, a Slack or a Discord webhook message.",
    )
    alert_failure_rate_percent: Percent = Field(
        default=50,
        description="Alert when this share of a tool's calls failed in the window (5 calls min).",
    )
    alert_failure_window_minutes: Minutes = Field(
        default=15, description="The window the failure rate is measured over."
    )
    alert_approval_wait_minutes: Minutes = Field(
        default=60, description="Alert when a tool, module or host waits this long for review."
    )
    alert_cooldown_minutes: Minutes = Field(
        default=60, description="Repeat an alert for the same ongoing problem at most this often."
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
    await store_values(session, actor, changed)
    if changed:
        record_activity(
            session,
            actor,
            "settings.updated",
            target_kind="settings",
            details={"changes": {key: _shown(key, value) for key, value in changed.items()}},
        )
        queue_event(session, EventKind.SETTINGS_CHANGED, {"keys": ",".join(sorted(changed))})
    await session.flush()
    return updated


class SettingsProfile(BaseModel):
    """A named security posture: the policy settings it sets at once (others stay as they are)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Literal["strict", "balanced", "permissive"]
    description: str
    settings: dict[str, Any]
    active: bool = False  # every setting of the profile has its value now


_BALANCED = {
    key: ForgeSettings.model_fields[key].default
    for key in (
        "tool_approval_mode",
        "module_approval_mode",
        "network_access_policy",
        "remote_tool_editing",
        "redact_secrets_in_output",
        "test_before_approval",
        "local_test_before_approval",
    )
}
PROFILES: dict[str, SettingsProfile] = {
    profile.name: profile
    for profile in (
        SettingsProfile(
            name="strict",
            description="An admin approves every tool, module and host; remote clients may not "
            "use the management tools; nothing unapproved is run, even as a test.",
            settings=_BALANCED
            | {"remote_tool_editing": "none", "local_test_before_approval": False},
        ),
        SettingsProfile(
            name="balanced",
            description="The defaults: an admin approves tools, modules and hosts; local "
            "clients may test code before approval; remote clients may build tools for review.",
            settings=_BALANCED,
        ),
        SettingsProfile(
            name="permissive",
            description="Tools and modules are approved automatically and public hosts are "
            "granted on request; code may be tested before approval. Secrets stay redacted.",
            settings=_BALANCED
            | {
                "tool_approval_mode": "auto_approve",
                "module_approval_mode": "auto_approve",
                "network_access_policy": "allow_all_public",
                "test_before_approval": True,
            },
        ),
    )
}


async def list_profiles(session: AsyncSession) -> list[SettingsProfile]:
    """The profiles with their values, marking those the current settings match."""
    current = (await get_settings(session)).model_dump()
    return [
        profile.model_copy(
            update={"active": all(current[k] == v for k, v in profile.settings.items())}
        )
        for profile in PROFILES.values()
    ]


async def apply_profile(session: AsyncSession, actor: Actor, name: str) -> ForgeSettings:
    """Set every setting of profile `name` (admins only); NotFoundError naming the profiles."""
    profile = PROFILES.get(name)
    if profile is None:
        raise NotFoundError(f"no settings profile {name!r}; choose one of {', '.join(PROFILES)}")
    return await update_settings(session, actor, **profile.settings)


async def grant_global_modules(session: AsyncSession, actor: Actor, modules: Iterable[str]) -> None:
    """Add modules to the global allow-list once a grant was decided (by an admin or policy).

    The caller owns the decision and its activity record; this only writes and announces it.
    """
    current = await get_settings(session)
    merged = sorted(set(current.allowed_modules) | {check_module(name) for name in modules})
    if merged != current.allowed_modules:
        await store_values(session, actor, {"allowed_modules": merged})
        queue_event(session, EventKind.SETTINGS_CHANGED, {"keys": "allowed_modules"})
        await session.flush()


async def grant_private_hosts(session: AsyncSession, actor: Actor, hosts: Iterable[str]) -> None:
    """Add hosts to `private_hosts` (an admin allowing a private host for a server), recorded."""
    current = (await get_settings(session)).private_hosts
    merged = sorted(set(current) | set(hosts))
    if merged != current:
        await update_settings(session, actor, private_hosts=merged)


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
                field_name(error["loc"]),
                str(error["msg"]).removeprefix("Value error, "),
            )
            for error in exc.errors()
            if error["type"] != "extra_forbidden"
        ]
        updated = current
    if problems:
        raise InvalidInputError.of_fields("invalid settings", problems)
    return updated


# A webhook URL is a credential (Slack and Discord put the token in the path): the activity log
# says it changed, not what it is.
_CONCEALED = frozenset({"alert_webhook_url"})


def _shown(key: str, value: Any) -> Any:
    return "(changed)" if key in _CONCEALED and value else value


def field_name(location: tuple[int | str, ...]) -> str:
    """`allowed_modules[1]` for an item of a list, the field name otherwise."""
    return "".join(f"[{part}]" if isinstance(part, int) else str(part) for part in location)


async def store_values(session: AsyncSession, actor: Actor, values: dict[str, Any]) -> None:
    """Write settings rows as they are (validated by the caller), naming who changed them."""
    for key, value in values.items():
        row = await session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value, updated_by=actor.name))
        else:
            row.value = value
            row.updated_by = actor.name
