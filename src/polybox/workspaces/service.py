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

import contextlib
import dataclasses
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
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
from polybox.sandbox.dotnet import (
    BuildResult,
    CommandResult,
    DotnetRuntime,
    DotnetWorkspace,
    PackageRef,
    TestRun,
    WorkspaceLimits,
)
from polybox.store.engine import lock_transaction
from polybox.store.enums import StopReason, WorkspaceStatus
from polybox.store.models import Workspace
from polybox.store.types import utcnow
from polybox.workspaces import metrics
from polybox.workspaces import store as rows
from polybox.workspaces.errors import WorkspaceError, dotnet_refusals
from polybox.workspaces.files import list_tree, read_file, write_file
from polybox.workspaces.live_settings import LiveSettings
from polybox.workspaces.models import (
    EndpointResponse,
    HostedApi,
    LogTail,
    ProcessView,
    WorkspaceRuntime,
    WorkspaceView,
)
from polybox.workspaces.processes import (
    FIRST_LINES,
    LiveProcess,
    LogFollower,
    ProcessTable,
    call,
    endpoint_url,
    log_text,
    wait_until_answering,
)
from polybox.workspaces.rules import (
    check_request,
    gone_message,
    owner_of,
    sees_all,
)
from polybox.workspaces.schemas import bounded_timeout

_log = get_logger("polybox.workspaces")

Files = list[FileInfo]
Views = list[WorkspaceView]  # (the service's `list` method hides the builtin in its body)
OpenWorkspace = Callable[[str, str, str, WorkspaceLimits], Awaitable[WorkspaceRuntime]]
"""Makes the runtime half of a new workspace: (version, template, project name, limits)."""

_LIST = "dotnet_list_containers lists your workspaces and their status."
AN_ADMIN = admin("admin")  # the admin side's actor when the API names none


def dotnet_workspaces(dotnet: DotnetRuntime) -> OpenWorkspace:
    """How production opens a workspace: a real `DotnetWorkspace` (Box, agent, project)."""

    async def open_workspace(
        version: str, template: str, name: str, limits: WorkspaceLimits
    ) -> WorkspaceRuntime:
        return await DotnetWorkspace.create(dotnet, version, template, name, limits)

    return open_workspace


