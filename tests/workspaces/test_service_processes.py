"""Background processes and hosted APIs of a workspace: readiness, calls, logs, kill.

Workspaces are bare bwrap Boxes whose "app" is Python (see service_setup.py); forwards, logs and
HTTP are all real. The .NET webapi path is in test_service_dotnet.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge.actors import llm
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.processes import BODY_LIMIT
from polybox.workspaces.service import WorkspaceService
from workspaces.service_setup import SERVER_ARGS, bwrap_service

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

ALICE = llm("alice-client")


@pytest.fixture
async def service(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[WorkspaceService]:
    async with bwrap_service(sessions, tmp_path, dotnet_host_ready_timeout_seconds=3) as service:
        yield service


async def test_a_hosted_api_answers_get_and_post_through_its_forward_then_is_killed(
    service: WorkspaceService,
) -> None:
    workspace = await service.create(ALICE, "webapi", "8", "Api")
    hosted = await service.host_api(ALICE, workspace.id, args=SERVER_ARGS)
    assert hosted.port == 5000
    assert hosted.url.startswith("http://127.0.0.1:")
    assert "listening on 5000" in hosted.log
    assert (await service.detail(workspace.id)).ports == [5000]

    got = await service.call_endpoint(ALICE, workspace.id, "GET", "/todos?x=1")
    assert (got.status, got.body, got.headers["x-app"]) == (200, "hello from /todos?x=1", "python")
    posted = await service.call_endpoint(
        ALICE, workspace.id, "post", "/todos", headers={"Content-Type": "text/plain"}, body="milk"
    )
    assert (posted.status, posted.body) == (201, "MILK")
    big = await service.call_endpoint(ALICE, workspace.id, "GET", "/big")
    assert big.truncated
    assert len(big.body) == BODY_LIMIT

    logs = await service.logs(ALICE, workspace.id, "api-5000")
    assert [line.text for line in logs.lines][-3:] == [
        "request GET /todos?x=1",
        "request POST /todos",
        "request GET /big",
    ]
    killed = await service.kill_process(ALICE, workspace.id, "api-5000")
    assert not killed.running
    assert (await service.detail(workspace.id)).ports == []
    with pytest.raises(WorkspaceError, match="hosts no running API"):
        await service.call_endpoint(ALICE, workspace.id, "GET", "/")
    with pytest.raises(httpx.TransportError):
        async with httpx.AsyncClient(trust_env=False) as client:
            await client.get(hosted.url + "/", timeout=2)


async def test_an_app_that_dies_before_answering_returns_its_exit_code_and_log_tail(
    service: WorkspaceService,
) -> None:
    workspace = await service.create(ALICE, "webapi", "8", "Api")
    script = "import sys; print('Unhandled exception: port taken'); sys.exit(3)"
    with pytest.raises(WorkspaceError) as caught:
        await service.host_api(ALICE, workspace.id, args=["-c", script])
    assert caught.value.kind == "process_exited"
    assert "exited with code 3 before it answered on port 5000" in caught.value.message
    assert caught.value.message.endswith("Unhandled exception: port taken")
    assert (await service.detail(workspace.id)).ports == []


async def test_an_app_that_never_answers_is_stopped_at_the_ready_timeout(
    service: WorkspaceService,
) -> None:
    workspace = await service.create(ALICE, "webapi", "8", "Api")
    script = "import time; print('warming up', flush=True); time.sleep(600)"
    with pytest.raises(WorkspaceError) as caught:
        await service.host_api(ALICE, workspace.id, args=["-c", script])
    assert caught.value.kind == "not_ready"
    assert "within 3 s (dotnet_host_ready_timeout_seconds); it was stopped" in caught.value.message
    assert "warming up" in caught.value.message
    hosted = await service.host_api(ALICE, workspace.id, args=SERVER_ARGS)  # the port is free
    assert hosted.port == 5000


async def test_logs_give_the_tail_and_only_lines_since_a_time(service: WorkspaceService) -> None:
    workspace = await service.create(ALICE, "console", "10", "Worker")
    script = "import time; print('first', flush=True); time.sleep(1); print('second')"
    started = await service.run_background(ALICE, workspace.id, "worker", ["-c", script])
    assert (started.name, started.kind, started.running) == ("worker", "background", True)
    lines = [line async for line in service.log_stream(workspace.id, "worker")]
    assert lines == ["first", "second"]
    everything = await service.logs(ALICE, workspace.id)
    assert (everything.process, everything.running, everything.exit_code) == ("worker", False, 0)
    first, second = everything.lines
    assert second.at - first.at >= timedelta(seconds=0.5)
    since = await service.logs(
        ALICE, workspace.id, "worker", since=first.at + timedelta(seconds=0.5)
    )
    assert [line.text for line in since.lines] == ["second"]
    assert [line.text for line in (await service.logs(ALICE, workspace.id, tail=1)).lines] == [
        "second"
    ]


async def test_process_names_and_ports_are_checked(service: WorkspaceService) -> None:
    workspace = await service.create(ALICE, "console", "10", "Worker")
    with pytest.raises(WorkspaceError, match=r"process name '\.\./x'"):
        await service.run_background(ALICE, workspace.id, "../x", ["-c", "pass"])
    with pytest.raises(WorkspaceError, match="port 80: use 1024-65535"):
        await service.host_api(ALICE, workspace.id, port=80, args=SERVER_ARGS)
    with pytest.raises(WorkspaceError, match="no process 'ghost'"):
        await service.kill_process(ALICE, workspace.id, "ghost")
    await service.run_background(
        ALICE, workspace.id, "api-5006", ["-c", "import time; time.sleep(60)"]
    )
    with pytest.raises(WorkspaceError, match="a process named api-5006 is running"):
        await service.host_api(ALICE, workspace.id, port=5006, args=SERVER_ARGS)


async def test_hosting_again_replaces_the_running_api_on_its_port(
    service: WorkspaceService,
) -> None:
    workspace = await service.create(ALICE, "console", "10", "Api")
    first = await service.host_api(ALICE, workspace.id, port=5005, args=SERVER_ARGS)
    assert first.replaced is None
    again = await service.host_api(ALICE, workspace.id, args=SERVER_ARGS)
    assert (again.port, again.process.name, again.replaced) == (5005, "api-5005", "api-5005")
    if again.url != first.url:  # the old forward went with the old process
        with pytest.raises(httpx.TransportError):
            async with httpx.AsyncClient(trust_env=False) as client:
                await client.get(first.url + "/", timeout=2)
    other = await service.host_api(ALICE, workspace.id, port=5007, args=SERVER_ARGS)
    assert other.replaced is None  # another port asked: a second API beside the first
    assert (await service.detail(workspace.id)).ports == [5005, 5007]
    response = await service.call_endpoint(ALICE, workspace.id, "GET", "/x", port=5005)
    assert (response.status, response.body) == (200, "hello from /x")
