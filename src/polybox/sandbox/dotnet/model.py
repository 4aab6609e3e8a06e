"""The .NET runtime layer's public types: versions, errors, package references, results.

The interface with the `workspaces/` service is docs/dev/DOTNET_API.md; these types are it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polybox.config import Settings

DOTNET_VERSIONS: tuple[str, ...] = ("8", "9", "10")
"""The .NET versions polybox can prepare and run, oldest first."""

PACKAGE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
# NuGet's version grammar: 1-4 numeric parts, an optional dotted prerelease label, optional
# build metadata. Nothing else may reach a generated project file.
PACKAGE_VERSION = re.compile(
    r"(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,3}"
    r"(-[0-9A-Za-z-]{1,64}(\.[0-9A-Za-z-]{1,64}){0,7})?"
    r"(\+[0-9A-Za-z-]{1,64}(\.[0-9A-Za-z-]{1,64}){0,7})?"
)


class DotnetError(Exception):
    """A .NET operation failed; the message is plain and says what to do."""


class VersionUnavailableError(DotnetError):
    """The requested .NET version cannot run here; the message names the fix."""


class InvalidPackageRefError(DotnetError):
    """A package id or version does not follow NuGet's grammar; the message says the rule."""


class RefusedCodeError(DotnetError):
    """The code asks for something snippets never do (e.g. roll forward to another runtime)."""


@dataclass(frozen=True)
class PackageRef:
    """A NuGet package a snippet uses; `version` None means the highest stable on the feed."""

    name: str
    version: str | None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


def parse_package_ref(text: str) -> PackageRef:
    """`Name` or `Name@version`, validated; raises InvalidPackageRefError naming the rule."""
    name, _, version = text.strip().partition("@")
    if not PACKAGE_ID.fullmatch(name):
        raise InvalidPackageRefError(
            f"package id {name[:120]!r} is invalid: use 1-100 letters, digits, '_', '.' or '-', "
            "starting with a letter, digit or '_' (e.g. Newtonsoft.Json)"
        )
    if "@" in text and not PACKAGE_VERSION.fullmatch(version):
        raise InvalidPackageRefError(
            f"version {version[:120]!r} of package {name} is invalid: use a NuGet version such "
            "as 13.0.3 or 2.0.0-beta.1, or give the name alone for the highest stable version"
        )
    return PackageRef(name, version if "@" in text else None)


@dataclass(frozen=True)
class Diagnostic:
    """One compiler, NuGet or MSBuild message, with its position (line and column from 1)."""

    file: str
    line: int
    column: int
    code: str
    severity: str  # "error" | "warning" | "info"
    message: str


@dataclass(frozen=True)
class SnippetResult:
    """What one snippet run did. `outcome` says how it ended; `limit` which limit stopped it."""

    outcome: str  # "ok" | "compile_error" | "restore_error" | "runtime_error" | "timeout" | "limit"
    exit_code: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    diagnostics: tuple[Diagnostic, ...]
    dotnet_version: str
    runtime: str  # RuntimeInformation.FrameworkDescription of the run; "" if it never ran
    packages: tuple[tuple[str, str], ...]
    compile_ms: float
    run_ms: float
    limit: str | None = None


@dataclass(frozen=True)
class VersionStatus:
    """One version as `polybox doctor` and the health endpoint show it."""

    version: str
    enabled: bool
    available: bool  # prepared: runtime, reference assemblies and runner are in the data dir
    runtime: str  # FrameworkDescription of the prepared runtime, "" when not prepared
    warm: bool  # its compile server is running
    compiler_rss_mb: float | None
    fix: str  # what to do when not available, else ""


@dataclass(frozen=True)
class WorkspaceLimits:
    """What one project workspace may use (see `from_settings` in `projects.py`)."""

    memory_mb: int  # the whole workspace (cgroup): agent, build servers, apps
    processes: int  # processes and threads of the whole workspace (pids cgroup)
    disk_mb: int  # /workspace
    cpu_seconds: int  # per process (RLIMIT_CPU)
    tmp_size_mb: int  # /tmp of the workspace's commands (and of each background process)
    output_limit: int  # bytes kept of each of a command's stdout and stderr

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkspaceLimits:
        return cls(
            memory_mb=settings.dotnet_workspace_memory_mb,
            processes=settings.dotnet_workspace_processes,
            disk_mb=settings.dotnet_workspace_disk_mb,
            cpu_seconds=settings.dotnet_workspace_cpu_seconds,
            tmp_size_mb=settings.dotnet_workspace_tmp_size_mb,
            output_limit=settings.dotnet_output_limit_bytes,
        )


@dataclass(frozen=True)
class CommandResult:
    """One command in a workspace. `exit_code` None: timed out, or could not start."""

    exit_code: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    timed_out: bool
    duration_ms: float
    limit: str | None  # "memory" | "processes" | "disk" when that limit stopped it


@dataclass(frozen=True)
class BuildResult:
    """A build: whether it succeeded, its parsed diagnostics (paths relative to /workspace)."""

    succeeded: bool
    diagnostics: tuple[Diagnostic, ...]
    command: CommandResult


@dataclass(frozen=True)
class TestCase:
    """One test of a `dotnet test` run; `message` is the failure message."""

    __test__ = False  # not a pytest class

    name: str
    outcome: str  # "passed" | "failed" | "skipped"
    duration_ms: float
    message: str | None


@dataclass(frozen=True)
class TestRun:
    """A `dotnet test` run: counts and cases from its TRX report, and the build before it."""

    __test__ = False

    passed: int
    failed: int
    skipped: int
    cases: tuple[TestCase, ...]
    build: BuildResult
    command: CommandResult


@dataclass(frozen=True)
class WorkspaceUsage:
    """What a workspace uses now; None where this host cannot measure it (no cgroup)."""

    cpu_seconds: float | None
    memory_bytes: int | None
    disk_bytes: int
