"""A `WorkspaceService` on a real store and the real bwrap backend, for the rules' tests.

The rules (owners, caps, idle cleanup, stop reasons, files, leftovers, background processes,
forwards, endpoint checks) do not depend on what runs in a workspace's Box, so these tests open
workspaces as a bare Box (`BoxOnlyWorkspace`, real bwrap, ~50 ms) instead of a .NET project
(seconds each). Its "app" is Python: `spawn_app` runs `python3 <args>` in the Box, and since a
bare Box has no project its build has nothing to do and succeeds; the .NET operations themselves
are refused. The .NET half runs for real with `DotnetWorkspace`s in test_service_dotnet.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.events import EventBus
from polybox.instance import Instance
from polybox.sandbox.box import Box, BoxBackend, BoxSpec, SpawnedProcess
from polybox.sandbox.bwrap import BwrapBackend, boxes_dir
from polybox.sandbox.capabilities import bwrap_config
from polybox.sandbox.dotnet import (
    BuildResult,
    CommandResult,
    DotnetError,
    PackageRef,
    TestRun,
    WorkspaceLimits,
    WorkspaceUsage,
)
from polybox.workspaces.models import WorkspaceRuntime
from polybox.workspaces.rules import instance_label
from polybox.workspaces.service import OpenWorkspace, WorkspaceService

INSTANCE = "test-instance"


@dataclass
class BoxOnlyWorkspace:
    """A workspace's runtime half reduced to its Box (see the module docstring)."""

    box: Box
    version: str
    project: str
    runtime: str = ""

    async def build(self, configuration: str = "Debug", timeout_s: float = 0) -> BuildResult:
        return BuildResult(True, (), CommandResult(0, "", "", False, False, False, 0.0, None))

    async def spawn_app(
        self, name: str, args: Sequence[str], env: Mapping[str, str]
    ) -> SpawnedProcess:
        return await self.box.spawn(["python3", *args], name=name, env=env)

    async def usage(self) -> WorkspaceUsage:
        return WorkspaceUsage(None, None, sum(f.size for f in await self.box.list_files()))

    async def add_package(self, ref: PackageRef) -> tuple[str, str]:
        self._no_project()

    async def run(
        self, args: Sequence[str], timeout_s: float
    ) -> tuple[BuildResult, CommandResult | None]:
        self._no_project()

    async def command(self, argv: Sequence[str], timeout_s: float) -> CommandResult:
        self._no_project()

    async def test(self, timeout_s: float) -> TestRun:
        self._no_project()

    def _no_project(self) -> NoReturn:
        raise DotnetError("a bare Box has no .NET project")

    async def close(self) -> None:
        await self.box.destroy()


def box_only(backend: BoxBackend) -> OpenWorkspace:
    async def open_workspace(
        version: str, template: str, name: str, limits: WorkspaceLimits
    ) -> WorkspaceRuntime:
        return BoxOnlyWorkspace(await backend.create(BoxSpec()), version, f"{name}.csproj")

    return open_workspace


def bwrap_backend(data_dir: Path) -> BwrapBackend:
    config = bwrap_config(Settings(data_dir=data_dir))
    return BwrapBackend(boxes_dir(data_dir, config.account), config)


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
        None,
        instance=instance,
        open_workspace=box_only(backend),
    )
    await service.start()
    try:
        yield service
    finally:
        await service.close()


@asynccontextmanager
async def box_only_workspaces(instance: Instance) -> AsyncIterator[WorkspaceService]:
    """`instance.workspaces` replaced, for the block, by a started service whose workspaces are
    bare bwrap Boxes, on the instance's own store, bus and label (for the admin API's tests)."""
    backend = bwrap_backend(instance.settings.data_dir)
    kept = instance.workspaces
    try:
        async with running_service(
            instance.sessions,
            instance.events,
            backend,
            instance.settings.data_dir,
            instance=instance_label(instance.settings),
        ) as service:
            instance.workspaces = service
            yield service
    finally:
        instance.workspaces = kept
        await backend.close()


SERVER_APP = """
import http.server, os, sys
port = int(os.environ["ASPNETCORE_URLS"].rsplit(":", 1)[1])
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"x" * 200_000 if self.path == "/big" else f"hello from {self.path}".encode()
        self.send_response(200)
        self.send_header("X-App", "python")
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.end_headers()
        self.wfile.write(body.upper())
    def log_message(self, fmt, *args):
        print("request", self.command, self.path, flush=True)
print("listening on", port, flush=True)
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""
"""A Python stand-in for a hosted web API (in a bare Box): GET echoes the path, POST the body
upper-cased, /big answers 200 kB; it logs each request."""
SERVER_ARGS = ["-c", SERVER_APP]
