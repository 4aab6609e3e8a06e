"""The workspace service with real `DotnetWorkspace`s: the real SDK, runtimes and bwrap sandbox.

One webapi workspace walks the whole hosting path: hosted, called with GET and POST, its logs
read, edited, rebuilt and re-hosted, a broken edit refused with its compiler error, then stopped
with nothing left on the host.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dotnet_snippets import PREPARE_TIMEOUT
from dotnet_workspaces import LIMITS, WorkspaceTraces
from polybox.config import Settings
from polybox.events import InProcessEventBus
from polybox.forge.actors import llm
from polybox.sandbox.dotnet import DotnetRuntime, DotnetWorkspace
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.service import WorkspaceService

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.timeout(PREPARE_TIMEOUT),
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]

ALICE = llm("alice-client")


@pytest.fixture
async def service(
    sessions: async_sessionmaker[AsyncSession], dotnet: DotnetRuntime, tmp_path: Path
) -> AsyncIterator[WorkspaceService]:
    bus = InProcessEventBus()
    await bus.start()
    settings = Settings(
        data_dir=tmp_path,
        dotnet_workspace_memory_mb=LIMITS.memory_mb,
        dotnet_workspace_processes=LIMITS.processes,
        dotnet_workspace_disk_mb=LIMITS.disk_mb,
        dotnet_workspace_cpu_seconds=LIMITS.cpu_seconds,
        dotnet_workspace_tmp_size_mb=LIMITS.tmp_size_mb,
    )
    service = WorkspaceService(
        sessions, bus, settings, dotnet.backend, dotnet, instance="dotnet-tests"
    )
    await service.start()
    yield service
    await service.close()
    await bus.close()


async def test_a_webapi_is_hosted_called_edited_rehosted_and_leaves_nothing_when_stopped(
    service: WorkspaceService,
) -> None:
    view = await service.create(ALICE, "webapi", "8", "TodoApi")
    runtime = service._live[view.id].runtime
    assert isinstance(runtime, DotnetWorkspace)
    assert runtime.runtime.startswith(".NET 8.0.")

    hosted = await service.host_api(ALICE, view.id)
    assert hosted.port == 5000
    assert "Now listening on: http://127.0.0.1:5000" in hosted.log
    root = await service.call_endpoint(ALICE, view.id, "GET", "/")
    assert json.loads(root.body) == {"service": "TodoApi", "runtime": runtime.runtime}
    created = await service.call_endpoint(
        ALICE,
        view.id,
        "POST",
        "/items",
        headers={"Content-Type": "application/json"},
        body='{"id": 2, "name": "milk"}',
    )
    assert (created.status, created.headers["location"]) == (201, "/items/2")
    listed = await service.call_endpoint(ALICE, view.id, "GET", "/items")
    assert [item["name"] for item in json.loads(listed.body)] == ["first", "milk"]
    logs = await service.logs(ALICE, view.id, "api-5000")
    assert logs.running
    assert any("Application started" in line.text for line in logs.lines)

    program = (await service.read_file(ALICE, view.id, "Program.cs")).decode()
    edited = program.replace("app.Run();", 'app.MapGet("/ping", () => "pong");\napp.Run();')
    await service.write_file(ALICE, view.id, "Program.cs", edited.encode())
    rehosted = await service.host_api(ALICE, view.id)  # the old one is replaced
    assert (rehosted.port, rehosted.replaced) == (5000, "api-5000")
    pong = await service.call_endpoint(ALICE, view.id, "GET", "/ping")
    assert (pong.status, pong.body) == (200, "pong")
    assert rehosted.url != hosted.url  # a new forward

    await service.write_file(
        ALICE, view.id, "Program.cs", edited.replace('"pong"', "pong").encode()
    )
    with pytest.raises(WorkspaceError) as caught:
        await service.run_background(ALICE, view.id, "broken")
    assert caught.value.kind == "build_failed"
    assert "Program.cs(" in caught.value.message
    assert "CS0103" in caught.value.message

    traces = WorkspaceTraces.of(runtime)
    stopped = await service.stop(ALICE, view.id)
    assert (stopped.status, stopped.stop_reason, stopped.ports) == ("stopped", "client", [])
    assert await traces.left() == []
    with pytest.raises(WorkspaceError, match="was stopped by its owner at"):
        await service.call_endpoint(ALICE, view.id, "GET", "/ping")
