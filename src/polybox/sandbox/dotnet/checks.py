"""`polybox doctor` lines for .NET: the SDK, then each version with its runtime or its fix."""

from __future__ import annotations

from polybox.config import Settings
from polybox.sandbox.capabilities import Check
from polybox.sandbox.dotnet.model import DOTNET_VERSIONS, VersionUnavailableError
from polybox.sandbox.dotnet.toolchains import (
    dotnet_layout,
    enable_fix,
    find_dotnet,
    load_toolchain,
    prepare_fix,
)


def dotnet_checks(settings: Settings) -> list[Check]:
    """One line for the SDK and one per .NET version (prepared, not prepared, or disabled)."""
    try:
        sdk = find_dotnet()
    except VersionUnavailableError as exc:
        return [Check("dotnet sdk", False, "no `dotnet` on PATH", str(exc))]
    checks = [Check("dotnet sdk", True, str(sdk))]
    layout = dotnet_layout(settings.data_dir)
    for version in DOTNET_VERSIONS:
        name = f"dotnet {version}"
        if version not in settings.dotnet_versions:
            checks.append(Check(name, False, "disabled", enable_fix(version)))
            continue
        toolchain = load_toolchain(layout, version)
        if toolchain is None:
            checks.append(Check(name, False, "not prepared", prepare_fix(version)))
        else:
            checks.append(Check(name, True, f"{toolchain.runtime} at {toolchain.runner_dir}"))
    return checks
