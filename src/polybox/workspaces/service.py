"""The rules of .NET workspaces: owners, caps, names, idle cleanup, and why one stopped.

One `WorkspaceService` per Instance. A workspace is a row in `workspaces` (kept after it stops,
so its owner's next call can say when and why) and, while it runs, a `WorkspaceRuntime` held in
this process's memory. Rows carry the instance label (`instance_label`): nothing here reads or
changes another installation's rows. The Box of a running row lives in exactly one process; a
process on the same data dir that does not hold it says so instead of acting on it.

Every call on a workspace goes through `_use`: owner check (admins may act on any), status check
(the "stopped by an admin at 12:03 UTC" errors), and `last_used_at` touched, in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.events import EventBus, EventKind
from polybox.forge.actors import SYSTEM, Actor, admin
from polybox.forge.unit import queue_event, record_activity, transaction
from polybox.jobs import PeriodicJob
from polybox.logs import get_logger
from polybox.sandbox.box import BoxBackend, BoxError, FileInfo
from polybox.store.enums import StopReason, WorkspaceStatus
from polybox.store.models import Workspace
from polybox.store.types import utcnow
from polybox.workspaces import metrics
from polybox.workspaces import store as rows
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.files import list_tree, read_file, write_file
from polybox.workspaces.models import ProcessView, WorkspaceRuntime, WorkspaceView

_log = get_logger("polybox.workspaces")

Files = list[FileInfo]
Views = list[WorkspaceView]  # (the service's `list` method hides the builtin in its body)
OpenWorkspace = Callable[[str, str, str], Awaitable[WorkspaceRuntime]]
"""Makes the runtime half of a new workspace: (version, template, project name)."""

TEMPLATES = ("console", "webapi", "classlib", "worker", "xunit")
_PROJECT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_MAX_NAME = 64
_NEW_ONE = "create a new one with dotnet_create_project"
_LIST = "dotnet_list_containers lists your workspaces and their status."
AN_ADMIN = admin("admin")  # the admin side's actor when the API names none


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
    return f"{row.id} was {why}; {_NEW_ONE}"


@dataclass
class LiveWorkspace:
    """A running workspace held by this process."""

    runtime: WorkspaceRuntime
    processes: dict[str, ProcessView] = field(default_factory=dict)


class IdleSweep(PeriodicJob):
    """Runs `WorkspaceService.sweep_idle` every tenth of the idle timeout (at most a minute)."""

    name = "workspace-idle"

    def __init__(self, service: WorkspaceService, interval: float) -> None:
        super().__init__(interval=interval)
        self.service = service

    async def run_pass(self) -> None:
        await self.service.sweep_idle()


class WorkspaceService:
    """Workspaces of one instance; `start()` it with the Instance and `close()` it at shutdown."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        events: EventBus | None,
        settings: Settings,
        backend: BoxBackend | None,
        open_workspace: OpenWorkspace | None,
        *,
        instance: str,
    ) -> None:
        self.sessions = sessions
        self.events = events
        self.settings = settings
        self.backend = backend
        self.instance = instance
        self._open = open_workspace
        self._live: dict[str, LiveWorkspace] = {}
        self._starting: set[str] = set()
        self._admission = asyncio.Lock()  # caps: count and reserve as one step in this process
        timeout = settings.dotnet_workspace_idle_timeout_seconds
        self.idle_job = IdleSweep(self, interval=min(timeout / 10, 60.0))

    # --- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Mark running rows whose Box is gone as stopped (restart), then start the idle job.

        A process without a sandbox backend (a CLI command) holds no Boxes and cannot tell a
        sibling's live Box from a gone one: it leaves the rows alone and runs no idle job.
        """
        if self.backend is None:
            return
        async with transaction(self.sessions, self.events) as session:
            running = await rows.listed(session, self.instance, statuses=(WorkspaceStatus.RUNNING,))
            gone = [row for row in running if self._orphaned(row)]
            for row in gone:
                self._retire_row(session, row, WorkspaceStatus.STOPPED, StopReason.RESTART, SYSTEM)
        if gone:
            _log.info("workspaces whose Box is gone marked stopped", count=len(gone))
        self.idle_job.start()

    async def close(self) -> None:
        """Stop the idle job and every workspace this process holds (reason: restart)."""
        await self.idle_job.close()
        for workspace_id in list(self._live):
            with contextlib.suppress(WorkspaceError):  # no row left to record it in
                await self._retire(
                    workspace_id, WorkspaceStatus.STOPPED, StopReason.RESTART, SYSTEM
                )
            await self._close_live(workspace_id)

    # --- the LLM side (owner-checked) ------------------------------------------------------

    async def create(self, actor: Actor, template: str, version: str, name: str) -> WorkspaceView:
        """A new running workspace of `template` on .NET `version`, its project called `name`."""
        opener = self._require_runtime()
        _check_request(self.settings, template, version, name)
        owner = owner_of(actor)
        async with self._admission:
            workspace_id = await self._reserve(owner, version, template, name)
        self._starting.add(workspace_id)
        try:
            runtime = await opener(version, template, name)
        except BaseException as exc:
            await self._forget(workspace_id)
            if isinstance(exc, BoxError):
                raise WorkspaceError(
                    "create_failed",
                    f"the workspace could not be created: {exc}",
                    ("`polybox doctor` says what the host lacks, if anything.",),
                ) from exc
            raise
        finally:
            self._starting.discard(workspace_id)
        self._live[workspace_id] = LiveWorkspace(runtime)
        async with transaction(self.sessions, self.events) as session:
            row = await self._row(session, workspace_id)
            row.box_id = runtime.box.id
            row.project = runtime.project
            record_activity(
                session,
                actor,
                "workspace.created",
                target_kind="workspace",
                target_id=workspace_id,
                details={"owner": owner, "version": version, "template": template},
            )
            queue_event(session, EventKind.WORKSPACE_STARTED, {"id": workspace_id})
            view = self._view(row)
        metrics.workspace_started(version)
        return view

    async def list(self, actor: Actor) -> Views:
        """The caller's workspaces (all of the instance for admins), running and stopped."""
        owner = None if sees_all(actor) else owner_of(actor)
        async with self.sessions() as session:
            return [
                self._view(row) for row in await rows.listed(session, self.instance, owner=owner)
            ]

    async def stop(self, actor: Actor, workspace_id: str) -> WorkspaceView:
        """Stop one workspace (reason "client", or "admin" when an admin does); idempotent."""
        async with self.sessions() as session:
            row = await self._owned(session, actor, workspace_id)
            if row.status is not WorkspaceStatus.RUNNING:
                return self._view(row)
        reason = StopReason.ADMIN if sees_all(actor) else StopReason.CLIENT
        return await self._retire(workspace_id, WorkspaceStatus.STOPPED, reason, actor)

    async def cleanup_all(self, actor: Actor) -> int:
        """Clean up the caller's workspaces (every one of the instance for an admin)."""
        owner = None if sees_all(actor) else owner_of(actor)
        return await self._cleanup(actor, owner)

    async def files(self, actor: Actor, workspace_id: str, path: str = ".") -> Files:
        """The tree under `path` (inside /workspace), with sizes."""
        live = await self._use(actor, workspace_id)
        return await list_tree(live.runtime.box, path)

    async def read_file(self, actor: Actor, workspace_id: str, path: str) -> bytes:
        """A file of the workspace (`path` inside /workspace)."""
        live = await self._use(actor, workspace_id)
        return await read_file(live.runtime.box, path)

    async def write_file(self, actor: Actor, workspace_id: str, path: str, data: bytes) -> None:
        """Create or overwrite a file of the workspace (`path` inside /workspace)."""
        live = await self._use(actor, workspace_id)
        await write_file(live.runtime.box, path, data)

    # --- the admin side (the admin API checks the caller) ----------------------------------

    async def list_all(self) -> Views:
        """Every workspace of the instance, running and stopped."""
        async with self.sessions() as session:
            return [self._view(row) for row in await rows.listed(session, self.instance)]

    async def detail(self, workspace_id: str) -> WorkspaceView:
        """One workspace of the instance, in any status."""
        async with self.sessions() as session:
            return self._view(await self._row(session, workspace_id))

    async def admin_files(self, workspace_id: str, path: str = ".") -> Files:
        return await list_tree(self._held(await self.detail(workspace_id)).runtime.box, path)

    async def admin_read_file(self, workspace_id: str, path: str) -> bytes:
        return await read_file(self._held(await self.detail(workspace_id)).runtime.box, path)

    async def admin_stop(self, workspace_id: str, by: Actor = AN_ADMIN) -> WorkspaceView:
        """Stop any workspace; its owner's next call says it was stopped by an admin.

        `by` names the admin in the activity log."""
        view = await self.detail(workspace_id)
        if view.status != WorkspaceStatus.RUNNING:
            return view
        return await self._retire(workspace_id, WorkspaceStatus.STOPPED, StopReason.ADMIN, by)

    async def admin_cleanup_all(self, by: Actor = AN_ADMIN) -> int:
        """Clean up every workspace of the instance; `by` names the admin in the activity log."""
        return await self._cleanup(by, None)

    # --- the idle job ----------------------------------------------------------------------

    async def sweep_idle(self) -> int:
        """One pass of the idle job; returns how many running workspaces it cleaned up.

        Cleans up running workspaces unused for the idle timeout; forgets (cleans) stopped rows
        that long after they stopped; closes workspaces this process holds whose row another
        process stopped; marks running rows whose Box is gone (a crashed sibling) stopped.
        """
        before = utcnow() - timedelta(seconds=self.settings.dotnet_workspace_idle_timeout_seconds)
        async with transaction(self.sessions, self.events) as session:
            for row in await rows.idle_since(
                session, self.instance, WorkspaceStatus.STOPPED, before
            ):
                row.status = WorkspaceStatus.CLEANED
            running = await rows.listed(session, self.instance, statuses=(WorkspaceStatus.RUNNING,))
            idle = [row.id for row in running if row.last_used_at < before and row.id in self._live]
            for row in running:
                if self._orphaned(row):
                    self._retire_row(
                        session, row, WorkspaceStatus.STOPPED, StopReason.RESTART, SYSTEM
                    )
            stale = set(self._live) - {row.id for row in running}
        for workspace_id in stale:
            await self._close_live(workspace_id)
        cleaned = 0
        for workspace_id in idle:
            view = await self._retire(
                workspace_id, WorkspaceStatus.CLEANED, StopReason.IDLE, SYSTEM, if_idle=before
            )
            cleaned += view.status == WorkspaceStatus.CLEANED
        return cleaned

    # --- internals -------------------------------------------------------------------------

    def _require_runtime(self) -> OpenWorkspace:
        if self._open is None:
            raise WorkspaceError(
                "unavailable",
                "this polybox process has no sandbox to run .NET workspaces in",
                ("`polybox doctor` tells what the host lacks and how to fix it.",),
            )
        return self._open

    async def _reserve(self, owner: str, version: str, template: str, name: str) -> str:
        """Check the caps and insert the running row; returns the new workspace's id."""
        settings = self.settings
        async with transaction(self.sessions, None) as session:
            running = await rows.count_owned(
                session, self.instance, owner, (WorkspaceStatus.RUNNING,)
            )
            if running >= settings.dotnet_workspace_max_running_per_client:
                raise WorkspaceError(
                    "limit",
                    f"{owner} already has {running} running workspaces, the most "
                    "dotnet_workspace_max_running_per_client allows on this server",
                    ("Stop one with dotnet_stop_container first.", _LIST),
                )
            existing = await rows.count_owned(session, self.instance, owner, rows.EXISTING)
            if existing >= settings.dotnet_workspace_max_per_client:
                raise WorkspaceError(
                    "limit",
                    f"{owner} already has {existing} workspaces (running or stopped), the most "
                    "dotnet_workspace_max_per_client allows on this server",
                    ("dotnet_cleanup_all removes your stopped ones.", _LIST),
                )
            now = utcnow()
            workspace_id = f"dotnet{version}-{template}-{secrets.token_hex(3)}"
            while await session.get(Workspace, workspace_id) is not None:
                workspace_id = f"dotnet{version}-{template}-{secrets.token_hex(3)}"
            session.add(
                Workspace(
                    id=workspace_id,
                    instance=self.instance,
                    owner=owner,
                    version=version,
                    template=template,
                    project=f"{name}.csproj",
                    status=WorkspaceStatus.RUNNING,
                    created_at=now,
                    last_used_at=now,
                    ports=[],
                )
            )
        return workspace_id

    async def _forget(self, workspace_id: str) -> None:
        """Drop the reserved row of a workspace whose creation failed."""
        async with transaction(self.sessions, None) as session:
            row = await rows.get(session, self.instance, workspace_id)
            if row is not None:
                await session.delete(row)

    async def _row(self, session: AsyncSession, workspace_id: str) -> Workspace:
        row = await rows.get(session, self.instance, workspace_id)
        if row is None:
            raise WorkspaceError(
                "not_found", f"no workspace {workspace_id!r} on this server", (_LIST,)
            )
        return row

    async def _owned(self, session: AsyncSession, actor: Actor, workspace_id: str) -> Workspace:
        """The row, if `actor` may act on it; another client's workspace is "not found"."""
        row = await rows.get(session, self.instance, workspace_id)
        if row is None or not (sees_all(actor) or row.owner == owner_of(actor)):
            raise WorkspaceError(
                "not_found", f"you have no workspace {workspace_id!r} on this server", (_LIST,)
            )
        return row

    async def _use(self, actor: Actor, workspace_id: str) -> LiveWorkspace:
        """The running workspace `actor` may use, its `last_used_at` touched; else why not."""
        async with transaction(self.sessions, self.events) as session:
            row = await self._owned(session, actor, workspace_id)
            if row.status is WorkspaceStatus.RUNNING:
                row.last_used_at = utcnow()
        if row.status is not WorkspaceStatus.RUNNING:
            await self._close_live(workspace_id)  # another process stopped it
            raise WorkspaceError("workspace_stopped", gone_message(row), (_LIST,))
        return self._held(self._view(row))

    def _held(self, view: WorkspaceView) -> LiveWorkspace:
        """The live workspace of a running row, or why this process cannot act on it."""
        live = self._live.get(view.id)
        if live is not None:
            return live
        if view.id in self._starting:
            raise WorkspaceError(
                "busy", f"{view.id} is still being created", ("Call again in a few seconds.",)
            )
        if view.status != WorkspaceStatus.RUNNING:
            raise WorkspaceError("workspace_stopped", f"{view.id} is {view.status}", (_LIST,))
        raise WorkspaceError(
            "elsewhere",
            f"{view.id} runs in another polybox process on this data dir, not in this one",
            ("Call it through the process that created it (the same MCP endpoint).",),
        )

    async def _cleanup(self, actor: Actor, owner: str | None) -> int:
        reason = StopReason.ADMIN if sees_all(actor) else StopReason.CLIENT
        async with transaction(self.sessions, self.events) as session:
            found = await rows.listed(session, self.instance, owner=owner)
            running = [row.id for row in found if row.status is WorkspaceStatus.RUNNING]
            for row in found:
                if row.status is WorkspaceStatus.STOPPED:
                    row.status = WorkspaceStatus.CLEANED
        for workspace_id in running:
            await self._retire(workspace_id, WorkspaceStatus.CLEANED, reason, actor)
        return len(found)

    async def _retire(
        self,
        workspace_id: str,
        status: WorkspaceStatus,
        reason: StopReason,
        actor: Actor,
        *,
        if_idle: datetime | None = None,
    ) -> WorkspaceView:
        """Mark the row stopped/cleaned (first, so no call starts on it), then close its Box.

        With `if_idle`, only a row still unused since then is retired (a call may have come).
        """
        async with transaction(self.sessions, self.events) as session:
            row = await self._row(session, workspace_id)
            if row.status is WorkspaceStatus.RUNNING and (
                if_idle is None or row.last_used_at < if_idle
            ):
                self._retire_row(session, row, status, reason, actor)
            view = self._view(row)
        if view.status != WorkspaceStatus.RUNNING:
            await self._close_live(workspace_id)
        return view

    def _retire_row(
        self,
        session: AsyncSession,
        row: Workspace,
        status: WorkspaceStatus,
        reason: StopReason,
        actor: Actor,
    ) -> None:
        """Record the stop in the row, the activity log, the event bus and the metrics."""
        now = utcnow()
        idle_minutes = round((now - row.last_used_at).total_seconds() / 60)
        rows.mark(row, status, reason, now)
        action = (
            "workspace.cleaned_up" if status is WorkspaceStatus.CLEANED else "workspace.stopped"
        )
        record_activity(
            session,
            actor,
            action,
            target_kind="workspace",
            target_id=row.id,
            details={"owner": row.owner, "reason": reason.value, "idle_minutes": idle_minutes},
        )
        queue_event(session, EventKind.WORKSPACE_STOPPED, {"id": row.id, "reason": reason.value})
        if row.id in self._live:  # the metrics count only what this process started
            metrics.workspace_stopped(row.version, reason.value)

    async def _close_live(self, workspace_id: str) -> None:
        live = self._live.pop(workspace_id, None)
        if live is not None:
            await live.runtime.close()

    def _orphaned(self, row: Workspace) -> bool:
        """A running row no process holds: not ours, and its Box is gone."""
        return (
            row.id not in self._live and row.id not in self._starting and not self._box_exists(row)
        )

    def _box_exists(self, row: Workspace) -> bool:
        return (
            self.backend is not None
            and row.box_id is not None
            and self.backend.box_exists(row.box_id)
        )

    def _view(self, row: Workspace) -> WorkspaceView:
        live = self._live.get(row.id) if row.status is WorkspaceStatus.RUNNING else None
        return WorkspaceView(
            id=row.id,
            owner=row.owner,
            version=row.version,
            template=row.template,
            project=row.project,
            status=row.status.value,
            stop_reason=None if row.stop_reason is None else row.stop_reason.value,
            stopped_at=row.stopped_at,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            idle_seconds=max((utcnow() - row.last_used_at).total_seconds(), 0.0),
            ports=list(row.ports),
            processes=[] if live is None else list(live.processes.values()),
            cpu_seconds=None,
            memory_bytes=None,
            disk_bytes=None,
        )


def _check_request(settings: Settings, template: str, version: str, name: str) -> None:
    """Refuse an unknown template, a version this server does not run, or a bad project name."""
    problems: list[str] = []
    if template not in TEMPLATES:
        problems.append(f"template {template!r} is not one of {', '.join(TEMPLATES)}")
    if version not in settings.dotnet_versions:
        enabled = ", ".join(settings.dotnet_versions)
        problems.append(f".NET {version!r} is not enabled here; use one of {enabled}")
    if len(name) > _MAX_NAME or not _PROJECT_NAME.fullmatch(name):
        problems.append(
            f"project name {name!r}: use 1-{_MAX_NAME} letters, digits and '_', dot-separated "
            "parts each starting with a letter or '_' (e.g. TodoApi, My.Tools)"
        )
    if problems:
        raise WorkspaceError("invalid_arguments", "; ".join(problems))
