"""/workspaces: every .NET workspace of this instance, its files, and stopping them (admins).

Each route is one call of the `WorkspaceService` admin side; the service owns the rules (an
admin's stop tells the owner's next call "stopped by an admin"), this router only checks that
the caller is an admin and shapes the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from polybox.api.deps import AdminDep, InstanceDep, current_admin
from polybox.workspaces.admin import (
    CleanupOut,
    FileContentOut,
    FileOut,
    WorkspaceOut,
    WorkspaceState,
    listed,
    log_lines,
)
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.service import WorkspaceService

router = APIRouter(prefix="/workspaces", tags=["workspaces"], dependencies=[Depends(current_admin)])

WorkspaceId = Annotated[
    str,
    Path(
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
        description="The workspace's id, e.g. dotnet8-webapi-3fa2c1",
    ),
]
FilePath = Annotated[
    str,
    Query(
        min_length=1,
        max_length=1024,
        description="A path inside /workspace: relative (Program.cs) or /workspace/...",
    ),
]


def get_workspaces(instance: InstanceDep) -> WorkspaceService:
    if instance.workspaces is None:
        raise WorkspaceError("unavailable", "this polybox process runs no .NET workspaces")
    return instance.workspaces


WorkspacesDep = Annotated[WorkspaceService, Depends(get_workspaces)]


async def checked_log(
    workspace_id: WorkspaceId,
    process: Annotated[str, Path(min_length=1, max_length=64, description="The process's name")],
    workspaces: WorkspacesDep,
) -> AsyncIterator[str]:
    """The log lines of a process that exists now: checked before the stream's answer starts,
    so an unknown workspace or process is a 404, a stopped workspace a 409."""
    return await log_lines(workspaces, workspace_id, process)


@router.get(
    "",
    response_model=list[WorkspaceOut],
    summary="List workspaces: running first, with usage, age and idle time",
)
async def list_workspaces(
    workspaces: WorkspacesDep, status: WorkspaceState | None = None
) -> list[WorkspaceOut]:
    return listed(await workspaces.list_all(), status)


@router.post(
    "/cleanup",
    response_model=CleanupOut,
    summary="Clean up every workspace (stop it, remove its files)",
)
async def cleanup_workspaces(admin: AdminDep, workspaces: WorkspacesDep) -> CleanupOut:
    return CleanupOut(cleaned=await workspaces.admin_cleanup_all(admin.actor))


@router.get(
    "/{workspace_id}",
    response_model=WorkspaceOut,
    summary="Get one workspace with its processes and forwarded ports",
)
async def get_workspace(workspace_id: WorkspaceId, workspaces: WorkspacesDep) -> WorkspaceOut:
    return WorkspaceOut.model_validate(await workspaces.detail(workspace_id))


@router.get(
    "/{workspace_id}/files",
    response_model=list[FileOut],
    summary="The file tree of a running workspace (bin, obj and .git listed, not entered)",
)
async def list_workspace_files(
    workspace_id: WorkspaceId,
    workspaces: WorkspacesDep,
    path: Annotated[str, Query(max_length=1024, description="A directory")] = ".",
) -> list[FileOut]:
    return [
        FileOut.model_validate(info) for info in await workspaces.admin_files(workspace_id, path)
    ]


@router.get(
    "/{workspace_id}/file",
    response_model=FileContentOut,
    summary="Read one file of a running workspace",
)
async def read_workspace_file(
    workspace_id: WorkspaceId, path: FilePath, workspaces: WorkspacesDep
) -> FileContentOut:
    return FileContentOut.of(path, await workspaces.admin_read_file(workspace_id, path))


@router.post(
    "/{workspace_id}/stop",
    response_model=WorkspaceOut,
    summary="Stop a workspace; its owner's next call is told an admin stopped it",
)
async def stop_workspace(
    workspace_id: WorkspaceId, admin: AdminDep, workspaces: WorkspacesDep
) -> WorkspaceOut:
    return WorkspaceOut.model_validate(await workspaces.admin_stop(workspace_id, admin.actor))


@router.get(
    "/{workspace_id}/processes/{process}/log",
    response_class=EventSourceResponse,
    summary="Follow a process's log live (Server-Sent Events)",
    description=(
        "The kept lines of the process's log (the last ones), then each new line as it comes, "
        "each one `line` event whose data is the line (JSON string). The first line, the comment "
        "`: following`, says the stream is live; an `end` event comes when the process has "
        "ended (or its workspace stopped), and the stream closes."
    ),
)
async def follow_process_log(
    lines: Annotated[AsyncIterator[str], Depends(checked_log)],
) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(comment="following")
    async for line in lines:
        yield ServerSentEvent(data=line, event="line")
    yield ServerSentEvent(data="", event="end")
