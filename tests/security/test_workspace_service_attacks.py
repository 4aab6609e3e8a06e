"""Attacks on the workspace service: leaving /workspace through the file operations, reaching
another client's workspace, aiming `call_endpoint` at anything but the workspace's own API, and
a process left running after stop.

Workspaces are bare bwrap Boxes with a Python "app" (tests/workspaces/service_setup.py): these
defences are the service's and the Box's, the same whatever runs inside.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.forge.actors import llm
from polybox.sandbox.bwrap import BwrapBox
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.service import WorkspaceService
from sandbox.egress_servers import Server
from workspaces.service_setup import SERVER_ARGS, bwrap_service

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

ALICE = llm("alice-client")
MALLORY = llm("mallory-client")


@pytest.fixture
async def service(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> AsyncIterator[WorkspaceService]:
    async with bwrap_service(sessions, tmp_path) as service:
        yield service


@pytest.fixture
async def workspace(service: WorkspaceService) -> str:
    return (await service.create(ALICE, "webapi", "10", "Api")).id


async def _refused(call: object, kind: str = "invalid_path") -> str:
    with pytest.raises(WorkspaceError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.kind == kind
    return caught.value.message


async def test_dotdot_paths_cannot_leave_the_workspace(
    service: WorkspaceService, workspace: str
) -> None:
    for path in ("../etc/passwd", "src/../../etc/passwd", "/workspace/../etc/passwd", ".."):
        assert "'..' is not allowed" in await _refused(service.read_file(ALICE, workspace, path))
        await _refused(service.write_file(ALICE, workspace, path, b"x"))
        await _refused(service.files(ALICE, workspace, path))


async def test_absolute_paths_outside_the_workspace_are_refused(
    service: WorkspaceService, workspace: str, tmp_path: Path
) -> None:
    for path in ("/etc/passwd", str(tmp_path / "polybox.db"), "/workspacefoo/x", "/proc/1/environ"):
        message = await _refused(service.read_file(ALICE, workspace, path))
        assert "is outside /workspace" in message
        await _refused(service.write_file(ALICE, workspace, path, b"x"))
    await service.write_file(ALICE, workspace, "/workspace/ok.txt", b"fine")  # its own prefix
    assert await service.read_file(ALICE, workspace, "ok.txt") == b"fine"


async def test_a_symlink_planted_by_code_in_the_box_is_not_followed(
    service: WorkspaceService, workspace: str
) -> None:
    box = service._live[workspace].runtime.box
    planted = await box.exec(
        ["sh", "-c", "ln -s /etc etcdir && ln -s /etc/passwd passwd && ln -s / root"], timeout=10
    )
    assert planted.ok, planted
    for path in ("etcdir/passwd", "passwd", "root/etc/hostname"):
        assert "leads outside /workspace" in await _refused(
            service.read_file(ALICE, workspace, path)
        )
    await _refused(service.write_file(ALICE, workspace, "etcdir/evil", b"x"))
    await _refused(service.admin_read_file(workspace, "etcdir/passwd"))
    host_passwd = await anyio.Path("/etc/passwd").read_bytes()
    await service.write_file(ALICE, workspace, "passwd", b"x")  # replaces the link itself
    assert await anyio.Path("/etc/passwd").read_bytes() == host_passwd
    assert await service.read_file(ALICE, workspace, "passwd") == b"x"
    await _refused(service.files(ALICE, workspace, "etcdir"))
    tree = {entry.path: entry.is_dir for entry in await service.files(ALICE, workspace)}
    assert tree["etcdir"] is False  # listed as the link it is, never entered
    assert not any(path.startswith("etcdir/") for path in tree)


async def test_another_clients_workspace_is_out_of_reach(
    service: WorkspaceService, workspace: str
) -> None:
    await service.write_file(ALICE, workspace, "secret.txt", b"alice's")
    await service.host_api(ALICE, workspace, args=SERVER_ARGS)
    for call in (
        service.read_file(MALLORY, workspace, "secret.txt"),
        service.write_file(MALLORY, workspace, "secret.txt", b"x"),
        service.files(MALLORY, workspace),
        service.logs(MALLORY, workspace),
        service.call_endpoint(MALLORY, workspace, "GET", "/"),
        service.kill_process(MALLORY, workspace, "api-5000"),
        service.stop(MALLORY, workspace),
    ):
        assert "you have no workspace" in await _refused(call, "not_found")
    assert await service.list(MALLORY) == []
    assert await service.cleanup_all(MALLORY) == 0
    assert (await service.detail(workspace)).status == "running"


async def test_call_endpoint_cannot_reach_another_workspaces_port(
    service: WorkspaceService, workspace: str
) -> None:
    other = (await service.create(ALICE, "webapi", "10", "Other")).id
    target = await service.host_api(ALICE, other, args=SERVER_ARGS)
    own = await service.host_api(ALICE, workspace, port=5001, args=SERVER_ARGS)
    host_port = int(target.url.rsplit(":", 1)[1])
    for port in (host_port, 5000):
        message = await _refused(
            service.call_endpoint(ALICE, workspace, "GET", "/attack", port=port), "not_found"
        )
        assert f"no hosted API on port {port} in this workspace (running: 5001)" in message
    for path in (
        f"//127.0.0.1:{host_port}/attack",
        f"@127.0.0.1:{host_port}/attack",
        f":{host_port}/attack",
    ):
        await _refused(service.call_endpoint(ALICE, workspace, "GET", path), "invalid_arguments")
    assert (
        await service.call_endpoint(ALICE, workspace, "GET", "/mine")
    ).body == "hello from /mine"
    other_log = [line.text for line in (await service.logs(ALICE, other)).lines]
    assert "request GET /" in other_log  # host_api's readiness probe
    assert not any("/attack" in line for line in other_log)
    assert own.port == 5001


async def test_call_endpoint_cannot_reach_a_host_service(
    service: WorkspaceService, workspace: str, server: Server
) -> None:
    await service.host_api(ALICE, workspace, args=SERVER_ARGS)
    await _refused(
        service.call_endpoint(ALICE, workspace, "GET", "/", port=server.port), "not_found"
    )
    for path in (
        f"http://127.0.0.1:{server.port}/",
        f"//127.0.0.1:{server.port}/",
        f"/\\\\127.0.0.1:{server.port}/",
        f"/ HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\nGET /",
        "",
        "relative/path",
    ):
        await _refused(service.call_endpoint(ALICE, workspace, "GET", path), "invalid_arguments")
    await _refused(
        service.call_endpoint(ALICE, workspace, "CONNECT", f"127.0.0.1:{server.port}"),
        "invalid_arguments",
    )
    assert server.recorder.requests == []


async def test_a_process_left_running_dies_and_its_port_closes_when_the_workspace_stops(
    service: WorkspaceService, workspace: str
) -> None:
    hosted = await service.host_api(ALICE, workspace, args=SERVER_ARGS)
    assert await _answers(int(hosted.url.rsplit(":", 1)[1]))
    script = "import os, time; os.fork(); os.setsid(); time.sleep(600)"  # a detached child too
    await service.run_background(ALICE, workspace, "lingerer", ["-c", script])
    box = service._live[workspace].runtime.box
    assert isinstance(box, BwrapBox)
    assert box.cgroup is not None, "this attack needs a cgroup per Box (run as root)"
    procs = box.cgroup.dirs[0] / "cgroup.procs"
    assert len(procs.read_text().split()) >= 3
    await service.stop(ALICE, workspace)
    assert not procs.exists()
    assert not box.dir.exists()
    port = int(hosted.url.rsplit(":", 1)[1])
    assert not await _answers(port)


async def _answers(port: int) -> bool:
    """Whether anything on the host's loopback `port` answers a request with a byte."""
    try:
        async with asyncio.timeout(5):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.0\r\n\r\n")
            answered = bool(await reader.read(1))
            writer.close()
            return answered
    except OSError:
        return False
