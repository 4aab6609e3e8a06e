"""The data of the workspace tools' answers, from the service's views and the runtime's results.

Each function turns one thing the service returns into what the caller reads: diagnostics with
a suggestion each, streams trimmed to the asked detail (saying what was cut), test cases failed
first, an outcome in a sentence that says what to call next. Nothing here runs anything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import JsonValue

from polybox.sandbox.box import FileInfo
from polybox.sandbox.dotnet import parse_build_diagnostics
from polybox.workspaces.answers import Metadata, elapsed_ms
from polybox.workspaces.detail import DetailLevel, trimmed_streams
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.suggestions import explained
from polybox.workspaces.workspace_schemas import (
    BuildOut,
    CommandOut,
    CommandRun,
    CreatedOut,
    EndpointOut,
    FileContent,
    FileEntry,
    HostedOut,
    LogsOut,
    ProcessOut,
    ProjectFiles,
    RunOut,
    UnitTestCase,
    UnitTests,
    WorkspaceOut,
)

if TYPE_CHECKING:
    from polybox.sandbox.dotnet import BuildResult, CommandResult, TestRun
    from polybox.workspaces.models import (
        EndpointResponse,
        HostedApi,
        LogTail,
        WorkspaceView,
    )

BUILD_OUTPUT = ("bin", "obj")
CONCISE_ENTRIES = 200
CONCISE_CASES = 50

_NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "console": (
        "Edit Program.cs with dotnet_add_file, then dotnet_run_project (it builds first).",
    ),
    "webapi": (
        "dotnet_host_api starts it; dotnet_test_endpoint then calls it: GET /items, or POST "
        '/items with the body {"id": 2, "name": "second"}.',
        "Edit Program.cs with dotnet_add_file, then dotnet_host_api again to re-host it.",
    ),
    "classlib": ("Add classes with dotnet_add_file, then dotnet_build_project.",),
    "worker": ("dotnet_run_background starts it; dotnet_get_logs reads what it logs.",),
    "xunit": (
        'Add tests with dotnet_add_file, then dotnet_execute_command ["dotnet", "test"]: the '
        "results come back structured.",
    ),
}


def metadata(started: float, workspace_id: str | None, runtime: str = "") -> Metadata:
    """The metadata of a workspace call; a workspace's version is in its id (`dotnet8-…`)."""
    version = "" if workspace_id is None else workspace_id.split("-", 1)[0].removeprefix("dotnet")
    return Metadata(
        execution_time_ms=elapsed_ms(started),
        workspace_id=workspace_id,
        dotnet_version=version,
        runtime=runtime,
    )


def created_out(view: WorkspaceView) -> CreatedOut:
    """A new workspace, and what to call next with its template."""
    return CreatedOut(
        workspace=WorkspaceOut.model_validate(view), next_steps=list(_NEXT_STEPS[view.template])
    )


def project_files(entries: Sequence[FileInfo], include_build_output: bool) -> ProjectFiles:
    """The tree (bin/ and obj/ left out unless asked), at most `CONCISE_ENTRIES` entries."""
    kept = [
        entry
        for entry in entries
        if include_build_output or entry.path.split("/", 1)[0] not in BUILD_OUTPUT
    ]
    cut = []
    if len(kept) > CONCISE_ENTRIES:
        cut.append(
            f"showing the first {CONCISE_ENTRIES} of {len(kept):,} entries; list a folder "
            "(path) to see the rest"
        )
    files = [entry for entry in kept if not entry.is_dir]
    return ProjectFiles(
        entries=[
            FileEntry(
                path=f"{entry.path}/" if entry.is_dir else entry.path,
                size_bytes=entry.size,
                is_dir=entry.is_dir,
            )
            for entry in kept[:CONCISE_ENTRIES]
        ],
        files=len(files),
        total_bytes=sum(entry.size for entry in files),
        cut=cut,
    )


def file_content(path: str, data: bytes) -> FileContent:
    """A text file's content; a binary file is refused (the tools edit source, not binaries)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkspaceError(
            "binary_file",
            f"{path} is not UTF-8 text ({len(data):,} bytes); dotnet_read_file reads text files",
            ("dotnet_get_project_files lists the files with their sizes.",),
        ) from None
    return FileContent(path=path, size_bytes=len(data), content=text)


def command_out(result: CommandResult, detail: DetailLevel, timeout_s: float) -> CommandOut:
    """One command's outcome, its streams trimmed to `detail`."""
    stdout, stderr, cut = trimmed_streams(result, detail)
    return CommandOut(
        summary=_command_summary(result, timeout_s),
        exit_code=result.exit_code,
        stdout=stdout,
        stderr=stderr,
        cut=cut,
        timed_out=result.timed_out,
        limit=result.limit,
        duration_ms=round(result.duration_ms, 1),
    )


