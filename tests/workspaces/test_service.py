"""The workspace rules on SQLite and PostgreSQL: names, owners, caps, stops and why, idle cleanup.

Workspaces here are bare bwrap Boxes (see service_setup.py): the rules are the same whatever runs
inside.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.events import EventKind, InProcessEventBus
from polybox.forge.actors import admin, llm
from polybox.sandbox.bwrap import BwrapBackend, BwrapBox
from polybox.store.engine import create_engine, create_session_factory
from polybox.store.enums import StopReason, WorkspaceStatus
from polybox.store.models import ActivityLog, Workspace
from polybox.workspaces import metrics
from polybox.workspaces import store as rows
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.models import WorkspaceView
from polybox.workspaces.service import WorkspaceService
from workspaces.service_setup import bwrap_backend, running_service

pytestmark = pytest.mark.anyio

ALICE = llm("alice-client")
BOB = llm("bob-client")
ADMIN = admin("root")


@pytest.fixture
async def events() -> AsyncIterator[InProcessEventBus]:
    bus = InProcessEventBus()
    await bus.start()
    yield bus
    await bus.close()


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[BwrapBackend]:
    backend = bwrap_backend(tmp_path)
    yield backend
    await backend.close()


@pytest.fixture
async def service(
    sessions: async_sessionmaker[AsyncSession],
    events: InProcessEventBus,
    backend: BwrapBackend,
    tmp_path: Path,
) -> AsyncIterator[WorkspaceService]:
    async with running_service(
        sessions,
        events,
        backend,
        tmp_path,
        dotnet_workspace_max_running_per_client=2,
        dotnet_workspace_max_per_client=3,
    ) as service:
        yield service


async def _age(sessions: async_sessionmaker[AsyncSession], workspace_id: str, **ago: float) -> None:
    """Move a row's last use (and stop, if any) back in time, as if that long had passed."""
    delta = timedelta(**ago)
    async with sessions() as session, session.begin():
        row = await session.get(Workspace, workspace_id)
        assert row is not None
        row.last_used_at -= delta
        if row.stopped_at is not None:
            row.stopped_at -= delta


async def test_a_workspace_is_named_after_version_and_template_and_listed_for_its_owner_only(
    service: WorkspaceService,
) -> None:
    view = await service.create(ALICE, "webapi", "8", "TodoApi")
    assert re.fullmatch(r"dotnet8-webapi-[0-9a-f]{6}", view.id)
    assert (view.owner, view.status, view.project) == ("alice-client", "running", "TodoApi.csproj")
    assert [v.id for v in await service.list(ALICE)] == [view.id]
    assert await service.list(BOB) == []
    assert [v.id for v in await service.list(ADMIN)] == [view.id]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no query of its own
async def test_another_clients_workspace_is_not_found_for_every_call(
    service: WorkspaceService,
) -> None:
    view = await service.create(ALICE, "console", "10", "Hello")
    for call in (
        service.read_file(BOB, view.id, "Program.cs"),
        service.write_file(BOB, view.id, "x.cs", b""),
        service.files(BOB, view.id),
        service.stop(BOB, view.id),
    ):
        with pytest.raises(WorkspaceError, match="you have no workspace") as caught:
            await call
        assert caught.value.kind == "not_found"
    assert (await service.detail(view.id)).status == "running"


async def test_the_running_cap_names_its_setting_and_a_stop_makes_room(
    service: WorkspaceService,
) -> None:
    first = await service.create(ALICE, "console", "10", "One")
    await service.create(ALICE, "console", "10", "Two")
    with pytest.raises(WorkspaceError, match="dotnet_workspace_max_running_per_client") as caught:
        await service.create(ALICE, "console", "10", "Three")
    assert caught.value.kind == "limit"
    assert "2 running workspaces" in caught.value.message
    await service.create(BOB, "console", "10", "Other")  # caps are per client
    await service.stop(ALICE, first.id)
    await service.create(ALICE, "console", "10", "Three")


async def test_the_total_cap_counts_stopped_workspaces_until_they_are_cleaned_up(
    service: WorkspaceService,
) -> None:
    for name in ("One", "Two", "Three"):
        await service.stop(ALICE, (await service.create(ALICE, "classlib", "9", name)).id)
    with pytest.raises(WorkspaceError, match="dotnet_workspace_max_per_client") as caught:
        await service.create(ALICE, "classlib", "9", "Four")
    assert "dotnet_cleanup_all" in caught.value.suggestions[0]
    assert await service.cleanup_all(ALICE) == 3
    await service.create(ALICE, "classlib", "9", "Four")


