"""Installing approved modules: their wheels into the packages dir, in the background.

Approving a module request (an admin, or the auto_approve policy) marks it `installing`; this job
installs its package (`package`, default the module's name) and its dependencies as wheels from
the configured index or folder of wheels (sandbox/python/packages.py: pip never builds or runs a
package on the host), then imports the module inside a Box. Only when that import works is the
request `installed` (with the version pip put there): to the LLM it is approved from then on.
Otherwise it is `failed`, with pip's or the import's reason, until an admin retries. Each outcome
goes to the activity log, and its event makes the UI and the other processes look again.

Processes sharing a data dir share its packages dir (`polybox stdio` next to `polybox serve`):
one installs at a time under a lock file, and whoever gets the lock second finds the work done.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import re
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.events import EventBus, EventKind
from polybox.forge.actors import SYSTEM
from polybox.forge.unit import queue_event, record_activity, transaction
from polybox.jobs import PeriodicJob
from polybox.sandbox.egress import EgressPolicy
from polybox.sandbox.python import DEFAULT_ALLOWED_MODULES, PoolBusyError, PythonPool
from polybox.sandbox.python.packages import (
    PackageInstallError,
    install_package,
    installed_version,
    packages_dir_of,
)
from polybox.store.enums import InstallState
from polybox.store.models import ModuleRequest, Server

logger = logging.getLogger(__name__)

_SAFETY_INTERVAL = 60.0  # a pass even without an event: installs left over by a restart
_LOCK_POLL = 0.2
_MISSING = re.compile(r"No module named '([A-Za-z0-9_.]+)'")


class ModuleInstaller(PeriodicJob):
    """Installs approved modules, one at a time; `start()` once, `close()` at shutdown.

    `pool` checks the import in a Box; without one (no sandbox backend) an install fails and
    says so. Every approval event wakes the job; it also looks every minute.
    """

    name = "module-installs"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        events: EventBus,
        pool: PythonPool | None,
        settings: Settings,
        *,
        interval: float = _SAFETY_INTERVAL,
    ) -> None:
        super().__init__(interval=interval, first_delay=0)
        self._sessions = sessions
        self._events = events
        self._pool = pool
        self._settings = settings
        self._packages = packages_dir_of(settings.data_dir)
        self._listener: asyncio.Task[None] | None = None

    def start(self) -> None:
        super().start()
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="polybox-install-events")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await super().close()

    async def run_pass(self) -> None:
        """Install every request marked `installing`, oldest first."""
        async with self._sessions() as session:
            waiting = await session.scalars(
                select(ModuleRequest.id)
                .where(ModuleRequest.install_state == InstallState.INSTALLING)
                .order_by(ModuleRequest.id)
            )
            request_ids = list(waiting.all())
        for request_id in request_ids:
            async with self._lock():
                await self._install(request_id)

    async def _listen(self) -> None:
        async with self._events.subscribe() as subscription:
            async for event in subscription:
                if event.kind in (EventKind.APPROVAL_CHANGED, EventKind.RESYNC):
                    self.wake()

    async def _install(self, request_id: int) -> None:
        async with self._sessions() as session:
            row = await session.get(ModuleRequest, request_id)
            if row is None or row.install_state is not InstallState.INSTALLING:
                return  # another process finished it, or an admin changed it meanwhile
            module, package = row.module, row.package or row.module
        try:
            version, error = await self._outcome(module, package)
        except PoolBusyError:
            logger.info("module install of %s waits: the sandbox is busy", module)
            return  # still `installing`; the next pass tries again
        async with transaction(self._sessions, self._events) as session:
            row = await session.get(ModuleRequest, request_id)
            if row is None or row.install_state is not InstallState.INSTALLING:
                return
            row.install_state = InstallState.FAILED if error else InstallState.INSTALLED
            row.installed_version = version
            row.install_error = error
            server = None if row.server_id is None else await session.get(Server, row.server_id)
            details = {
                "module": module,
                "package": package,
                "server": None if server is None else server.name,
                **({"error": error} if error else {"version": version}),
            }
            action = "module.install_failed" if error else "module.installed"
            record_activity(
                session, SYSTEM, action, target_kind="module_request", target_id=row.id,
                details=details,
            )  # fmt: skip
            queue_event(
                session,
                EventKind.APPROVAL_CHANGED,
                {"kind": "module", "request_id": row.id, "server": details["server"]},
            )

    async def _outcome(self, module: str, package: str) -> tuple[str | None, str | None]:
        """(installed version, None) once `import module` works in a Box, else (None, why)."""
        pool = self._pool
        if pool is None:
            return None, "this polybox has no sandbox to import the module in; see polybox doctor"
        if await _import_problem(pool, module) is None:  # the standard library, or there already
            return installed_version(self._packages, package), None
        settings = self._settings
        try:
            await install_package(
                package,
                self._packages,
                index_url=f"{settings.pypi_url}/simple/",
                find_links=settings.package_wheels_dir,
                time_limit=settings.package_install_timeout_seconds,
            )
        except PackageInstallError as exc:
            return None, str(exc)
        problem = await _import_problem(pool, module)
        if problem is not None:
            return None, (
                f"{package} installed, but `import {module}` fails in the sandbox: {problem}; "
                "if the module comes from a package of another name, approve it again naming "
                "that package"
            )
        return installed_version(self._packages, package), None

    @contextlib.asynccontextmanager
    async def _lock(self) -> AsyncIterator[None]:
        """Hold the packages dir's install lock (one pip at a time across processes)."""
        path = self._packages.with_name(f".{self._packages.name}.install-lock")
        with path.open("a") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(_LOCK_POLL)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


async def _import_problem(pool: PythonPool, module: str) -> str | None:
    """None when `import module` works in a Box as tools run, else the error line."""
    result = await pool.run(
        f"import {module}\n\nasync def main():\n    return None\n",
        {},
        scope=f"module-install:{uuid.uuid4().hex}",  # never a server's worker
        secrets={},
        egress=EgressPolicy(),
        allowed_modules=DEFAULT_ALLOWED_MODULES | {module},
    )
    if result.error is None:
        return None
    return f"{result.error.type}: {result.error.message}"


async def missing_module_note(session: AsyncSession, error_message: str) -> str | None:
    """What to tell a tool whose import failed on a module still installing or failed to.

    `error_message` is a ModuleNotFoundError's message; None when no install explains it.
    """
    found = _MISSING.search(error_message)
    if found is None:
        return None
    parts = found.group(1).split(".")
    names = [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
    latest = await session.scalar(
        select(ModuleRequest)
        .where(ModuleRequest.module.in_(names), ModuleRequest.install_state.is_not(None))
        .order_by(ModuleRequest.id.desc())
        .limit(1)
    )
    if latest is None or latest.install_state is InstallState.INSTALLED:
        return None
    if latest.install_state is InstallState.INSTALLING:
        return (
            f"module {latest.module!r} was approved and is still being installed; retry in a moment"
        )
    return (
        f"module {latest.module!r} was approved but could not be installed "
        f"({latest.install_error}); an admin can retry the install on the Approvals page"
    )
