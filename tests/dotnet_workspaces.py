"""Shared .NET project workspaces for tests: one per (version, template), made on first use.

A workspace costs a Box, a restore and a cold first build (the compiler server warming up), so
tests share them for the session; a test that edits a workspace's files puts them back. Tests
about creation, closing or limits make their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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
