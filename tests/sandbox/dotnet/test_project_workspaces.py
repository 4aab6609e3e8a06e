""".NET project workspaces on the real SDK, the composed runtimes and the real bwrap sandbox."""

from __future__ import annotations

import re
import time

import anyio
import httpx
import pytest

from dotnet_snippets import PREPARE_TIMEOUT
from dotnet_workspaces import LIMITS, Workspaces, WorkspaceTraces
from polybox.sandbox.box import SpawnedProcess
from polybox.sandbox.diskquota import DiskQuota
from polybox.sandbox.dotnet import (
    DOTNET_VERSIONS,
    DotnetError,
    DotnetRuntime,
    DotnetWorkspace,
    InvalidProjectError,
    PackageRef,
    RefusedCodeError,
    WorkspaceLimitError,
)
from polybox.sandbox.dotnet.projects import read_project_info

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


async def test_a_build_error_comes_back_as_a_parsed_diagnostic(workspaces: Workspaces) -> None:
    workspace = await workspaces.get("10", "console")
    program = await workspace.box.read_file("Program.cs")
    await workspace.box.write_file("Program.cs", b'Console.WriteLine("no semicolon")\n')
    try:
        build = await workspace.build()
    finally:
        await workspace.box.write_file("Program.cs", program)
    assert not build.succeeded
    [error] = [d for d in build.diagnostics if d.severity == "error"]
    assert (error.file, error.line, error.code) == ("Program.cs", 1, "CS1002"), error
    assert error.message == "; expected"


async def test_a_package_is_added_with_the_broker_and_used(workspaces: Workspaces) -> None:
    workspace = await workspaces.get("9", "console")
    added = await workspace.add_package(PackageRef("Newtonsoft.Json", "13.0.3"))
    assert added == ("Newtonsoft.Json", "13.0.3")
    project = (await workspace.box.read_file(workspace.project)).decode()
    assert '<PackageReference Include="Newtonsoft.Json" Version="13.0.3" />' in project
    program = await workspace.box.read_file("Program.cs")
    code = b"Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { a = 1 }));"
    await workspace.box.write_file("Program.cs", code)
    try:
        build, ran = await workspace.run([], 60)
    finally:
        await workspace.box.write_file("Program.cs", program)
    assert build.succeeded, build
    assert ran is not None
    assert ran.stdout == '{"a":1}\n', ran


async def test_a_hand_written_reference_the_feed_lacks_is_nu1101_naming_it(
    workspaces: Workspaces,
) -> None:
    workspace = await workspaces.get("10", "console")
    project = await workspace.box.read_file(workspace.project)
    missing = (
        b'<ItemGroup><PackageReference Include="Polybox.No.Such.Package.Zz9" Version="1.0.0" />'
    )
    await workspace.box.write_file(
        workspace.project, project.replace(b"</Project>", missing + b"</ItemGroup></Project>")
    )
    try:
        build = await workspace.build()
    finally:
        await workspace.box.write_file(workspace.project, project)
    assert not build.succeeded
    [error] = [d for d in build.diagnostics if d.severity == "error"]
    assert error.code == "NU1101"
    assert "Polybox.No.Such.Package.Zz9" in error.message


async def test_xunit_results_come_back_structured(workspaces: Workspaces) -> None:
    workspace = await workspaces.get("8", "xunit")
    tests = b"""namespace Demo;

public class MathTests
{
    [Fact]
    public void Adds() => Assert.Equal(4, 2 + 2);

    [Fact]
    public void Subtracts() => Assert.Equal(1, 3 - 1);

    [Fact(Skip = "not yet")]
    public void Divides() => Assert.Equal(2, 4 / 2);
}
"""
    await workspace.box.write_file("UnitTest1.cs", tests)
    run = await workspace.test(90)
    assert run.build.succeeded, run.build
    assert (run.passed, run.failed, run.skipped) == (1, 1, 1), run
    outcomes = {case.name: case.outcome for case in run.cases}
    assert outcomes == {
        "Demo.MathTests.Adds": "passed",
        "Demo.MathTests.Subtracts": "failed",
        "Demo.MathTests.Divides": "skipped",
    }
    [failed] = [case for case in run.cases if case.outcome == "failed"]
    assert failed.message is not None
    assert "Expected: 1" in failed.message
    assert run.command.exit_code != 0


