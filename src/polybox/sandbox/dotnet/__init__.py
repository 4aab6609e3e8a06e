"""The .NET runtime layer: toolchains for .NET 8, 9 and 10, warm compile servers, snippet runs.

It knows nothing of MCP or clients; the `workspaces/` service calls it. The interface is
docs/dev/DOTNET_API.md.
"""

from polybox.sandbox.dotnet.model import (
    DOTNET_VERSIONS,
    Diagnostic,
    DotnetError,
    InvalidPackageRefError,
    PackageRef,
    RefusedCodeError,
    SnippetResult,
    VersionStatus,
    VersionUnavailableError,
    parse_package_ref,
)
from polybox.sandbox.dotnet.runtime import DotnetConfig, DotnetRuntime

__all__ = [
    "DOTNET_VERSIONS",
    "Diagnostic",
    "DotnetConfig",
    "DotnetError",
    "DotnetRuntime",
    "InvalidPackageRefError",
    "PackageRef",
    "RefusedCodeError",
    "SnippetResult",
    "VersionStatus",
    "VersionUnavailableError",
    "parse_package_ref",
]
