""".NET settings an admin changes while polybox runs (Settings -> .NET, `/api/settings/dotnet`).

Every .NET setting starts as a startup setting (config.py: environment, TOML file, default). An
admin's change to one of the `LIVE` ones is stored in the forge's `settings` table under the
same name and wins over the startup value; a reset deletes the row and the startup value is back.
Processes read the stored changes when they need a setting, so a change reaches the next call on
every replica: caps, timeouts and enabled versions at once, limits with the next workspace or
snippet run (a running workspace keeps the limits it started with), a newly pre-warmed version's
compile server starts warming in the process that reads the change first.

The compile servers' limits and the tool sets stay startup settings: they shape processes that
live as long as polybox and the tool list clients cached.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit, urlunsplit

import annotated_types
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import RUN_TIME_SETTINGS, Settings, env_name
from polybox.forge.actors import Actor
from polybox.forge.errors import FieldError, ForbiddenError, InvalidInputError, NotFoundError
from polybox.forge.schemas import Out
from polybox.forge.settings import field_name, store_values
from polybox.forge.unit import record_activity
from polybox.sandbox.dotnet import DotnetConfig, DotnetRuntime
from polybox.store.models import Setting

logger = logging.getLogger(__name__)

SHOWN_PREFIXES = ("dotnet_", "mcp_tool_sets")
"""The settings the .NET section shows: every `dotnet_*` one, and the tool sets."""

LIVE = RUN_TIME_SETTINGS

PATCH_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "Any of the settings changeable at run time, with new values.",
                "properties": {
                    name: {
                        key: value
                        for key, value in schema.items()
                        if key not in ("default", "title")
                    }
                    for name, schema in Settings.model_json_schema()["properties"].items()
                    if name in LIVE
                },
                "additionalProperties": False,
            }
        }
    },
}
"""The OpenAPI request body of `PATCH /api/settings/dotnet`, from the settings' own schema."""

MASK = "***@"
"""Stands for a feed URL's user and password wherever the URL is shown."""

SettingKind = Literal["integer", "number", "string", "choices"]


class DotnetSettingOut(Out):
    """One .NET setting: its value now, where it comes from, and how it may be changed."""

    name: str
    env: str  # the variable that sets its startup value
    value: Any  # in effect now
    startup_value: Any  # what a reset brings back: environment, TOML file or default
    editable: bool  # changeable here at run time; else set `env` and restart
    overridden: bool  # an admin's change is in effect
    description: str
    kind: SettingKind  # "choices": a list of some of `choices`
    choices: list[str] | None
    minimum: float | None
    maximum: float | None
    exclusive_minimum: bool  # the value must be above `minimum`, not equal to it


async def stored_changes(session: AsyncSession) -> dict[str, Any]:
    """The admins' changes in the store, by setting name."""
    rows = await session.scalars(select(Setting).where(Setting.key.in_(LIVE)))
    return {row.key: row.value for row in rows}


def effective(startup: Settings, changes: Mapping[str, Any]) -> Settings:
    """The startup settings with `changes` over them, validated as a whole.

    A stored change that no longer fits (a later start lowered a limit it must stay under) is
    left out and logged, and the others kept, so one stale row never takes the .NET tools down.
    """
    try:
        return _over(startup, changes)
    except ValidationError:
        pass
    kept: dict[str, Any] = {}
    for name, value in changes.items():
        try:
            _over(startup, {**kept, name: value})
        except ValidationError as exc:
            logger.warning("the stored .NET setting %s no longer fits; ignored: %s", name, exc)
            continue
        kept[name] = value
    return _over(startup, kept)


def _over(startup: Settings, changes: Mapping[str, Any]) -> Settings:
    return Settings.model_validate({**startup.model_dump(), **changes}) if changes else startup


