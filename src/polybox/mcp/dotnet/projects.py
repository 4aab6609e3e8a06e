"""The project tools: create a workspace, edit its files, add packages, build, run, test."""

from __future__ import annotations

import time
from typing import Any

from polybox.mcp.dotnet.base import workspaces
from polybox.mcp.management.base import Call, ManagementTool
from polybox.workspaces import outputs
from polybox.workspaces.answers import Success
from polybox.workspaces.workspace_schemas import (
    AddFileInput,
    CreatedOut,
    CreateProjectInput,
    FileContent,
    FileWritten,
    ProjectFiles,
    ProjectFilesInput,
    ReadFileInput,
    answer_model,
)


async def _create(call: Call, args: CreateProjectInput) -> Success[CreatedOut]:
    started = time.perf_counter()
    view = await workspaces(call).create(call.actor, args.template, args.dotnet_version, args.name)
    return Success[CreatedOut](
        data=outputs.created_out(view), metadata=outputs.metadata(started, view.id)
    )


async def _add_file(call: Call, args: AddFileInput) -> Success[FileWritten]:
    started = time.perf_counter()
    data = args.content.encode("utf-8")
    await workspaces(call).write_file(call.actor, args.workspace_id, args.path, data)
    return Success[FileWritten](
        data=FileWritten(path=args.path, size_bytes=len(data)),
        metadata=outputs.metadata(started, args.workspace_id),
    )


async def _read_file(call: Call, args: ReadFileInput) -> Success[FileContent]:
    started = time.perf_counter()
    data = await workspaces(call).read_file(call.actor, args.workspace_id, args.path)
    return Success[FileContent](
        data=outputs.file_content(args.path, data),
        metadata=outputs.metadata(started, args.workspace_id),
    )


async def _files(call: Call, args: ProjectFilesInput) -> Success[ProjectFiles]:
    started = time.perf_counter()
    entries = await workspaces(call).files(call.actor, args.workspace_id, args.path)
    return Success[ProjectFiles](
        data=outputs.project_files(entries, args.include_build_output),
        metadata=outputs.metadata(started, args.workspace_id),
    )


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "dotnet_create_project",
        "Create a .NET project workspace: a sandbox (no network) that lives across calls, holding "
        "one project at /workspace made from a template (console, webapi, classlib, worker, "
        "xunit) for .NET 8, 9 or 10. Answers its workspace_id, which every other project tool "
        "takes, and what to call next. Idle workspaces are cleaned up after a while.",
        CreateProjectInput,
        _create,
        output=answer_model(CreatedOut),
    ),
    ManagementTool(
        "dotnet_add_file",
        "Create or overwrite a file of a workspace's project (path relative to /workspace, "
        "folders created). Write whole files: C# sources, the .csproj, appsettings.json.",
        AddFileInput,
        _add_file,
        output=answer_model(FileWritten),
        destructive=True,
        idempotent=True,
    ),
    ManagementTool(
        "dotnet_read_file",
        "Read a text file of a workspace's project (path relative to /workspace).",
        ReadFileInput,
        _read_file,
        output=answer_model(FileContent),
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "dotnet_get_project_files",
        "List a workspace's project files as a tree with sizes (bin/ and obj/ left out unless "
        "asked).",
        ProjectFilesInput,
        _files,
        output=answer_model(ProjectFiles),
        read_only=True,
        idempotent=True,
    ),
]
