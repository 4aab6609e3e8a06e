"""The container tools: list a caller's workspaces, stop one, clean up all of them."""

from __future__ import annotations

import time
from typing import Any

from polybox.mcp.dotnet.base import workspaces
from polybox.mcp.management.base import Call, ManagementTool
from polybox.workspaces import outputs
from polybox.workspaces.answers import Success
from polybox.workspaces.workspace_schemas import (
    CleanedOut,
    NoInput,
    WorkspaceInput,
    WorkspaceOut,
    WorkspacesOut,
    answer_model,
)


async def _list(call: Call, args: NoInput) -> Success[WorkspacesOut]:
    started = time.perf_counter()
    views = await workspaces(call).list(call.actor)
    settings = await call.instance.live.current()
    return Success[WorkspacesOut](
        data=WorkspacesOut(
            workspaces=[outputs.workspace_out(view) for view in views],
            running=sum(1 for view in views if view.status == "running"),
            max_running=settings.dotnet_workspace_max_running_per_client,
            max_workspaces=settings.dotnet_workspace_max_per_client,
        ),
        metadata=outputs.metadata(started, None),
    )


async def _stop(call: Call, args: WorkspaceInput) -> Success[WorkspaceOut]:
    started = time.perf_counter()
    view = await workspaces(call).stop(call.actor, args.workspace_id)
    return Success[WorkspaceOut](
        data=outputs.workspace_out(view), metadata=outputs.metadata(started, view.id, view.runtime)
    )


async def _cleanup(call: Call, args: NoInput) -> Success[CleanedOut]:
    started = time.perf_counter()
    stopped = await workspaces(call).cleanup_all(call.actor)
    return Success[CleanedOut](
        data=CleanedOut(stopped=stopped), metadata=outputs.metadata(started, None)
    )


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "dotnet_list_containers",
        "List your .NET workspaces (every one of this server for an admin): id, project, "
        "version, template, status (and why and when a stopped one stopped), ports, processes, "
        "age, idle time and, for running ones, CPU, memory and disk used.",
        NoInput,
        _list,
        output=answer_model(WorkspacesOut),
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "dotnet_stop_container",
        "Stop a workspace: its processes, build servers and sandbox end and its files are "
        "removed. Later calls to it say it was stopped; create a new one to go on.",
        WorkspaceInput,
        _stop,
        output=answer_model(WorkspaceOut),
        destructive=True,
        idempotent=True,
    ),
    ManagementTool(
        "dotnet_cleanup_all",
        "Stop and remove all your workspaces (every one of this server for an admin); answers "
        "how many.",
        NoInput,
        _cleanup,
        output=answer_model(CleanedOut),
        destructive=True,
        idempotent=True,
    ),
]
