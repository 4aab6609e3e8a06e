"""`polybox doctor`: what this host offers polybox, one line per capability, with the fix.

The sandbox facts come from `sandbox.capabilities.check_host` (which really starts bwrap); this
module adds the process-level ones (Python, data dir, database) and renders them.
"""

from __future__ import annotations

import os
import platform
import sys

from sqlalchemy.exc import SQLAlchemyError

from polybox.config import ConfigError, Settings, ensure_data_dir
from polybox.sandbox.accounts import ensure_sandbox_user
from polybox.sandbox.box import SandboxUnavailableError
from polybox.sandbox.capabilities import Check, check_host
from polybox.sandbox.dotnet.checks import dotnet_checks
from polybox.sandbox.status import open_backend
from polybox.store.engine import create_engine, create_session_factory, ping
from polybox.store.errors import StoreUnavailable
from polybox.workspaces.live_settings import effective, stored_changes

MIN_PYTHON = (3, 11)
# Facts that polybox cannot do without; the rest only narrow what it can offer.
REQUIRED = frozenset({"python", "data dir", "database", "sandbox"})
EXIT_OK = 0
EXIT_MISSING = 1  # something polybox needs is missing
EXIT_WARNING = 3  # polybox runs, but a line says "warning" (e.g. unisolated tool code)


def _python_check() -> Check:
    version = platform.python_version()
    ok = sys.version_info >= MIN_PYTHON
    return Check(
        "python", ok, f"{version} at {sys.executable}", "" if ok else "install Python 3.11+"
    )


def _data_dir_check(settings: Settings) -> Check:
    try:
        path = ensure_data_dir(settings)
    except ConfigError as exc:
        return Check("data dir", False, str(exc), "set POLYBOX_DATA_DIR to a writable directory")
    return Check("data dir", True, str(path))


async def _database_check(settings: Settings) -> Check:
    engine = create_engine(settings.database)
    try:
        await ping(engine)
    except StoreUnavailable as exc:
        return Check("database", False, exc.reason, "check POLYBOX_DATABASE_URL and the server")
    finally:
        await engine.dispose()
    return Check("database", True, engine.url.render_as_string(hide_password=True))


async def _dotnet_settings(settings: Settings) -> Settings:
    """The settings the .NET lines judge: an admin's run-time changes (e.g. the enabled
    versions) over the startup ones, when the store has any."""
    engine = create_engine(settings.database)
    try:
        async with create_session_factory(engine)() as session:
            return effective(settings, await stored_changes(session))
    except SQLAlchemyError:
        return settings  # no store yet, or unreachable: the database line says which
    finally:
        await engine.dispose()


async def _sandbox_check(settings: Settings) -> Check:
    backend, status = open_backend(settings, create_user=False)
    if backend is not None:
        await backend.close()
    if not status.usable:
        return Check("sandbox", False, status.problem or "unavailable", "see the lines above")
    if not status.isolated:
        return Check(
            "sandbox",
            True,
            "UNSAFE: POLYBOX_SANDBOX=unsafe-local runs tool code without isolation",
            "unset POLYBOX_SANDBOX (or set bwrap/docker) once this host offers isolation",
            warning=True,
        )
    return Check("sandbox", True, f"{status.backend}: {', '.join(status.layers)}")


async def run_checks(settings: Settings, *, fix: bool = False) -> list[Check]:
    """All checks, in the order a person fixes them; with `fix`, create the sandbox user first."""
    if fix and os.geteuid() == 0:
        try:
            ensure_sandbox_user(settings.sandbox_user)
        except SandboxUnavailableError as exc:
            return [Check("sandbox user", False, str(exc), "create it with useradd --system")]
    checks = [_python_check(), _data_dir_check(settings)]
    if checks[-1].ok:
        checks.append(await _database_check(settings))
    checks.extend(check_host(settings))
    if checks[1].ok:
        checks.extend(dotnet_checks(await _dotnet_settings(settings)))
    checks.append(await _sandbox_check(settings))
    return checks


def is_required(check: Check) -> bool:
    """Whether a failed check stops polybox from working (exit code 1)."""
    return check.name in REQUIRED


def exit_code(checks: list[Check]) -> int:
    """EXIT_MISSING when a required check failed, else EXIT_WARNING when a line warns, else 0."""
    if any(not check.ok and is_required(check) for check in checks):
        return EXIT_MISSING
    return EXIT_WARNING if any(check.warning for check in checks) else EXIT_OK


def render(checks: list[Check]) -> str:
    """One aligned line per check: status, name, what was found, and the fix when not ok."""
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        status = "missing" if not check.ok else "warning" if check.warning else "ok     "
        line = f"{status}  {check.name:<{width}}  {check.detail}"
        if (not check.ok or check.warning) and check.fix:
            line += f"  (fix: {check.fix})"
        lines.append(line)
    return "\n".join(lines) + "\n"
