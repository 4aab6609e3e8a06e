"""Attacks from a .NET project workspace's own project: MSBuild code, bombs, leftovers.

Real SDK, composed runtimes, the real bwrap sandbox with its cgroup and the loop-mounted disk
image (as root). Each attack is an MSBuild target in the user's project file, the way user code
runs at build time; afterwards the workspace still serves, or is gone without a trace.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest

from dotnet_snippets import DATA_DIR, PREPARE_TIMEOUT
from dotnet_workspaces import LIMITS, Workspaces, WorkspaceTraces
from polybox.sandbox.dotnet import CommandResult, DotnetRuntime, DotnetWorkspace
from security.box_attacks import MARKER_VALUE

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(PREPARE_TIMEOUT)]

HOST_FILE = DATA_DIR / "workspace-host-secret.txt"
SMALL = dataclasses.replace(LIMITS, processes=256, disk_mb=96)


@pytest.fixture
def host_file() -> Iterator[Path]:
    """A secret file of the supervisor's, by absolute path."""
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    HOST_FILE.write_text(MARKER_VALUE)
    yield HOST_FILE
    HOST_FILE.unlink(missing_ok=True)


@pytest.fixture(scope="module")
async def small(dotnet: DotnetRuntime) -> AsyncIterator[DotnetWorkspace]:
    """A workspace with a small pids limit and disk quota, for the bombs."""
    workspace = await DotnetWorkspace.create(dotnet, "10", "classlib", "Bombs", SMALL)
    yield workspace
    await workspace.close()


@contextlib.asynccontextmanager
async def _planted(workspace: DotnetWorkspace, command: str) -> AsyncIterator[None]:
    """The project gets a target running `command` through MSBuild's Exec before each build;
    put back afterwards."""
    escaped = html.escape(command, quote=True)
    target = (
        '<Target Name="PolyboxAttack" BeforeTargets="BeforeBuild">'
        f'<Exec Command="{escaped}" /></Target></Project>'
    )
    project = await workspace.box.read_file(workspace.project)
    await workspace.box.write_file(
        workspace.project, project.replace(b"</Project>", target.encode())
    )
    try:
        yield
    finally:
        await workspace.box.write_file(workspace.project, project)


async def _attack(workspace: DotnetWorkspace, command: str, timeout_s: float) -> CommandResult:
    """Run `command` as the project's MSBuild target (only that target: no compile)."""
    async with _planted(workspace, command):
        return await workspace.command(
            ["dotnet", "msbuild", workspace.project, "-t:PolyboxAttack", "-nologo"], timeout_s
        )


async def _still_serves(workspace: DotnetWorkspace) -> None:
    after = await workspace.command(["dotnet", "--version"], 60)
    assert after.exit_code == 0, after


async def test_msbuild_exec_task_in_a_user_project_runs_only_inside_the_box(
    workspaces: Workspaces, host_file: Path
) -> None:
    workspace = await workspaces.get("10", "console")
    attack = (
        f"(id -u; hostname; cat {host_file}; echo pwned > {host_file}; "
        "ls /work /root /var/lib) > /workspace/exec.txt 2>&1; true"
    )
    async with _planted(workspace, attack):
        build = await workspace.build()  # a real build: the target runs before the compile
    assert build.succeeded, build
    seen = (await workspace.box.read_file("exec.txt")).decode()
    uid, hostname = seen.splitlines()[:2]
    assert int(uid) != 0
    assert hostname == "box"
    assert MARKER_VALUE not in seen
    assert f"{host_file}: No such file or directory" in seen
    assert await anyio.Path(host_file).read_text() == MARKER_VALUE  # untouched on the host


async def test_fork_bomb_in_a_workspace_stops_at_the_pids_limit(small: DotnetWorkspace) -> None:
    result = await _attack(small, "while true; do sleep 600 & done", 15)
    assert result.timed_out
    assert result.limit == "processes", result
    await _still_serves(small)


async def test_disk_bomb_in_a_workspace_stops_at_its_quota(small: DotnetWorkspace) -> None:
    if small.quota is None or small.quota.mode != "image":
        pytest.skip("the disk image needs root and loop devices; the du fallback is tested apart")
    fill = "dd if=/dev/zero of=/workspace/fill bs=1M count=4096; status=$?; rm -f /workspace/fill"
    result = await _attack(small, f"{fill}; exit $status", 60)
    assert result.exit_code != 0
    assert result.limit == "disk", result
    assert "No space left on device" in result.stdout + result.stderr
    assert (await small.usage()).disk_bytes < SMALL.disk_mb << 20
    await _still_serves(small)


async def test_a_process_left_running_after_close_is_gone(dotnet: DotnetRuntime) -> None:
    workspace = await DotnetWorkspace.create(dotnet, "10", "classlib", "Leaves", SMALL)
    try:
        left = await _attack(workspace, "nohup sleep 3617 > /dev/null 2>&1 &", 60)
        assert left.exit_code == 0, left
        traces = WorkspaceTraces.of(workspace)
        assert any(_cmdline(pid) == b"sleep\x003617\x00" for pid, _ in traces.processes)
    finally:
        await workspace.close()
    assert await traces.left() == []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
