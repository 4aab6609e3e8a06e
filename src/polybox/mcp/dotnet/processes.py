"""The process tools: background processes and hosted APIs of a workspace, their logs, calls."""

from __future__ import annotations

import time
from typing import Any

from polybox.mcp.dotnet.base import workspace_metadata, workspaces
from polybox.mcp.management.base import Call, ManagementTool
from polybox.workspaces import outputs
from polybox.workspaces.answers import Success, elapsed_ms
from polybox.workspaces.workspace_schemas import (
    EndpointInput,
    EndpointOut,
    HostApiInput,
    HostedOut,
    KillProcessInput,
    LogsInput,
    LogsOut,
    ProcessOut,
    RunBackgroundInput,
    answer_model,
)


async def _run_background(call: Call, args: RunBackgroundInput) -> Success[ProcessOut]:
    started = time.perf_counter()
    process = await workspaces(call).run_background(
        call.actor, args.workspace_id, args.name, args.args
    )
    return Success[ProcessOut](
        data=ProcessOut.model_validate(process),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


async def _host_api(call: Call, args: HostApiInput) -> Success[HostedOut]:
    started = time.perf_counter()
    hosted = await workspaces(call).host_api(call.actor, args.workspace_id, args.port)
    return Success[HostedOut](
        data=outputs.hosted_out(hosted, elapsed_ms(started)),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


async def _test_endpoint(call: Call, args: EndpointInput) -> Success[EndpointOut]:
    started = time.perf_counter()
    headers, body = args.request()
    response = await workspaces(call).call_endpoint(
        call.actor,
        args.workspace_id,
        args.method,
        args.path,
        headers=headers,
        body=body,
        port=args.port,
    )
    return Success[EndpointOut](
        data=outputs.endpoint_out(response),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


async def _logs(call: Call, args: LogsInput) -> Success[LogsOut]:
    started = time.perf_counter()
    tail = await workspaces(call).logs(
        call.actor, args.workspace_id, args.process, args.tail, args.since
    )
    return Success[LogsOut](
        data=outputs.logs_out(tail), metadata=workspace_metadata(call, started, args.workspace_id)
    )


async def _kill(call: Call, args: KillProcessInput) -> Success[ProcessOut]:
    started = time.perf_counter()
    process = await workspaces(call).kill_process(call.actor, args.workspace_id, args.process)
    return Success[ProcessOut](
        data=ProcessOut.model_validate(process),
        metadata=workspace_metadata(call, started, args.workspace_id),
    )


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "dotnet_run_background",
        "Build a workspace's program and start it in the background under a name (e.g. a "
        "worker service), returning at once; dotnet_get_logs reads its output, "
        "dotnet_kill_process stops it.",
        RunBackgroundInput,
        _run_background,
        output=answer_model(ProcessOut),
    ),
    ManagementTool(
        "dotnet_host_api",
        'Build and host a workspace\'s web API in the background as process "api-<port>": '
        "waits until the app answers HTTP (or dies, saying why) and returns its URL and first "
        "log lines. Call it with dotnet_test_endpoint. After an edit, call it again: the "
        "running API is replaced (stopped, rebuilt, started on its port).",
        HostApiInput,
        _host_api,
        output=answer_model(HostedOut),
    ),
    ManagementTool(
        "dotnet_test_endpoint",
        "Send one HTTP request to a workspace's hosted API (started by dotnet_host_api): "
        "method, path, headers, body. Answers status, headers and body (parsed when JSON). "
        "Only that workspace's own API is reachable: this is not a general HTTP client.",
        EndpointInput,
        _test_endpoint,
        output=answer_model(EndpointOut),
    ),
    ManagementTool(
        "dotnet_get_logs",
        "The last lines a workspace's background process or hosted API printed (stdout and "
        "stderr), optionally only those since a time, and whether it still runs.",
        LogsInput,
        _logs,
        output=answer_model(LogsOut),
        read_only=True,
        idempotent=True,
    ),
    ManagementTool(
        "dotnet_kill_process",
        "Stop a background process or hosted API of a workspace, and everything it started.",
        KillProcessInput,
        _kill,
        output=answer_model(ProcessOut),
        destructive=True,
        idempotent=True,
    ),
]