class LiveSettings:
    """The settings in effect now for one process, read from the store on every use.

    Validating the whole settings costs about 2 ms, so the last result is kept for as long as
    the stored changes stay the same; reading them is one small query.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        startup: Settings,
        dotnet: DotnetRuntime | None = None,
    ) -> None:
        self.sessions = sessions
        self.startup = startup
        self.dotnet = dotnet
        self._last: tuple[str, Settings] = ("{}", startup)

    async def current(self) -> Settings:
        """The settings now; the .NET runtime is given any change before this returns."""
        async with self.sessions() as session:
            changes = await stored_changes(session)
        key = json.dumps(changes, sort_keys=True)
        if key != self._last[0]:
            self._last = (key, effective(self.startup, changes))
        settings = self._last[1]
        if self.dotnet is not None:
            self.dotnet.reconfigure(DotnetConfig.from_settings(settings))
        return settings

    async def code_retention_days(self) -> int:
        """Days snippet code is kept now (the log retention job asks on every pass)."""
        return (await self.current()).dotnet_snippet_code_retention_days


async def describe(session: AsyncSession, startup: Settings) -> list[DotnetSettingOut]:
    """Every .NET setting in its documented order, with its value now and its startup value."""
    changes = await stored_changes(session)
    now = effective(startup, changes)
    return [
        DotnetSettingOut(
            name=name,
            env=env_name(name),
            value=_shown(name, getattr(now, name)),
            startup_value=_shown(name, getattr(startup, name)),
            editable=name in LIVE,
            overridden=name in changes,
            description=field.description or "",
            **_kind(field.annotation),
            **_bounds(field.metadata),
        )
        for name, field in Settings.model_fields.items()
        if name.startswith(SHOWN_PREFIXES)
    ]


async def update(
    session: AsyncSession, actor: Actor, startup: Settings, changes: Mapping[str, Any]
) -> list[DotnetSettingOut]:
    """Change .NET settings (admins only): every bad field reported at once, nothing half-written.

    A value equal to the startup value is stored all the same: the admin chose it, and a later
    start with another startup value must not change it behind their back.
    """
    _require_admin(actor)
    problems = [_not_live(name) for name in changes if name not in LIVE]
    feed = changes.get("dotnet_nuget_source")
    if isinstance(feed, str) and MASK in feed:
        problems.append(
            FieldError(
                "dotnet_nuget_source",
                "this is the feed URL as shown here, its user and password masked; type the "
                "whole URL with them, or leave the feed unchanged",
            )
        )
    stored = await stored_changes(session)
    current = effective(startup, stored)
    wanted = {name: value for name, value in changes.items() if name in LIVE}
    try:
        updated = _over(current, wanted)
    except ValidationError as exc:
        problems += [
            FieldError(field_name(error["loc"]), str(error["msg"]).removeprefix("Value error, "))
            for error in exc.errors()
        ]
    if problems:
        raise InvalidInputError.of_fields("invalid .NET settings", problems)
    values = {name: updated.model_dump(mode="json", include={name})[name] for name in wanted}
    changed = {name: value for name, value in values.items() if stored.get(name) != value}
    await store_values(session, actor, changed)
    if changed:
        _record(session, actor, {name: _shown(name, value) for name, value in changed.items()})
    await session.flush()
    return await describe(session, startup)


async def reset(
    session: AsyncSession, actor: Actor, startup: Settings, name: str
) -> list[DotnetSettingOut]:
    """Bring one .NET setting back to its startup value (admins only)."""
    _require_admin(actor)
    if name not in Settings.model_fields or not name.startswith(SHOWN_PREFIXES):
        raise NotFoundError(f"no .NET setting {name!r}; GET /api/settings/dotnet lists them")
    if name not in LIVE:
        raise InvalidInputError.of_fields("invalid .NET settings", [_not_live(name)])
    removed = await session.execute(delete(Setting).where(Setting.key == name))
    if getattr(removed, "rowcount", 0):
        _record(session, actor, {name: _shown(name, getattr(startup, name))}, reset=True)
    await session.flush()
    return await describe(session, startup)


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise ForbiddenError("only an admin can change settings")


def _not_live(name: str) -> FieldError:
    if name in Settings.model_fields and name.startswith(SHOWN_PREFIXES):
        return FieldError(
            name, f"a startup setting: set {env_name(name)} and restart polybox to change it"
        )
    return FieldError(name, "unknown .NET setting")


def _record(
    session: AsyncSession, actor: Actor, changes: dict[str, Any], reset: bool = False
) -> None:
    record_activity(
        session,
        actor,
        "settings.updated",
        target_kind="settings",
        details={"changes": changes, "section": "dotnet", **({"reset": True} if reset else {})},
    )


def _kind(annotation: Any) -> dict[str, Any]:
    """How a setting's value is typed: a number, a text, or a list of some of its choices."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return {"kind": "choices", "choices": list(get_args(item))}
    kind = {int: "integer", float: "number"}.get(annotation, "string")
    return {"kind": kind, "choices": None}


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    """`minimum`, `maximum` and `exclusive_minimum` of a number field, from its constraints."""
    bounds: dict[str, Any] = {"minimum": None, "maximum": None, "exclusive_minimum": False}
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["minimum"] = item.ge
        elif isinstance(item, annotated_types.Gt):
            bounds.update(minimum=item.gt, exclusive_minimum=True)
        elif isinstance(item, annotated_types.Le):
            bounds["maximum"] = item.le
    return bounds


def _shown(name: str, value: Any) -> Any:
    """A feed URL without the user and password it may carry."""
    if name == "dotnet_nuget_source" and isinstance(value, str):
        parts = urlsplit(value)
        if parts.username or parts.password:
            host = parts.hostname or ""
            netloc = f"{host}:{parts.port}" if parts.port else host
            return urlunsplit(parts._replace(netloc=f"{MASK}{netloc}"))
    return value
