"""One running polybox instance: the settings and the long-lived resources built from them.

`Instance.start` is the only place that turns settings into live resources (the data dir, the
database engine and its migrations, the event bus, the sandbox assessment, the tool runner and
its warm Python workers, the .NET runtime, the log retention, alert and module install jobs);
every surface — the HTTP app, stdio, the CLI — receives an `Instance` instead of building its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from polybox.alerts.monitor import AlertMonitor
from polybox.config import Settings, ensure_data_dir
from polybox.crypto import SecretBox, load_secret_box
from polybox.events import EventBus, create_event_bus
from polybox.forge.external.health import SourceHealthChecks
from polybox.forge.installs import ModuleInstaller
from polybox.forge.retention import LogRetention
from polybox.forge.runner import ToolRunner
from polybox.forge.worker_scopes import WorkerRetirement
from polybox.logs import get_logger
from polybox.metrics import Metrics
from polybox.sandbox.box import BoxBackend
from polybox.sandbox.dotnet import DotnetConfig, DotnetRuntime
from polybox.sandbox.python import PoolConfig, PythonPool
from polybox.sandbox.status import SandboxStatus, open_backend
from polybox.store.engine import create_engine, create_session_factory, ping
from polybox.store.errors import StoreUnavailable
from polybox.store.migrate import upgrade_to_head
from polybox.workspaces import metrics as workspace_metrics
from polybox.workspaces.live_settings import LiveSettings
from polybox.workspaces.rules import instance_label
from polybox.workspaces.service import WorkspaceService

_log = get_logger("polybox.instance")
_NOT_RUNNING_TOOLS = SandboxStatus(
    backend="none",
    usable=False,
    isolated=False,
    problem="this process does not run tools (a CLI command); `polybox serve` or `stdio` does",
)


@dataclass(frozen=True)
class Readiness:
    """Whether this instance can serve requests now, and why not."""

    database: str | None  # None when reachable, else the reason
    sandbox: SandboxStatus

    @property
    def ready(self) -> bool:
        return self.database is None and self.sandbox.usable

    def as_dict(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "database": {"ok": self.database is None, "detail": self.database or "reachable"},
            "sandbox": self.sandbox.as_dict(),
        }


@dataclass
class Instance:
    """The live resources of one process; close it when done."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    events: EventBus
    sandbox: SandboxStatus
    backend: BoxBackend | None
    secret_box: SecretBox
    runner: ToolRunner
    retention: LogRetention
    live: LiveSettings  # the settings in effect now: `settings` with the admins' changes
    metrics: Metrics = field(default_factory=Metrics)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    alerts: AlertMonitor | None = None  # only processes that run tools watch for problems
    source_health: SourceHealthChecks | None = None  # and check their external sources
    installs: ModuleInstaller | None = None  # and install approved modules
    dotnet: DotnetRuntime | None = None  # .NET snippets; only with a sandbox backend
    retirement: WorkerRetirement | None = None  # retires warm workers of changed servers
    workspaces: WorkspaceService | None = None  # .NET workspaces (their rules; Boxes if run_tools)

    def __post_init__(self) -> None:
        self.metrics.registry.register(workspace_metrics.REGISTRY)  # the .NET half's metrics

    @classmethod
    async def start(cls, settings: Settings, *, run_tools: bool = True) -> Instance:
        """Prepare the data dir and secret key, reach and migrate the database, start the bus.

        With `run_tools` (serving processes) it also opens the sandbox backend and starts the warm
        Python workers; without it (CLI commands that only touch the store) no sandbox is opened
        and tool runs fail with UnavailableError. Raises UserError subclasses (ConfigError,
        StoreUnavailable) for what the operator can fix.
        """
        ensure_data_dir(settings)
        secret_box = load_secret_box(settings)
        engine = create_engine(settings.database)
        try:
            await ping(engine)
            await upgrade_to_head(settings.database)
            events = create_event_bus(settings.database)
            await events.start()
        except BaseException:
            await engine.dispose()
            raise
        backend, sandbox = open_backend(settings) if run_tools else (None, _NOT_RUNNING_TOOLS)
        try:
            if backend is not None:
                crashed = await backend.remove_leftovers()
                if crashed:
                    _log.warning("removed the Boxes of crashed earlier runs", runs=crashed)
            pool = await _start_pool(backend, settings)
        except BaseException:
            if backend is not None:
                await backend.close()
            await events.close()
            await engine.dispose()
            raise
        sessions = create_session_factory(engine)
        live = LiveSettings(sessions, settings)
        retention = LogRetention(
            sessions,
            interval=settings.retention_interval_seconds,
            code_retention_days=live.code_retention_days,
        )
        retention.start()
        alerts = AlertMonitor(sessions, secret_box, sandbox) if run_tools else None
        if alerts is not None:
            alerts.start()
        runner = ToolRunner(pool, secret_box, settings, sandbox_problem=sandbox.problem)
        source_health = SourceHealthChecks(sessions, runner.external) if run_tools else None
        if source_health is not None:
            source_health.start()
        installs = ModuleInstaller(sessions, events, pool, settings) if run_tools else None
        if installs is not None:
            installs.start()
        dotnet = None
        if backend is not None:
            dotnet = DotnetRuntime(
                backend,
                DotnetConfig.from_settings(await live.current()),
                on_compiler_restart=workspace_metrics.compiler_restarted,
            )
            live.dotnet = dotnet
            await dotnet.start()
        retirement = WorkerRetirement(events, pool) if pool is not None else None
        if retirement is not None:
            retirement.start()
        workspaces = WorkspaceService(
            sessions,
            events,
            settings,
            backend,
            dotnet,
            instance=instance_label(settings),
            live=live,
        )
        await workspaces.start()
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            events=events,
            sandbox=sandbox,
            backend=backend,
            secret_box=secret_box,
            runner=runner,
            retention=retention,
            live=live,
            alerts=alerts,
            source_health=source_health,
            installs=installs,
            dotnet=dotnet,
            retirement=retirement,
            workspaces=workspaces,
        )

    @classmethod
    @asynccontextmanager
    async def running(
        cls, settings: Settings, *, run_tools: bool = True
    ) -> AsyncIterator[Instance]:
        """Start an instance for the length of a block (CLI commands, tests); see `start`."""
        instance = await cls.start(settings, run_tools=run_tools)
        try:
            yield instance
        finally:
            await instance.close()

    async def readiness(self) -> Readiness:
        """Check the database now; the sandbox assessment is fixed at start."""
        try:
            await ping(self.engine)
        except StoreUnavailable as exc:
            return Readiness(database=str(exc), sandbox=self.sandbox)
        return Readiness(database=None, sandbox=self.sandbox)

    async def close(self) -> None:
        if self.workspaces is not None:
            await self.workspaces.close()  # before the .NET runtime and the backend they use
        if self.alerts is not None:
            await self.alerts.close()
        await self.retention.close()
        if self.source_health is not None:
            await self.source_health.close()
        if self.installs is not None:
            await self.installs.close()
        if self.dotnet is not None:
            await self.dotnet.close()
        if self.retirement is not None:
            await self.retirement.close()
        await self.runner.close()  # waiting execution logs, while the store is still open
        if self.runner.pool is not None:
            await self.runner.pool.close()
        if self.backend is not None:
            await self.backend.close()
        await self.events.close()
        await self.engine.dispose()


async def _start_pool(backend: BoxBackend | None, settings: Settings) -> PythonPool | None:
    """The warm Python workers for tool calls; None without a sandbox backend."""
    if backend is None:
        return None
    pool = PythonPool(backend, PoolConfig.from_settings(settings))
    try:
        await pool.start()
    except BaseException:
        await pool.close()
        raise
    return pool
