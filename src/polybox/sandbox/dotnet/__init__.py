"""The .NET runtime layer: toolchains for .NET 8, 9 and 10, warm compile servers, snippet runs,
and project workspaces (`DotnetWorkspace`).

It knows nothing of MCP or clients; the `workspaces/` service calls it. The interface is
docs/dev/DOTNET_API.md.
"""

from polybox.sandbox.dotnet.agent import AgentError
from polybox.sandbox.dotnet.model import (
    DOTNET_VERSIONS,
    BuildResult,
    CommandResult,
    Diagnostic,
    DotnetError,
    InvalidPackageRefError,
    PackageRef,
    RefusedCodeError,
    SnippetResult,
    TestCase,
    TestRun,
    VersionStatus,
    VersionUnavailableError,
    WorkspaceLimits,
    WorkspaceUsage,
    parse_package_ref,
)
from polybox.sandbox.dotnet.msbuild import parse_diagnostics as parse_build_diagnostics
from polybox.sandbox.dotnet.projects import (
    DotnetWorkspace,
    PackageUnavailableError,
    WorkspaceLimitError,
)
from polybox.sandbox.dotnet.runtime import DotnetConfig, DotnetRuntime
from polybox.sandbox.dotnet.templates import TEMPLATES, InvalidProjectError, Template

__all__ = [
    "DOTNET_VERSIONS",
    "TEMPLATES",
    "AgentError",
    "BuildResult",
    "CommandResult",
    "Diagnostic",
    "DotnetConfig",
    "DotnetError",
    "DotnetRuntime",
    "DotnetWorkspace",
    "InvalidPackageRefError",
    "InvalidProjectError",
    "PackageRef",
    "PackageUnavailableError",
    "RefusedCodeError",
    "SnippetResult",
    "Template",
    "TestCase",
    "TestRun",
    "VersionStatus",
    "VersionUnavailableError",
    "WorkspaceLimitError",
    "WorkspaceLimits",
    "WorkspaceUsage",
    "parse_build_diagnostics",
    "parse_package_ref",
]
