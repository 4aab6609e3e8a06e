"""The workspace rules that need no Box: who owns what, who sees all, names, and why one stopped."""

from __future__ import annotations

import hashlib
import socket
from datetime import datetime

from polybox.config import Settings
from polybox.forge.actors import Actor
from polybox.sandbox.dotnet import InvalidProjectError
from polybox.sandbox.dotnet.templates import check_project
from polybox.store.enums import StopReason, WorkspaceStatus
from polybox.store.models import Workspace
from polybox.store.types import utcnow
from polybox.workspaces.errors import WorkspaceError

NEW_ONE = "create a new one with dotnet_create_project"


def instance_label(settings: Settings) -> str:
    """This installation's label on its rows: the same on every restart of this data dir on this
    host, different for replicas on other hosts that share one PostgreSQL."""
    seed = f"{socket.gethostname()}\0{settings.data_dir}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def owner_of(actor: Actor) -> str:
    """Who owns what `actor` creates: the MCP client id when known, else the actor's name."""
    return actor.client_id or actor.name


def sees_all(actor: Actor) -> bool:
    """Admins, and tokens with the admin scope, act on every workspace of the instance."""
    return actor.is_admin or (actor.scopes is not None and "admin" in actor.scopes)


def clock(at: datetime) -> str:
    """`12:03 UTC` today, `2026-12-05 12:03 UTC` on another day: how errors say when."""
    return f"{at:%H:%M} UTC" if at.date() == utcnow().date() else f"{at:%Y-%m-%d %H:%M} UTC"


def gone_message(row: Workspace) -> str:
    """Why the workspace of `row` no longer runs, and since when, in a sentence."""
    at = clock(row.stopped_at or row.last_used_at)
    verb = "cleaned up" if row.status is WorkspaceStatus.CLEANED else "stopped"
    match row.stop_reason:
        case StopReason.CLIENT:
            why = f"{verb} by its owner at {at}"
        case StopReason.ADMIN:
            why = f"{verb} by an admin at {at}"
        case StopReason.IDLE:
            idle = (row.stopped_at or row.last_used_at) - row.last_used_at
            why = f"{verb} at {at} after {round(idle.total_seconds() / 60)} min idle"
        case StopReason.RESTART:
            why = f"{verb} at {at} when polybox stopped or restarted"
        case _:
            why = f"{verb} at {at} after it hit a resource limit"
    return f"{row.id} was {why}; {NEW_ONE}"


def check_request(settings: Settings, template: str, version: str, name: str) -> None:
    """Refuse an unknown template, a bad project name, or a version this server does not run."""
    problems: list[str] = []
    try:
        check_project(template, name)
    except InvalidProjectError as exc:
        problems.append(str(exc))
    if version not in settings.dotnet_versions:
        enabled = ", ".join(settings.dotnet_versions)
        problems.append(f".NET {version!r} is not enabled here; use one of {enabled}")
    if problems:
        raise WorkspaceError("invalid_arguments", "; ".join(problems))