async def test_a_web_api_is_spawned_and_answers_through_the_forward(
    workspaces: Workspaces,
) -> None:
    workspace = await workspaces.get("8", "webapi")
    build = await workspace.build()
    assert build.succeeded, build
    api = await workspace.spawn_app("api", [], {"ASPNETCORE_URLS": "http://127.0.0.1:5080"})
    forward = await workspace.box.forward(5080)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{forward.host_port}") as client:
            root = await _until_answering(client, api)
            assert root.json() == {"service": "Demo", "runtime": workspace.runtime}
            assert workspace.runtime.startswith(".NET 8.0.")  # ASP.NET Core 8 really
            created = await client.post("/items", json={"id": 2, "name": "second"})
            assert created.status_code == 201
            assert (await client.get("/items/2")).json() == {"id": 2, "name": "second"}
        assert b"Now listening on: http://127.0.0.1:5080" in await api.tail()
    finally:
        api.kill()
        await api.wait()
        await forward.close()


async def _until_answering(client: httpx.AsyncClient, api: SpawnedProcess) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await client.get("/")
        except httpx.TransportError:
            if api.returncode is not None or time.monotonic() > deadline:
                raise AssertionError((await api.tail()).decode(errors="replace")) from None
            await anyio.sleep(0.2)


async def test_close_leaves_no_process_box_dir_cgroup_or_mount(dotnet: DotnetRuntime) -> None:
    workspace = await DotnetWorkspace.create(dotnet, "10", "classlib", "Gone", LIMITS)
    traces = WorkspaceTraces.of(workspace)
    assert traces.processes, "the restore left the MSBuild server running in the workspace"
    assert traces.mounted == (workspace.quota is not None and workspace.quota.mode == "image")
    await workspace.close()
    assert await traces.left() == []


@pytest.mark.parametrize(
    ("template", "name", "message"),
    [
        ("blazor", "Demo", "template 'blazor' is unknown; choose one of console, webapi"),
        ("console", "1Demo", "project name '1Demo' is invalid: use a C# identifier"),
        ("console", "../Demo", "project name '../Demo' is invalid"),
    ],
)
async def test_an_unknown_template_or_bad_name_is_refused_before_anything_is_made(
    dotnet: DotnetRuntime, template: str, name: str, message: str
) -> None:
    with pytest.raises(InvalidProjectError, match=re.escape(message)):
        await DotnetWorkspace.create(dotnet, "10", template, name, LIMITS)


def test_roll_forward_in_a_project_file_is_refused() -> None:
    project = (
        b"<Project><PropertyGroup><RollForward>LatestMajor</RollForward></PropertyGroup></Project>"
    )
    with pytest.raises(RefusedCodeError, match="<RollForward> is refused"):
        read_project_info({"Demo.csproj": project})


def test_package_references_are_read_as_data_with_their_versions() -> None:
    project = b"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><AssemblyName>Other</AssemblyName></PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
    <PackageReference Include="Humanizer.Core"><Version>2.14.1</Version></PackageReference>
    <PackageReference Include="Floating" Version="1.*" />
    <PackageReference Include="bad id!" Version="1.0.0" />
  </ItemGroup>
</Project>"""
    info = read_project_info({"Demo.csproj": project, "broken.props": b"<Project"})
    assert info.packages == (
        PackageRef("Newtonsoft.Json", "13.0.3"),
        PackageRef("Humanizer.Core", "2.14.1"),
        PackageRef("Floating", None),
    )
    assert info.assembly_name == "Other"


async def test_spawn_app_refuses_environment_polybox_sets(workspaces: Workspaces) -> None:
    workspace = await workspaces.get("10", "console")
    with pytest.raises(DotnetError, match="DOTNET_ROLL_FORWARD"):
        await workspace.spawn_app("app", [], {"DOTNET_ROLL_FORWARD": "LatestMajor"})


async def test_over_the_disk_quota_without_an_image_further_commands_are_refused(
    workspaces: Workspaces,
) -> None:
    """The `du` fallback (hosts without root or loop devices), checked on this root host by
    giving the workspace a du-mode quota smaller than what it already uses."""
    workspace = await workspaces.get("10", "console")
    assert workspace.quota is not None
    real = workspace.quota
    workspace.quota = DiskQuota(real.box, 0, "du")
    try:
        with pytest.raises(WorkspaceLimitError, match=r"of its 0 MiB disk quota; free space"):
            await workspace.command(["dotnet", "--version"], 30)
        cleaned = await workspace.command(["dotnet", "clean", workspace.project], 60)
        assert cleaned.exit_code == 0, cleaned
    finally:
        workspace.quota = real
