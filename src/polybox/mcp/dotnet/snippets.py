"""`dotnet_execute_snippet` and `dotnet_compare_versions`: C# on .NET 8, 9 and 10."""

from __future__ import annotations

from typing import Any

from polybox.mcp.management.base import Call, ManagementTool
from polybox.workspaces import snippets
from polybox.workspaces.answers import Success
from polybox.workspaces.schemas import (
    CompareInput,
    Comparison,
    ComparisonAnswer,
    SnippetAnswer,
    SnippetInput,
    SnippetRun,
)
from polybox.workspaces.snippet_log import SnippetRecorder


def _recorder(call: Call) -> SnippetRecorder:
    return SnippetRecorder(call.instance.sessions, call.instance.events, call.actor)


async def _execute(call: Call, args: SnippetInput) -> Success[SnippetRun]:
    runtime = snippets.require_runtime(call.instance.dotnet)
    return await snippets.execute_snippet(
        runtime, await call.instance.live.current(), args, _recorder(call)
    )


async def _compare(call: Call, args: CompareInput) -> Success[Comparison]:
    runtime = snippets.require_runtime(call.instance.dotnet)
    return await snippets.compare_versions(
        runtime, await call.instance.live.current(), args, _recorder(call)
    )


TOOLS: list[ManagementTool[Any]] = [
    ManagementTool(
        "dotnet_execute_snippet",
        "Compile and run C# on .NET 8, 9 or 10 in a fresh sandbox (no network), with optional "
        "NuGet packages. Returns stdout/stderr (concise: first 50 lines each), the exit code, "
        "compiler or NuGet diagnostics with fix suggestions, and the exact runtime it ran on. "
        "A compile error or exception is a successful call: see data.outcome.",
        SnippetInput,
        _execute,
        output=SnippetAnswer,
        read_only=True,
    ),
    ManagementTool(
        "dotnet_compare_versions",
        "Run the same C# snippet on several .NET versions in parallel (default 8, 9 and 10): "
        "each version's output side by side with its runtime and timing, and a diff of the "
        "outputs against the first version. Use it to find behaviour that changed between "
        "versions.",
        CompareInput,
        _compare,
        output=ComparisonAnswer,
        read_only=True,
    ),
]
