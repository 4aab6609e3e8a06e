"""Run a C# snippet on one version, or the same snippet on several versions side by side.

The runtime layer (`polybox.sandbox.dotnet`) compiles and runs; this service turns its result
into the caller's answer: diagnostics with suggestions, streams trimmed to the asked detail, an
outcome in a sentence, and for a comparison the diff of the outputs. A runtime refusal (version
not prepared, bad package, refused code) becomes a `WorkspaceError` with what to do.
"""

from __future__ import annotations

import difflib
import time

import anyio

from polybox.config import Settings
from polybox.sandbox.dotnet import (
    DotnetRuntime,
    SnippetResult,
)
from polybox.workspaces import metrics
from polybox.workspaces.answers import Metadata, Success, elapsed_ms
from polybox.workspaces.detail import DetailLevel, trimmed_streams
from polybox.workspaces.errors import WorkspaceError, dotnet_refusals
from polybox.workspaces.schemas import (
    CompareInput,
    Comparison,
    OutputDiff,
    PackageOut,
    SnippetFields,
    SnippetInput,
    SnippetRun,
)
from polybox.workspaces.snippet_log import SnippetRecorder
from polybox.workspaces.suggestions import explained


def require_runtime(runtime: DotnetRuntime | None) -> DotnetRuntime:
    """The instance's .NET runtime, or a clear refusal in a process that runs no code."""
    if runtime is None:
        raise WorkspaceError(
            "unavailable",
            "this polybox process has no sandbox to run .NET code in",
            ("`polybox doctor` tells what the host lacks and how to fix it.",),
        )
    return runtime


async def execute_snippet(
    runtime: DotnetRuntime, settings: Settings, args: SnippetInput, recorder: SnippetRecorder
) -> Success[SnippetRun]:
    """Run `args.code` on `args.dotnet_version`."""
    started = time.perf_counter()
    result = await _run(runtime, settings, args, args.dotnet_version, recorder)
    return Success[SnippetRun](
        data=snippet_run(result, args.detail_level, args.timeout(settings)),
        metadata=Metadata(
            execution_time_ms=elapsed_ms(started),
            workspace_id=None,
            dotnet_version=result.dotnet_version,
            runtime=result.runtime,
        ),
    )


async def compare_versions(
    runtime: DotnetRuntime, settings: Settings, args: CompareInput, recorder: SnippetRecorder
) -> Success[Comparison]:
    """Run `args.code` on every version of `args.dotnet_versions` at once; diff the outputs."""
    started = time.perf_counter()
    results: dict[str, SnippetResult] = {}

    async def run_on(version: str) -> None:
        results[version] = await _run(runtime, settings, args, version, recorder)

    async with anyio.create_task_group() as tasks:
        for version in args.dotnet_versions:
            tasks.start_soon(run_on, version)
    ordered = [results[version] for version in args.dotnet_versions]
    base = ordered[0]
    diffs = [
        OutputDiff(base=base.dotnet_version, other=other.dotnet_version, diff=_diff(base, other))
        for other in ordered[1:]
        if _output(other) != _output(base)
    ]
    timeout = args.timeout(settings)
    return Success[Comparison](
        data=Comparison(
            runs=[snippet_run(result, args.detail_level, timeout) for result in ordered],
            same_output=not diffs,
            diffs=diffs,
        ),
        metadata=Metadata(
            execution_time_ms=elapsed_ms(started),
            workspace_id=None,
            dotnet_version=",".join(args.dotnet_versions),
            runtime=" | ".join(result.runtime for result in ordered),
        ),
    )


async def _run(
    runtime: DotnetRuntime,
    settings: Settings,
    args: SnippetFields,
    version: str,
    recorder: SnippetRecorder,
) -> SnippetResult:
    """One run on `version`, counted in the metrics and recorded for admins by its outcome
    (`refused` if it never ran)."""
    started = time.perf_counter()
    try:
        result = await _run_or_refuse(runtime, settings, args, version)
    except WorkspaceError:
        await _finished(recorder, args.code, version, "refused", started)
        raise
    await _finished(recorder, args.code, version, result.outcome, started)
    return result


async def _finished(
    recorder: SnippetRecorder, code: str, version: str, outcome: str, started: float
) -> None:
    seconds = time.perf_counter() - started
    metrics.snippet_finished(version, outcome, seconds)
    await recorder.record(code, version, outcome, seconds)


async def _run_or_refuse(
    runtime: DotnetRuntime, settings: Settings, args: SnippetFields, version: str
) -> SnippetResult:
    def ready() -> list[str]:
        return [name for name, status in runtime.status().items() if status.available]

    with dotnet_refusals(ready):
        return await runtime.run_snippet(args.code, version, args.packages, args.timeout(settings))


def snippet_run(result: SnippetResult, detail: DetailLevel, timeout_s: float) -> SnippetRun:
    """One run as the caller sees it."""
    stdout, stderr, cut = trimmed_streams(result, detail)
    return SnippetRun(
        dotnet_version=result.dotnet_version,
        runtime=result.runtime,
        outcome=result.outcome,
        summary=_summary(result, timeout_s),
        exit_code=result.exit_code,
        stdout=stdout,
        stderr=stderr,
        cut=cut,
        diagnostics=[explained(diagnostic) for diagnostic in result.diagnostics],
        packages=[PackageOut(name=name, version=version) for name, version in result.packages],
        compile_ms=result.compile_ms,
        run_ms=result.run_ms,
        limit=result.limit,
    )


def _summary(result: SnippetResult, timeout_s: float) -> str:
    errors = sum(1 for d in result.diagnostics if d.severity == "error")
    ran = f"ran on {result.runtime}" if result.runtime else "ran"
    if result.outcome == "ok":
        return f"{ran} and exited with code {result.exit_code}"
    if result.outcome == "compile_error":
        return f"did not compile: {errors} error(s), see diagnostics"
    if result.outcome == "restore_error":
        return f"its packages could not be restored: {errors} error(s), see diagnostics"
    if result.outcome == "runtime_error":
        return (
            f"{ran} and failed with exit code {result.exit_code}; an unhandled exception's "
            "message and stack trace are in stderr"
        )
    if result.outcome == "timeout":
        return f"stopped at its {timeout_s:g} s timeout (every process of the run was killed)"
    return f"stopped by the {result.limit or 'resource'} limit of the sandbox"


def _output(result: SnippetResult) -> str:
    return result.stdout + (f"\n[stderr]\n{result.stderr}" if result.stderr else "")


def _diff(base: SnippetResult, other: SnippetResult) -> str:
    return "\n".join(
        difflib.unified_diff(
            _output(base).splitlines(),
            _output(other).splitlines(),
            fromfile=f"net{base.dotnet_version}",
            tofile=f"net{other.dotnet_version}",
            lineterm="",
        )
    )
