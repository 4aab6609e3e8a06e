"""Approved modules are installed for real: wheels from a PEP 503 index, imported in a Box.

The index is tests/fake_package_index.py on loopback serving wheels this test builds; pip, the
bwrap pool, the installer job and the store are the real ones of a running instance.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from sqlalchemy import select

from fake_package_index import fake_package_index
from polybox.config import Settings
from polybox.events import EventKind
from polybox.forge.actors import admin, llm
from polybox.forge.requests import (
    decide_request,
    list_module_installs,
    request_module,
    retry_install,
)
from polybox.forge.schemas import RequestOut, TestCodeResult
from polybox.forge.servers import create_server
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.sandbox.python.packages import packages_dir_of
from polybox.store.models import ActivityLog
from wheels import USE_DATES, build_polydates

pytestmark = pytest.mark.anyio

ROOT = admin("root")
CLAUDE = llm("claude")


@asynccontextmanager
async def forge_with_index(
    tmp_path: Path, *, hold: anyio.Event | None = None
) -> AsyncIterator[Instance]:
    """A tool-running instance (bwrap) whose package index serves the test's wheels."""
    files = tmp_path / "index"
    build_polydates(files, "polydates-lib")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    data_dir = private / "data"
    settings = Settings(data_dir=data_dir, sandbox="bwrap", pool_size=1, call_timeout_seconds=10)
    try:
        async with fake_package_index(files, hold=hold) as index_url:
            settings = settings.model_copy(update={"pypi_url": index_url})
            async with Instance.running(settings) as instance:
                async with transaction(instance.sessions, instance.events) as session:
                    await create_server(session, CLAUDE, "cal")
                yield instance
    finally:
        packages = packages_dir_of(data_dir)
        if not packages.is_relative_to(data_dir):  # as root: outside the data dir
            shutil.rmtree(packages.parent)


async def approve(instance: Instance, module: str, package: str | None = None) -> RequestOut:
    async with transaction(instance.sessions, instance.events) as session:
        asked = await request_module(session, CLAUDE, "cal", module, "date maths")
    async with transaction(instance.sessions, instance.events) as session:
        return await decide_request(
            session, ROOT, "module", asked.id, approve=True, package=package
        )


async def settled(instance: Instance, request_id: int) -> RequestOut:
    """The request once its install ended, woken by the installer's event (no polling)."""
    with anyio.fail_after(60):
        async with instance.events.subscribe() as events:
            while True:
                async with instance.sessions() as session:
                    installs = await list_module_installs(session)
                found = next(item for item in installs.items if item.id == request_id)
                if found.status != "installing":
                    return found
                async for event in events:
                    if event.kind in (EventKind.APPROVAL_CHANGED, EventKind.RESYNC):
                        break


async def use_dates(instance: Instance) -> TestCodeResult:
    return await instance.runner.test_code(instance.sessions, ROOT, "cal", code=USE_DATES)


async def test_an_approved_module_is_installed_with_its_dependencies_and_then_imports(
    tmp_path: Path,
) -> None:
    hold = anyio.Event()
    async with forge_with_index(tmp_path, hold=hold) as instance:
        approved = await approve(instance, "polydates", package="polydates-lib")
        assert (approved.status, approved.package) == ("installing", "polydates-lib")

        early = await use_dates(instance)  # the index holds the wheels back: still installing
        assert early.error is not None
        assert early.error.type == "ModuleNotFoundError"
        assert "'polydates' was approved and is still being installed; retry in a moment" in (
            early.error.message
        )

        hold.set()
        done = await settled(instance, approved.id)
        assert (done.status, done.installed_version, done.install_error) == (
            "approved",
            "2.1",
            None,
        )
        assert (await use_dates(instance)).result == 60
        async with instance.sessions() as session:
            actions = (
                await session.scalars(
                    select(ActivityLog)
                    .where(ActivityLog.action.like("module.%"))
                    .order_by(ActivityLog.id)
                )
            ).all()
        assert [(a.actor_name, a.action) for a in actions][-3:] == [
            ("root", "module.approved"),
            ("root", "module.installing"),
            ("system", "module.installed"),
        ]
        assert actions[-1].details["version"] == "2.1"


async def test_a_failed_install_says_why_until_an_admin_retries_with_the_right_package(
    tmp_path: Path,
) -> None:
    async with forge_with_index(tmp_path) as instance:
        approved = await approve(instance, "polydates")  # the package is polydates-lib
        failed = await settled(instance, approved.id)
        assert failed.status == "install_failed"
        assert failed.install_error is not None
        assert "No matching distribution found for polydates" in failed.install_error

        refused = await use_dates(instance)
        assert refused.error is not None
        assert "'polydates' was approved but could not be installed (pip could not" in (
            refused.error.message
        )
        assert "an admin can retry the install on the Approvals page" in refused.error.message

        async with transaction(instance.sessions, instance.events) as session:
            again = await retry_install(session, ROOT, approved.id, package="polydates-lib")
        assert again.status == "installing"
        assert (await settled(instance, approved.id)).status == "approved"
        assert (await use_dates(instance)).result == 60


async def test_a_standard_library_module_is_approved_once_it_imports_without_pip(
    tmp_path: Path,
) -> None:
    async with forge_with_index(tmp_path) as instance:
        approved = await approve(instance, "sqlite3")
        done = await settled(instance, approved.id)
        assert (done.status, done.installed_version, done.install_error) == ("approved", None, None)
