"""The workspaces as the admin API shows them: output models of the service's admin side.

The service (`WorkspaceService`'s admin methods) holds the rules and does the work; this module
only turns its frozen views into the API's models (read from the views' attributes), with a
file's text as text on top.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict

from polybox.forge.schemas import Out
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.models import WorkspaceView
from polybox.workspaces.service import WorkspaceService

WorkspaceState = Literal["running", "stopped", "cleaned"]


class ProcessOut(Out):
    """A background process (`kind` background) or hosted API (`api`) of a workspace."""

    model_config = ConfigDict(from_attributes=True)  # read from a ProcessView

    name: str
    kind: str
    argv: list[str]
    port: int | None  # the port inside the workspace a hosted API listens on
    running: bool
    exit_code: int | None
    started_at: datetime
    url: str | None  # the host-side address of a hosted API's forward


class WorkspaceOut(Out):
    """One workspace; usage numbers (CPU, memory, disk) only while it runs in this process."""

    model_config = ConfigDict(from_attributes=True)  # read from a WorkspaceView

    id: str
    owner: str  # the MCP client that created it
    version: str
    template: str
    project: str
    status: str
    stop_reason: str | None  # client | admin | idle | restart | limit
    stopped_at: datetime | None
    created_at: datetime
    last_used_at: datetime
    age_seconds: float
    idle_seconds: float
    ports: list[int]  # forwarded ports (inside the workspace)
    processes: list[ProcessOut]
    cpu_seconds: float | None
    memory_bytes: int | None
    disk_bytes: int | None


class FileOut(Out):
    """One entry of a workspace's file tree; `path` is relative to /workspace."""

    model_config = ConfigDict(from_attributes=True)  # read from a FileInfo

    path: str
    size: int
    is_dir: bool
    modified: float  # seconds since the epoch


class FileContentOut(Out):
    """A file of a workspace; `text` is None for a file that is not UTF-8 text."""

    path: str
    size: int
    text: str | None

    @classmethod
    def of(cls, path: str, data: bytes) -> FileContentOut:
        try:
            text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        return cls(path=path, size=len(data), text=text)


class CleanupOut(Out):
    """How many workspaces a cleanup stopped and removed."""

    cleaned: int


def listed(views: list[WorkspaceView], status: WorkspaceState | None) -> list[WorkspaceOut]:
    """The views with `status` (all when None), running first, newest first within a status."""
    chosen = [view for view in views if status is None or view.status == status]
    chosen.sort(key=lambda view: view.created_at, reverse=True)
    chosen.sort(key=lambda view: view.status != "running")
    return [WorkspaceOut.model_validate(view) for view in chosen]


async def log_lines(
    workspaces: WorkspaceService, workspace_id: str, process: str
) -> AsyncIterator[str]:
    """The live log of `process`, once it is known to exist (a stream cannot answer 404 later)."""
    view = await workspaces.detail(workspace_id)
    if view.status != "running":
        raise WorkspaceError("workspace_stopped", f"{workspace_id} is {view.status}")
    names = [each.name for each in view.processes]
    if process not in names:
        raise WorkspaceError(
            "not_found",
            f"{workspace_id} has no process {process!r}; its processes: "
            f"{', '.join(names) or 'none'}",
        )
    return workspaces.log_stream(workspace_id, process)