async def test_two_replicas_creating_at_once_admit_one_workspace_within_the_cap(
    db_url: URL,
    events: InProcessEventBus,
    backend: BwrapBackend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two replicas (an engine each on one store, one instance label) create a workspace for one
    owner at the same moment under a cap of 1: one gets it, the other the cap's error.

    Each count waits (up to 0.5 s) for the other replica's count, so without a lock across
    processes both count 0 and both pass; with it the second counts after the first's commit."""
    counting = rows.count_owned
    counts: list[int] = []
    both_counted = anyio.Event()

    async def count_then_wait_for_the_other(*args: Any) -> int:
        found = await counting(*args)
        counts.append(found)
        if len(counts) >= 2:
            both_counted.set()
        with anyio.move_on_after(0.5):
            await both_counted.wait()
        return found

    monkeypatch.setattr(rows, "count_owned", count_then_wait_for_the_other)
    async with contextlib.AsyncExitStack() as stack:
        replicas = []
        for _ in range(2):
            engine = create_engine(db_url)
            stack.push_async_callback(engine.dispose)
            replicas.append(
                await stack.enter_async_context(
                    running_service(
                        create_session_factory(engine),
                        events,
                        backend,
                        tmp_path,
                        dotnet_workspace_max_running_per_client=1,
                    )
                )
            )
        outcomes = await asyncio.gather(
            *(replica.create(ALICE, "console", "10", "Race") for replica in replicas),
            return_exceptions=True,
        )
        created = [outcome for outcome in outcomes if isinstance(outcome, WorkspaceView)]
        refused = [outcome for outcome in outcomes if isinstance(outcome, WorkspaceError)]
        assert (len(created), len(refused)) == (1, 1), outcomes
        assert refused[0].kind == "limit"
        assert "dotnet_workspace_max_running_per_client" in refused[0].message
        assert [view.id for view in await replicas[1].list(ALICE)] == [created[0].id]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no query of its own
async def test_a_command_timeout_over_the_setting_is_refused_naming_it(
    service: WorkspaceService,
) -> None:
    """The service checks the limit itself too: not every caller comes through the MCP schema."""
    view = await service.create(ALICE, "console", "8", "Hello")
    with pytest.raises(
        WorkspaceError, match=r"timeout 5000 s: give more than 0 and at most"
    ) as caught:
        await service.command(ALICE, view.id, ["dotnet", "--info"], timeout_s=5000)
    assert caught.value.kind == "invalid_arguments"
    assert "(dotnet_command_max_timeout_seconds)" in caught.value.message


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no query of its own
async def test_bad_create_arguments_are_all_named_at_once(service: WorkspaceService) -> None:
    with pytest.raises(WorkspaceError) as caught:
        await service.create(ALICE, "blazor", "7", "../evil")
    message = caught.value.message
    assert caught.value.kind == "invalid_arguments"
    assert "template 'blazor' is unknown; choose one of console, webapi" in message
    assert ".NET '7' is not enabled here; use one of 8, 9, 10" in message
    with pytest.raises(WorkspaceError, match=r"project name '\.\./evil' is invalid"):
        await service.create(ALICE, "console", "8", "../evil")
    assert await service.list(ALICE) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no query of its own
async def test_an_admin_stop_tells_the_owner_who_and_when_and_the_activity_log_says_so(
    service: WorkspaceService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    view = await service.create(ALICE, "webapi", "8", "Api")
    stopped = await service.admin_stop(view.id, by=ADMIN)
    assert (stopped.status, stopped.stop_reason) == ("stopped", "admin")
    with pytest.raises(WorkspaceError) as caught:
        await service.read_file(ALICE, view.id, "Program.cs")
    assert caught.value.kind == "workspace_stopped"
    assert re.fullmatch(
        rf"{view.id} was stopped by an admin at \d\d:\d\d UTC; create a new one with "
        "dotnet_create_project",
        caught.value.message,
    )
    async with sessions() as session:
        actions = [
            (row.actor_name, row.action, row.target_id)
            for row in (await session.scalars(select(ActivityLog))).all()
        ]
    assert ("alice-client", "workspace.created", view.id) in actions
    assert ("root", "workspace.stopped", view.id) in actions


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no query of its own
async def test_every_call_touches_last_used_at(
    service: WorkspaceService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    view = await service.create(ALICE, "console", "10", "Hello")
    await _age(sessions, view.id, minutes=30)
    assert (await service.detail(view.id)).idle_seconds >= 1800
    await service.write_file(ALICE, view.id, "/workspace/notes/a.txt", b"hi")
    assert (await service.detail(view.id)).idle_seconds < 60
    assert await service.read_file(ALICE, view.id, "notes/a.txt") == b"hi"
    tree = {(f.path, f.size, f.is_dir) for f in await service.files(ALICE, view.id)}
    assert tree == {("notes", tree_size(tree, "notes"), True), ("notes/a.txt", 2, False)}


def tree_size(tree: set[tuple[str, int, bool]], path: str) -> int:
    return next(size for name, size, _ in tree if name == path)


async def test_sweep_idle_cleans_up_an_unused_workspace_and_its_owner_hears_when(
    service: WorkspaceService, sessions: async_sessionmaker[AsyncSession]
) -> None:
    idle = await service.create(ALICE, "console", "10", "Idle")
    busy = await service.create(ALICE, "console", "10", "Busy")
    await _age(sessions, idle.id, hours=2)
    cleanups = _sample("polybox_dotnet_workspace_cleanups_total", trigger="idle")
    assert await service.sweep_idle() == 1
    assert _sample("polybox_dotnet_workspace_cleanups_total", trigger="idle") == cleanups + 1
    assert (await service.detail(busy.id)).status == "running"
    with pytest.raises(WorkspaceError) as caught:
        await service.files(ALICE, idle.id)
    assert re.fullmatch(
        rf"{idle.id} was cleaned up at \d\d:\d\d UTC after 120 min idle; create a new one with "
        "dotnet_create_project",
        caught.value.message,
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no query of its own
def _sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_the_idle_job_runs_by_itself_at_a_tenth_of_the_timeout(
    sessions: async_sessionmaker[AsyncSession],
    events: InProcessEventBus,
    backend: BwrapBackend,
    tmp_path: Path,
) -> None:
    async with running_service(
        sessions, events, backend, tmp_path, dotnet_workspace_idle_timeout_seconds=1
    ) as service:
        assert service.idle_job.interval == pytest.approx(0.1)
        subscription = events.subscribe()
        view = await service.create(ALICE, "console", "10", "Idle")
        async for event in subscription:
            if event.kind == EventKind.WORKSPACE_STOPPED:
                break
        detail = await service.detail(view.id)
    assert (detail.status, detail.stop_reason) == ("cleaned", "idle")
    assert detail.stopped_at is not None
    assert detail.stopped_at - detail.created_at >= timedelta(seconds=1)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no query of its own
async def test_cleanup_leaves_no_process_box_dir_or_cgroup(
    service: WorkspaceService, backend: BwrapBackend
) -> None:
    view = await service.create(ALICE, "console", "10", "Hello")
    box = service._live[view.id].runtime.box
    assert isinstance(box, BwrapBox)
    process = await box.spawn(["sleep", "600"], name="sleeper")
    pid = process._process.pid  # type: ignore[attr-defined]
    cgroup_dirs = box.cgroup.dirs if box.cgroup is not None else ()
    assert box.dir.is_dir()
    assert await service.cleanup_all(ALICE) == 1
    assert not box.dir.exists()
    assert not any(directory.exists() for directory in cgroup_dirs)
    assert not _alive(pid)
    assert (await service.detail(view.id)).status == "cleaned"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


async def test_start_marks_running_rows_whose_box_is_gone_stopped_and_leaves_others_alone(
    sessions: async_sessionmaker[AsyncSession],
    events: InProcessEventBus,
    backend: BwrapBackend,
    tmp_path: Path,
) -> None:
    async with running_service(sessions, events, backend, tmp_path) as first:
        kept = await first.create(ALICE, "console", "10", "Kept")
        lost = await first.create(ALICE, "console", "10", "Lost")
        other = await first.create(ALICE, "console", "10", "Other")
        async with sessions() as session, session.begin():
            await session.execute(
                update(Workspace).where(Workspace.id == other.id).values(instance="elsewhere")
            )
        # `lost`'s process died without closing: its Box is gone, its row still says running.
        await first._live.pop(lost.id).runtime.close()
        async with running_service(sessions, events, backend, tmp_path) as second:
            assert (await second.detail(kept.id)).status == "running"  # a live sibling's Box
            gone = await second.detail(lost.id)
            assert (gone.status, gone.stop_reason) == ("stopped", "restart")
            with pytest.raises(WorkspaceError, match="another polybox process"):
                await second.files(ALICE, kept.id)
            with pytest.raises(WorkspaceError, match="no workspace"):
                await second.detail(other.id)  # another instance's row is invisible
            assert await second.admin_cleanup_all(ADMIN) == 2
    async with sessions() as session:
        row = await session.get(Workspace, other.id)
        assert row is not None
        assert (row.instance, row.status) == ("elsewhere", WorkspaceStatus.RUNNING)
        kept_row = await session.get(Workspace, kept.id)
        assert kept_row is not None
        assert (kept_row.status, kept_row.stop_reason) == (
            WorkspaceStatus.CLEANED,
            StopReason.ADMIN,
        )
