"""The project tools: create a workspace, edit its files, add packages, build, run, test."""

from __future__ import annotations

import time
from typing import Any

from polybox.mcp.dotnet.base import workspace_metadata, workspaces
from polybox.mcp.management.base import Call, ManagementTool
from polybox.workspaces import outputs
from polybox.workspaces.answers import Success
from polybox.workspaces.workspace_schemas import (
    AddFileInput,
    AddPackageInput,
    BuildInput,
    BuildOut,
    CommandRun,
    CreatedOut,
    CreateProjectInput,
    ExecuteCommandInput,
    FileContent,
    FileWritten,
    PackageAdded,
    ProjectFiles,
    ProjectFilesInput,
    ReadFileInput,
    RunInput,
    RunOut,
    answer_model,
)


async def _create(call: Call, args: CreateProjectInput) -> Success[CreatedOut]:
    started = time.perf_counter()
    view = await workspaces(call).create(call.actor, args.template, args.dotnet_version, args.name)
    return Success[CreatedOut](
        data=outputs.created_out(view), metadata=outputs.metadata(started, view.id, view.runtime)
    )


async def _add_file(call: Call, args: AddFileInput) -> Success[FileWritten]:
    started = time.perf_counter()
    data = args.content.encode("utf-8")
    await workspaces(call).write_file(call.actor, args.workspace_id, args.path, data)
    return Success[FileWritten](
        data=FileWritten(path=args.path, size_bytes=len(data)),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


async def _read_file(call: Call, args: ReadFileInput) -> Success[FileContent]:
    started = time.perf_counter()
    data = await workspaces(call).read_file(call.actor, args.workspace_id, args.path)
    return Success[FileContent](
        data=outputs.file_content(args.path, data),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


async def _files(call: Call, args: ProjectFilesInput) -> Success[ProjectFiles]:
    started = time.perf_counter()
    entries = await workspaces(call).files(call.actor, args.workspace_id, args.path)
    return Success[ProjectFiles](
        data=outputs.project_files(entries, args.include_build_output),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


async def _add_package(call: Call, args: AddPackageInput) -> Success[PackageAdded]:
    started = time.perf_counter()
    name, version = await workspaces(call).add_package(call.actor, args.workspace_id, args.package)
    return Success[PackageAdded](
        data=PackageAdded(name=name, version=version),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


async def _build(call: Call, args: BuildInput) -> Success[BuildOut]:
    started = time.perf_counter()
    timeout = args.timeout(await call.instance.live.current())
    result = await workspaces(call).build(
        call.actor, args.workspace_id, args.configuration, timeout
    )
    return Success[BuildOut](
        data=outputs.build_out(result, args.detail_level, timeout),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


async def _run(call: Call, args: RunInput) -> Success[RunOut]:
    started = time.perf_counter()
    timeout = args.timeout(await call.instance.live.current())
    build, run = await workspaces(call).run(call.actor, args.workspace_id, args.args, timeout)
    return Success[RunOut](
        data=outputs.run_out(build, run, args.detail_level, timeout),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


async def _execute(call: Call, args: ExecuteCommandInput) -> Success[CommandRun]:
    started = time.perf_counter()
    timeout = args.timeout(await call.instance.live.current())
    service = workspaces(call)
    if args.is_test:
        tested = await service.test(call.actor, args.workspace_id, timeout)
        data = outputs.dotnet_test_run(tested, args.detail_level, timeout)
    else:
        result = await service.command(call.actor, args.workspace_id, args.command, timeout)
        data = outputs.command_run(result, args.detail_level, timeout)
    return Success[CommandRun](
        data=data, metadata=workspace_metadata(call, started, args.workspace_id)
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
    ManagementTool(
        "dotnet_add_package",
        "Add a NuGet package (from the server's feed) to a workspace's project and restore it. "
        'Give "Name" for its highest stable version or "Name@version".',
        AddPackageInput,
        _add_package,
        output=answer_model(PackageAdded),
        idempotent=True,
    ),
    ManagementTool(
        "dotnet_build_project",
        "Build a workspace's project (Debug or Release; incremental, the build servers stay "
        "warm). Answers whether it built and its compiler/MSBuild/NuGet diagnostics, each with "
        "file, line, column, code and a fix suggestion when polybox knows one.",
        BuildInput,
        _build,
        output=answer_model(BuildOut),
        idempotent=True,
    ),
    ManagementTool(
        "dotnet_run_project",
        "Build a workspace's project and run it to completion with the given arguments: exit "
        "code, stdout and stderr apart (concise: first 50 lines each). For a server that keeps "
        "running use dotnet_host_api or dotnet_run_background instead.",
        RunInput,
        _run,
        output=answer_model(RunOut),
    ),
    ManagementTool(
        "dotnet_execute_command",
        'Run a dotnet command in a workspace\'s /workspace, e.g. ["dotnet", "test"] (test '
        'results come back structured: passed, failed, names, messages), ["dotnet", "format"] '
        'or ["dotnet", "list", "package"]. Exit code and stdout/stderr apart; no network.',
        ExecuteCommandInput,
        _execute,
        output=answer_model(CommandRun),
    ),
]
