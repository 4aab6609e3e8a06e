""".NET project workspaces on the real SDK, the composed runtimes and the real bwrap sandbox."""

from __future__ import annotations

import pytest

from dotnet_snippets import PREPARE_TIMEOUT
from dotnet_workspaces import Workspaces
from polybox.sandbox.dotnet import DOTNET_VERSIONS, DotnetError

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(PREPARE_TIMEOUT)]


@pytest.mark.parametrize("version", DOTNET_VERSIONS)
async def test_a_console_project_builds_and_runs_on_its_real_runtime(
    workspaces: Workspaces, version: str
) -> None:
    workspace = await workspaces.get(version, "console")
    assert workspace.runtime.startswith(f".NET {version}.")
    build, ran = await workspace.run(["ignored"], 60)
    assert build.succeeded, build
    assert ran is not None
    assert ran.exit_code == 0, ran
    # The template prints RuntimeInformation.FrameworkDescription: the app says where it ran.
    assert ran.stdout == f"Hello from {workspace.runtime}!\n"
    assert ran.stderr == ""


async def test_a_dotnet_command_runs_in_the_workspace_with_streams_apart(
    workspaces: Workspaces,
) -> None:
    workspace = await workspaces.get("10", "console")
    listed = await workspace.command(["dotnet", "--list-runtimes"], 30)
    assert listed.exit_code == 0, listed
    assert "Microsoft.NETCore.App 8.0." in listed.stdout
    assert "Microsoft.AspNetCore.App 9.0." in listed.stdout
    failed = await workspace.command(["dotnet", "no-such-command"], 30)
    assert failed.exit_code != 0
    # The CLI prints the error on stderr and its hints on stdout: both come back, apart.
    assert "could not execute" in failed.stderr.lower()
    assert "could not execute" not in failed.stdout.lower()
    assert "misspelled" in failed.stdout


async def test_a_command_not_starting_with_dotnet_is_refused(workspaces: Workspaces) -> None:
    workspace = await workspaces.get("10", "console")
    with pytest.raises(DotnetError, match="commands start with 'dotnet'"):
        await workspace.command(["sh", "-c", "id"], 10)