def _command_summary(result: CommandResult, timeout_s: float) -> str:
    if result.timed_out:
        return f"stopped at its {timeout_s:g} s timeout (every process of the command was killed)"
    if result.limit is not None:
        return f"stopped by the {result.limit} limit of the workspace"
    return f"exited with code {result.exit_code}"


def build_out(result: BuildResult, detail: DetailLevel, timeout_s: float) -> BuildOut:
    """A build: its diagnostics with suggestions, and what to do next."""
    diagnostics = [explained(diagnostic, "project") for diagnostic in result.diagnostics]
    errors = sum(1 for diagnostic in diagnostics if diagnostic.severity == "error")
    warnings = sum(1 for diagnostic in diagnostics if diagnostic.severity == "warning")
    output = command_out(result.command, detail, timeout_s)
    if result.succeeded:
        summary = f"built with {warnings} warning(s)"
    elif errors:
        summary = (
            f"did not build: {errors} error(s), see diagnostics (each with a suggestion when "
            "polybox knows one); fix them with dotnet_add_file and build again"
        )
    else:
        summary = f"did not build: the build {output.summary}; see output"
    return BuildOut(
        succeeded=result.succeeded,
        summary=summary,
        errors=errors,
        warnings=warnings,
        diagnostics=diagnostics,
        output=output,
    )


def run_out(
    build: BuildResult, run: CommandResult | None, detail: DetailLevel, timeout_s: float
) -> RunOut:
    """A build and, if it succeeded, the program's run."""
    built = build_out(build, detail, timeout_s)
    if run is None:
        return RunOut(summary=f"not run: it {built.summary}", build=built, run=None)
    ran = command_out(run, detail, timeout_s)
    summary = f"ran and {ran.summary}"
    if run.exit_code not in (0, None) and not run.timed_out:
        summary += "; an unhandled exception's message and stack trace are in stderr"
    return RunOut(summary=summary, build=built, run=ran)


def unit_tests(run: TestRun, detail: DetailLevel, timeout_s: float) -> UnitTests:
    """Test results, failed cases first; concise keeps the first `CONCISE_CASES` cases."""
    ordered = sorted(run.cases, key=lambda case: case.outcome != "failed")
    cut = []
    if detail == "concise" and len(ordered) > CONCISE_CASES:
        cut.append(
            f"showing {CONCISE_CASES} of {len(ordered)} test cases (failed ones first); call "
            'again with detail_level "full" for all'
        )
        ordered = ordered[:CONCISE_CASES]
    build = build_out(run.build, detail, timeout_s)
    if not run.build.succeeded:
        summary = f"no tests ran: the project {build.summary}"
    else:
        summary = f"{run.passed} passed, {run.failed} failed, {run.skipped} skipped"
    return UnitTests(
        summary=summary,
        passed=run.passed,
        failed=run.failed,
        skipped=run.skipped,
        cases=[
            UnitTestCase(
                name=case.name,
                outcome=case.outcome,
                duration_ms=round(case.duration_ms, 1),
                message=case.message,
            )
            for case in ordered
        ],
        cut=cut,
        build=build,
    )


def command_run(result: CommandResult, detail: DetailLevel, timeout_s: float) -> CommandRun:
    """A `dotnet` command's outcome, with the diagnostics its output names."""
    found = parse_build_diagnostics(f"{result.stdout}\n{result.stderr}")
    return CommandRun(
        output=command_out(result, detail, timeout_s),
        diagnostics=[explained(diagnostic, "project") for diagnostic in found],
        tests=None,
    )


def dotnet_test_run(run: TestRun, detail: DetailLevel, timeout_s: float) -> CommandRun:
    """`dotnet test`'s outcome: the command, and the results structured."""
    tests = unit_tests(run, detail, timeout_s)
    return CommandRun(
        output=command_out(run.command, detail, timeout_s),
        diagnostics=tests.build.diagnostics,
        tests=tests,
    )


def hosted_out(hosted: HostedApi, ready_ms: float) -> HostedOut:
    return HostedOut(
        process=ProcessOut.model_validate(hosted.process),
        url=hosted.url,
        log=hosted.log,
        ready_ms=ready_ms,
        replaced=hosted.replaced,
    )


def endpoint_out(response: EndpointResponse) -> EndpointOut:
    """The API's answer; its body parsed too when it is JSON."""
    parsed: JsonValue = None
    if "json" in response.headers.get("content-type", "").lower():
        try:
            parsed = json.loads(response.body)
        except ValueError:
            parsed = None
    return EndpointOut(
        status_code=response.status,
        headers=response.headers,
        body=response.body,
        json_body=parsed,
        duration_ms=round(response.duration_ms, 1),
    )


def logs_out(tail: LogTail) -> LogsOut:
    return LogsOut(
        process=tail.process,
        running=tail.running,
        exit_code=tail.exit_code,
        lines=[line.text for line in tail.lines],
        cut=[],
    )
