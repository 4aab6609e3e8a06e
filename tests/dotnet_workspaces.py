"""Shared .NET project workspaces for tests: one per (version, template), made on first use.

A workspace costs a Box, a restore and a cold first build (the compiler server warming up), so
tests share them for the session; a test that edits a workspace's files puts them back. Tests
about creation, closing or limits make their own.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from polybox.sandbox.bwrap import BwrapBox
from polybox.sandbox.dotnet import DotnetRuntime, DotnetWorkspace, WorkspaceLimits

LIMITS = WorkspaceLimits(
    memory_mb=1536,
    processes=384,
    disk_mb=512,
    cpu_seconds=300,
    tmp_size_mb=256,
    output_limit=65536,
)


class Workspaces:
    """Workspaces made on first use, closed at the end of the session."""

    def __init__(self, dotnet: DotnetRuntime) -> None:
        self.dotnet = dotnet
        self._made: dict[tuple[str, str], DotnetWorkspace] = {}

    async def get(self, version: str, template: str) -> DotnetWorkspace:
        """The shared `template` workspace on `version` (project name `Demo`)."""
        key = (version, template)
        if key not in self._made:
            self._made[key] = await DotnetWorkspace.create(
                self.dotnet, version, template, "Demo", LIMITS
            )
        return self._made[key]

    async def close(self) -> None:
        for workspace in self._made.values():
            await workspace.close()
        self._made.clear()


@pytest.fixture(scope="session")
async def workspaces(dotnet: DotnetRuntime) -> AsyncIterator[Workspaces]:
    """The session's shared workspaces (on the session's prepared runtime)."""
    shared = Workspaces(dotnet)
    yield shared
    await shared.close()


def _start_time(pid: int) -> str:
    """The start time of a live process; "" when gone or a zombie (dead, awaiting its reaper)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return ""
    return "" if fields[0] == "Z" else fields[19]


@dataclass(frozen=True)
class WorkspaceTraces:
    """What a running workspace has on the host, to check that closing it removes all of it."""

    box_dir: Path
    workspace_dir: Path
    cgroup_dirs: tuple[Path, ...]
    processes: tuple[tuple[int, str], ...]  # (pid, start time): pids are reused on a busy host
    mounted: bool

    @classmethod
    def of(cls, workspace: DotnetWorkspace) -> WorkspaceTraces:
        box = workspace.box
        assert isinstance(box, BwrapBox)
        assert box.cgroup is not None, "these tests need a cgroup per Box (run as root)"
        pids = (box.cgroup.dirs[0] / "cgroup.procs").read_text().split()
        return cls(
            box_dir=box.dir,
            workspace_dir=box.workspace.root,
            cgroup_dirs=box.cgroup.dirs,
            processes=tuple((int(pid), _start_time(int(pid))) for pid in pids),
            mounted=str(box.workspace.root) in _mounts(),
        )

    async def left(self, patience: float = 5.0) -> list[str]:
        """What is still there: processes, Box dir, cgroup dirs, mounts. Killed processes may
        take a moment to finish exiting on a loaded host: they get `patience` seconds."""
        deadline = time.monotonic() + patience
        while True:
            left = [
                f"process {pid} {_describe(pid)}"
                for pid, started in self.processes
                if _start_time(pid) == started
            ]
            if not left or time.monotonic() > deadline:
                break
            await anyio.sleep(0.05)
        left += [f"directory {path}" for path in (self.box_dir, *self.cgroup_dirs) if path.exists()]
        left += [f"mount {line}" for line in _mounts().splitlines() if str(self.box_dir) in line]
        return left


def _describe(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text()[:120]
    except OSError:
        return "(gone)"


def _mounts() -> str:
    return Path("/proc/self/mounts").read_text()
