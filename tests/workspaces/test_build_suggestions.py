"""Suggestions for build, SDK and feed problems, on the real `dotnet` CLI's and compiler's output.

Snippets never meet these codes (polybox writes their projects and the compile server puts
statements before types, so no CS8803), project workspaces will: each case runs the real
command that fails that way, parses its output with the runtime's MSBuild parser, and checks
the suggestion says what to do about that very failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import anyio
import pytest

from polybox.sandbox.dotnet.msbuild import parse_diagnostics
from polybox.workspaces.suggestions import suggestion

pytestmark = pytest.mark.anyio

PROJECT = """<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>{framework}</TargetFramework></PropertyGroup>
  <ItemGroup>{items}</ItemGroup>
</Project>
"""


@pytest.fixture(scope="module")
def dotnet() -> str:
    found = shutil.which("dotnet")
    if found is None:
        pytest.skip("SKIPPED LOUDLY: no `dotnet` on PATH; install the .NET SDK 10 to run these")
    return found


def project(directory: Path, framework: str = "net10.0", items: str = "") -> Path:
    directory.mkdir()
    path = directory / "app.csproj"
    path.write_text(PROJECT.format(framework=framework, items=items), encoding="utf-8")
    (directory / "Program.cs").write_text('System.Console.WriteLine("hi");\n', encoding="utf-8")
    return path


def source(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def references(dotnet: str) -> list[str]:
    """csc options referencing System.Runtime and System.Console, for semantic errors."""
    packs = sorted((Path(dotnet).resolve().parent / "packs/Microsoft.NETCore.App.Ref").glob("*"))
    assert packs, "the .NET SDK has no Microsoft.NETCore.App.Ref pack"
    [ref] = (packs[-1] / "ref").glob("net*")
    return [f"-r:{ref / 'System.Runtime.dll'}", f"-r:{ref / 'System.Console.dll'}"]


def csc(dotnet: str) -> Path:
    """The SDK's C# compiler, run directly: a build of a one-file project takes 20 times longer."""
    sdks = sorted((Path(dotnet).resolve().parent / "sdk").glob("*/Roslyn/bincore/csc.dll"))
    assert sdks, "the .NET SDK has no Roslyn/bincore/csc.dll"
    return sdks[-1]


async def failing(dotnet: str, tmp_path: Path, *argv: str | Path) -> dict[str, str]:
    """Run `dotnet argv` (it must fail); {code: suggestion} of every diagnostic it printed."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DOTNET_CLI_HOME": str(tmp_path),
        "DOTNET_NOLOGO": "1",
        "DOTNET_CLI_TELEMETRY_OPTOUT": "1",
        "DOTNET_SKIP_FIRST_TIME_EXPERIENCE": "1",
        # No MSBuild nodes or build server outlive the command.
        "MSBUILDDISABLENODEREUSE": "1",
        "DOTNET_CLI_USE_MSBUILD_SERVER": "0",
        # One attempt at an unreachable feed instead of NuGet's retries with back-off.
        "NUGET_ENHANCED_MAX_NETWORK_TRY_COUNT": "1",
        "NUGET_ENHANCED_NETWORK_RETRY_DELAY_MILLISECONDS": "0",
    }
    done = await anyio.run_process([dotnet, *map(str, argv)], env=env, check=False)
    assert done.returncode != 0
    found: dict[str, str] = {}
    for diagnostic in parse_diagnostics(done.stdout.decode() + done.stderr.decode()):
        advice = suggestion(diagnostic.code, diagnostic.message)
        assert advice is not None, diagnostic
        found.setdefault(diagnostic.code, advice)
    return found


async def test_each_build_failure_gets_a_suggestion_for_that_failure(
    dotnet: str, tmp_path: Path
) -> None:
    future = project(tmp_path / "future", framework="net11.0")
    unrestored = project(tmp_path / "unrestored")
    remote = project(
        tmp_path / "remote", items='<PackageReference Include="Newtonsoft.Json" Version="13.0.3" />'
    )
    types_first = tmp_path / "types_first.cs"
    types_first.write_text("class A { }\nSystem.Console.WriteLine(1);\n", encoding="utf-8")
    refs = references(dotnet)
    two_programs = [source(tmp_path, f"p{i}.cs", f"System.Console.WriteLine({i});") for i in (1, 2)]
    two_mains = source(
        tmp_path,
        "mains.cs",
        "class A { static void Main() { } }\nclass B { static void Main() { } }",
    )
    twice = source(tmp_path, "twice.cs", "class C { void M() { } void M() { } }\nclass C { }\n")
    unclosed = source(tmp_path, "unclosed.cs", "class D { void M() { F(1; }\n")
    two_projects = project(tmp_path / "two_projects")
    (two_projects.parent / "other.csproj").write_text(two_projects.read_text(), encoding="utf-8")
    cases: dict[str, tuple[str | Path, ...]] = {
        "CS8802": (csc(dotnet), "-nologo", *refs, *two_programs),
        "CS0017": (csc(dotnet), "-nologo", *refs, two_mains),
        "CS0101": (csc(dotnet), "-nologo", *refs, "-t:library", twice),
        "CS1026": (csc(dotnet), "-nologo", *refs, "-t:library", unclosed),
        "MSB1050": ("build", two_projects.parent),
        "CS8803": (csc(dotnet), "-nologo", types_first),
        "MSB1009": ("build", tmp_path / "missing.csproj"),
        "NETSDK1045": ("restore", future),
        "NETSDK1004": ("build", "--no-restore", unrestored),
        "NU1301": (
            "restore",
            remote,
            "--source",
            "https://127.0.0.1:9/v3/index.json",
            "--packages",
            tmp_path / "packages",
        ),
    }
    found: dict[str, dict[str, str]] = {}

    async def run(code: str, argv: tuple[str | Path, ...]) -> None:
        found[code] = await failing(dotnet, tmp_path, *argv)

    async with anyio.create_task_group() as tasks:
        for code, argv in cases.items():
            tasks.start_soon(run, code, argv)

    assert "Only Program.cs may hold top-level statements" in found["CS8802"]["CS8802"]
    assert "Keep one entry point" in found["CS0017"]["CS0017"]
    assert "`C` is declared twice in" in found["CS0101"]["CS0101"]
    assert "declares `M` twice" in found["CS0101"]["CS0111"]
    assert "A `)` is missing" in found["CS1026"]["CS1026"]
    assert "more than one project" in found["MSB1050"]["MSB1050"]
    assert "statements first, types last" in found["CS8803"]["CS8803"]
    assert "check the path" in found["MSB1009"]["MSB1009"]
    assert "cannot build for .NET 11.0" in found["NETSDK1045"]["NETSDK1045"]
    assert "net8.0, net9.0, net10.0" in found["NETSDK1045"]["NETSDK1045"]
    assert "restore it first" in found["NETSDK1004"]["NETSDK1004"]
    assert "feed could not be reached" in found["NU1301"]["NU1301"]
