"""What the workspaces service hands its surfaces (MCP tools, admin API): plain frozen views.

`WorkspaceView` is one workspace as lists and details show it; `ProcessView` one of its
background processes or hosted APIs. `WorkspaceRuntime` is what the service needs of the runtime
half of a workspace (`polybox.sandbox.dotnet.DotnetWorkspace` in production).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from polybox.sandbox.box import Box, SpawnedProcess
from polybox.sandbox.dotnet import (
    BuildResult,
    CommandResult,
    PackageRef,
    TestRun,
    WorkspaceUsage,
)
from polybox.store.types import utcnow


@dataclass(frozen=True)
class ProcessView:
    """A background process (`kind` "background") or hosted API ("api") of a workspace."""

    name: str
    kind: str
    argv: list[str]
    port: int | None  # the port inside the Box an API listens on
    running: bool
    exit_code: int | None
    started_at: datetime
    url: str | None  # the host-side URL of a hosted API's forward


@dataclass(frozen=True)
class WorkspaceView:
    """One workspace as lists show it; usage numbers only while it runs in this process."""

    id: str
    owner: str
    version: str
    template: str
    project: str
    runtime: str  # e.g. ".NET 8.0.31"; "" unless it runs in this process
    status: str
    stop_reason: str | None
    stopped_at: datetime | None
    created_at: datetime
    last_used_at: datetime
    idle_seconds: float
    ports: list[int]
    processes: list[ProcessView]
    cpu_seconds: float | None
    memory_bytes: int | None
    disk_bytes: int | None

    @property
    def age_seconds(self) -> float:
        """Seconds since it was created, now (never below 0 when another replica's clock runs
        ahead)."""
        return max((utcnow() - self.created_at).total_seconds(), 0.0)


@dataclass(frozen=True)
class HostedApi:
    """A hosted API that answered: where to call it and what it printed first."""

    process: ProcessView
    url: str
    port: int
    log: str
    replaced: str | None = None  # the running API this one replaced (stopped before the build)


@dataclass(frozen=True)
class EndpointResponse:
    """What a workspace's own API answered; `body` is cut at the service's cap (`truncated`)."""

    status: int
    headers: dict[str, str]
    body: str
    truncated: bool
    duration_ms: float


@dataclass(frozen=True)
class LogLine:
    """One line of a process log and when the service first saw it (to a poll interval)."""

    at: datetime
    text: str


@dataclass(frozen=True)
class LogTail:
    """The last lines of a process log; `running`/`exit_code` say whether more may come."""

    process: str
    lines: list[LogLine]
    running: bool
    exit_code: int | None


class WorkspaceRuntime(Protocol):
    """The runtime half of a workspace, as far as the service's rules need it."""

    box: Box
    version: str
    runtime: str  # e.g. ".NET 8.0.31"
    project: str  # "<Name>.csproj"

    async def add_package(self, ref: PackageRef) -> tuple[str, str]: ...
    async def build(self, configuration: str = ..., timeout_s: float = ...) -> BuildResult: ...
    async def run(
        self, args: Sequence[str], timeout_s: float
    ) -> tuple[BuildResult, CommandResult | None]: ...
    async def command(self, argv: Sequence[str], timeout_s: float) -> CommandResult: ...
    async def test(self, timeout_s: float) -> TestRun: ...
    async def spawn_app(
        self, name: str, args: Sequence[str], env: Mapping[str, str]
    ) -> SpawnedProcess: ...
    async def usage(self) -> WorkspaceUsage: ...
    async def close(self) -> None:
        """Stop everything of the workspace: processes, build servers, Box, disk image."""
