"""A `WorkspaceService` on a real store and the real bwrap backend, for the rules' tests.

The rules (owners, caps, idle cleanup, stop reasons, files, leftovers) do not depend on what runs
in a workspace's Box, so these tests open workspaces as a bare Box (`BoxOnlyWorkspace`, real
bwrap, ~50 ms) instead of a .NET project (seconds each): the runtime half is reduced to its Box,
not faked. The .NET half is tested with real `DotnetWorkspace`s in test_service_dotnet.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.events import EventBus
from polybox.sandbox.box import Box, BoxBackend, BoxSpec
from polybox.sandbox.bwrap import BwrapBackend, boxes_dir
from polybox.sandbox.capabilities import bwrap_config
from polybox.workspaces.models import WorkspaceRuntime
from polybox.workspaces.service import OpenWorkspace, WorkspaceService

INSTANCE = "test-instance"


@dataclass
class BoxOnlyWorkspace:
    """A workspace's runtime half reduced to its Box (see the module docstring)."""

    box: Box
    version: str
    project: str
    runtime: str = ""

    async def close(self) -> None:
        await self.box.destroy()


def box_only(backend: BoxBackend) -> OpenWorkspace:
    async def open_workspace(version: str, template: str, name: str) -> WorkspaceRuntime:
        return BoxOnlyWorkspace(await backend.create(BoxSpec()), version, f"{name}.csproj")

    return open_workspace


def bwrap_backend(data_dir: Path) -> BwrapBackend:
    config = bwrap_config(Settings(data_dir=data_dir))
    return BwrapBackend(boxes_dir(data_dir, config.account), config)


ServiceFactory = Callable[..., Any]


@asynccontextmanager
async def running_service(
    sessions: async_sessionmaker[AsyncSession],
    events: EventBus,
    backend: BoxBackend,
    data_dir: Path,
    *,
    instance: str = INSTANCE,
    **settings: Any,
) -> AsyncIterator[WorkspaceService]:
    """A started service with `settings` overriding the defaults; closed afterwards."""
    service = WorkspaceService(
        sessions,
        events,
        Settings(data_dir=data_dir, **settings),
        backend,
        box_only(backend),
        instance=instance,
    )
    await service.start()
    try:
        yield service
    finally:
        await service.close()