@dataclass
class LiveWorkspace:
    """A running workspace held by this process."""

    runtime: WorkspaceRuntime
    processes: ProcessTable = field(default_factory=ProcessTable)

    async def close(self) -> None:
        await self.processes.close()
        await self.runtime.close()


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
        dotnet: DotnetRuntime | None,
        *,
        instance: str,
        open_workspace: OpenWorkspace | None = None,
        live: LiveSettings | None = None,
    ) -> None:
        """`open_workspace` defaults to real `DotnetWorkspace`s on `dotnet` (None: none run);
        `live` (the settings in effect now) to the admins' changes over `settings`, read
        without reconfiguring `dotnet` (the Instance's own `LiveSettings` does that)."""
        self.sessions = sessions
        self.events = events
        self.live = live or LiveSettings(sessions, settings)
        self.backend = backend
        self.dotnet = dotnet
        self.instance = instance
        if open_workspace is None and dotnet is not None:
            open_workspace = dotnet_workspaces(dotnet)
        self._open = open_workspace
        self._live: dict[str, LiveWorkspace] = {}
        self._starting: set[str] = set()
        self.idle_job = IdleSweep(self, interval=_sweep_interval(settings))

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
        settings = await self.live.current()
        check_request(settings, template, version, name)
        owner = owner_of(actor)
        workspace_id = await self._reserve(settings, owner, version, template, name)
        self._starting.add(workspace_id)
        try:
            with self._refusals():
                runtime = await opener(
                    version, template, name, WorkspaceLimits.from_settings(settings)
                )
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

    async def add_package(
        self, actor: Actor, workspace_id: str, package: PackageRef
    ) -> tuple[str, str]:
        """Add a NuGet package (through the broker) and restore; returns (id, version used)."""
        live = await self._use(actor, workspace_id)
        with self._refusals():
            return await live.runtime.add_package(package)

    async def build(
        self,
        actor: Actor,
        workspace_id: str,
        configuration: str = "Debug",
        timeout_s: float | None = None,
    ) -> BuildResult:
        """Build the project (Debug or Release), diagnostics parsed."""
        timeout = await self._timeout(timeout_s)
        live = await self._use(actor, workspace_id)
        return await self._build(live, configuration, timeout)

    async def run(
        self,
        actor: Actor,
        workspace_id: str,
        args: Sequence[str] = (),
        timeout_s: float | None = None,
    ) -> tuple[BuildResult, CommandResult | None]:
        """Build if anything changed, then run the app with `args` (None: the build failed)."""
        timeout = await self._timeout(timeout_s)
        live = await self._use(actor, workspace_id)
        with self._refusals():
            return await live.runtime.run(args, timeout)

    async def command(
        self, actor: Actor, workspace_id: str, argv: Sequence[str], timeout_s: float | None = None
    ) -> CommandResult:
        """Run a `dotnet …` command in /workspace (`dotnet test`, `dotnet format`, …)."""
        timeout = await self._timeout(timeout_s)
        live = await self._use(actor, workspace_id)
        with self._refusals():
            return await live.runtime.command(argv, timeout)

    async def test(
        self, actor: Actor, workspace_id: str, timeout_s: float | None = None
    ) -> TestRun:
        """Build and run the project's tests; results per test case."""
        timeout = await self._timeout(timeout_s)
        live = await self._use(actor, workspace_id)
        with self._refusals():
            return await live.runtime.test(timeout)

    async def run_background(
        self, actor: Actor, workspace_id: str, name: str, args: Sequence[str] = ()
    ) -> ProcessView:
        """Build, then start the app with `args` in the background as process `name`."""
        live = await self._use(actor, workspace_id)
        live.processes.check_free(name, None)
        await self._build_app(live)
        process = await self._spawn(live, name, args, kind="background", env={}, port=None)
        await live.processes.add(process)
        return process.view()

    async def host_api(
        self, actor: Actor, workspace_id: str, port: int | None = None, args: Sequence[str] = ()
    ) -> HostedApi:
        """Build, start the app listening on a workspace port, forward it, and wait until it
        answers an HTTP request (or dies, or dotnet_host_ready_timeout_seconds pass).

        The workspace's API already running on that port (with no port asked: the one started
        last) is replaced: stopped before the build, since a build cannot overwrite the running
        app's files, and its port reused. That makes the loop after an edit one call.
        """
        live = await self._use(actor, workspace_id)
        if port is not None and not 1024 <= port <= 65535:
            raise WorkspaceError("invalid_arguments", f"port {port}: use 1024-65535")
        running = [api for api in live.processes.running_apis() if port in (None, api.port)]
        replaced = running[-1] if running else None
        if replaced is not None:
            await replaced.stop()
            await self._set_ports(workspace_id, live)
            port = replaced.port
        port = live.processes.free_port() if port is None else port
        name = f"api-{port}"
        live.processes.check_free(name, port)
        await self._build_app(live)
        env = {"ASPNETCORE_URLS": f"http://127.0.0.1:{port}"}
        process = await self._spawn(live, name, args, kind="api", env=env, port=port)
        try:
            process.forward = await live.runtime.box.forward(port)
            ready_timeout = (await self.live.current()).dotnet_host_ready_timeout_seconds
            await wait_until_answering(process, ready_timeout)
        except BaseException:
            await process.stop()
            raise
        await live.processes.add(process)
        await self._set_ports(workspace_id, live)
        assert process.url is not None  # noqa: S101 - set with the forward above
        await process.log.catch_up()
        return HostedApi(
            process=process.view(),
            url=process.url,
            port=port,
            log=log_text(list(process.log.lines)[:FIRST_LINES]),
            replaced=replaced.name if replaced is not None else None,
        )

    async def call_endpoint(
        self,
        actor: Actor,
        workspace_id: str,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        port: int | None = None,
    ) -> EndpointResponse:
        """One HTTP request to this workspace's own hosted API (its forward), nothing else."""
        live = await self._use(actor, workspace_id)
        api = live.processes.api(port)
        assert api.url is not None  # noqa: S101 - `api()` returns forwarded processes only
        return await call(endpoint_url(api.url, path), method, headers or {}, body)

    async def logs(
        self,
        actor: Actor,
        workspace_id: str,
        process: str | None = None,
        tail: int = 100,
        since: datetime | None = None,
    ) -> LogTail:
        """The last `tail` lines of a process's log (the latest process when None), only those
        that appeared at or after `since` when given."""
        live = await self._use(actor, workspace_id)
        found = live.processes.get(process)
        await found.log.catch_up(final=found.spawned.returncode is not None)
        return LogTail(
            process=found.name,
            lines=found.log.tail(tail, since),
            running=found.spawned.returncode is None,
            exit_code=found.spawned.returncode,
        )

    async def kill_process(self, actor: Actor, workspace_id: str, name: str) -> ProcessView:
        """Stop a background process or hosted API (and its forward)."""
        live = await self._use(actor, workspace_id)
        killed = await live.processes.kill(name)
        await self._set_ports(workspace_id, live)
        return killed.view()

    # --- the admin side (the admin API checks the caller) ----------------------------------

    def runtime_of(self, workspace_id: str) -> str:
        """The runtime a workspace this process runs reports (".NET 8.0.31"); "" otherwise."""
        live = self._live.get(workspace_id)
        return "" if live is None else live.runtime.runtime

    async def list_all(self) -> Views:
        """Every workspace of the instance, running and stopped."""
        async with self.sessions() as session:
            found = await rows.listed(session, self.instance)
        return [await self._described(row) for row in found]

    async def detail(self, workspace_id: str) -> WorkspaceView:
        """One workspace of the instance, in any status."""
        async with self.sessions() as session:
            row = await self._row(session, workspace_id)
        return await self._described(row)

    async def admin_files(self, workspace_id: str, path: str = ".") -> Files:
        return await list_tree(self._held(await self.detail(workspace_id)).runtime.box, path)

    async def admin_read_file(self, workspace_id: str, path: str) -> bytes:
        return await read_file(self._held(await self.detail(workspace_id)).runtime.box, path)

    async def log_stream(self, workspace_id: str, process: str) -> AsyncIterator[str]:
        """A process's log lines as they come (the kept ones first), until it ends: for SSE."""
        live = self._held(await self.detail(workspace_id))
        async for line in live.processes.get(process).log.stream():
            yield line

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
        settings = await self.live.current()
        self.idle_job.interval = _sweep_interval(settings)
        before = utcnow() - timedelta(seconds=settings.dotnet_workspace_idle_timeout_seconds)
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

    async def _reserve(
        self, settings: Settings, owner: str, version: str, template: str, name: str
    ) -> str:
        """Check the caps and insert the running row; returns the new workspace's id.

        One step for every replica on the store: the owner's lock is held until the commit."""
        async with transaction(self.sessions, None) as session:
            await lock_transaction(session, "workspace caps", self.instance, owner)
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

    async def _build(
        self, live: LiveWorkspace, configuration: str, timeout_s: float
    ) -> BuildResult:
        """Build, counted in the metrics."""
        started = time.perf_counter()
        with self._refusals():
            result = await live.runtime.build(configuration, timeout_s)
        metrics.build_finished(
            live.runtime.version, time.perf_counter() - started, result.succeeded
        )
        return result

    async def _build_app(self, live: LiveWorkspace) -> None:
        """Build for a background start; a failed build is an error naming its first errors."""
        result = await self._build(live, "Debug", await self._timeout(None))
        if result.succeeded:
            return
        errors = [d for d in result.diagnostics if d.severity == "error"]
        shown = "\n".join(
            f"{d.file}({d.line},{d.column}): {d.code}: {d.message}" for d in errors[:5]
        )
        raise WorkspaceError(
            "build_failed",
            f"the build failed with {len(errors)} error(s), so nothing was started:\n"
            + (shown or (result.command.stdout + result.command.stderr)[-2000:]),
            ("dotnet_build_project shows every diagnostic with suggestions.",),
        )

    async def _spawn(
        self,
        live: LiveWorkspace,
        name: str,
        args: Sequence[str],
        *,
        kind: str,
        env: Mapping[str, str],
        port: int | None,
    ) -> LiveProcess:
        with self._refusals():
            try:
                spawned = await live.runtime.spawn_app(name, args, env)
            except BoxError as exc:
                raise WorkspaceError("invalid_arguments", str(exc)) from exc
        return LiveProcess(name, kind, list(args), spawned, LogFollower(spawned), port=port)

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
            if status is WorkspaceStatus.CLEANED:
                metrics.workspaces_cleaned(reason.value, 1)

    async def _close_live(self, workspace_id: str) -> None:
        live = self._live.pop(workspace_id, None)
        if live is not None:
            await live.close()

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
            runtime="" if live is None else live.runtime.runtime,
            status=row.status.value,
            stop_reason=None if row.stop_reason is None else row.stop_reason.value,
            stopped_at=row.stopped_at,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            idle_seconds=max((utcnow() - row.last_used_at).total_seconds(), 0.0),
            ports=list(row.ports) if live is None else live.processes.ports(),
            processes=[] if live is None else live.processes.views(),
            cpu_seconds=None,
            memory_bytes=None,
            disk_bytes=None,
        )

    async def _described(self, row: Workspace) -> WorkspaceView:
        """`_view` with what the workspace uses now, when this process runs it."""
        view = self._view(row)
        live = self._live.get(row.id) if row.status is WorkspaceStatus.RUNNING else None
        if live is None:
            return view
        usage = await live.runtime.usage()
        return dataclasses.replace(
            view,
            cpu_seconds=usage.cpu_seconds,
            memory_bytes=usage.memory_bytes,
            disk_bytes=usage.disk_bytes,
        )

    def _refusals(self) -> contextlib.AbstractContextManager[None]:
        """Runtime refusals as WorkspaceErrors (which versions are ready, for the suggestion)."""
        dotnet = self.dotnet

        def ready() -> list[str]:
            if dotnet is None:
                return []
            return [name for name, status in dotnet.status().items() if status.available]

        return dotnet_refusals(ready)

    async def _timeout(self, timeout_s: float | None) -> float:
        """A command's timeout: the one asked for (within the max), else the default."""
        try:
            return bounded_timeout(await self.live.current(), "command", timeout_s)
        except ValueError as exc:
            raise WorkspaceError("invalid_arguments", f"timeout {timeout_s:g} s: {exc}") from None

    async def _set_ports(self, workspace_id: str, live: LiveWorkspace) -> None:
        async with transaction(self.sessions, None) as session:
            row = await self._row(session, workspace_id)
            row.ports = live.processes.ports()


def _sweep_interval(settings: Settings) -> float:
    """The idle job runs every tenth of the idle timeout, at least once a minute."""
    return min(settings.dotnet_workspace_idle_timeout_seconds / 10, 60.0)
