"""Where each .NET version's parts come from on this host, and `prepare`, which lays them out.

The host has the .NET SDK 10 (`dotnet` on PATH). Everything a version needs comes from NuGet
through that SDK, into polybox's data dir:

- the runner: polybox's snippet launcher (csharp/Runner) published self-contained for the
  version, so its directory holds that version's real runtime and ASP.NET Core runtime (from the
  packs `Microsoft.NETCore.App.Runtime.linux-x64` / `Microsoft.AspNetCore.App.Runtime.linux-x64`)
  and resolves no shared framework: a run can never roll forward onto another version;
- the reference assemblies snippets compile against, harvested from that same build;
- the compile server (csharp/Compiler), built once for all versions, run on the SDK's runtime;
- for project workspaces, one composed DOTNET_ROOT: the host SDK (hard links) plus the shared
  frameworks of the other versions laid out from the same runtime packs, so a net8.0 app built
  by SDK 10 runs on the real 8.0.x runtime; and every template's packages, restored once.

Builds run on the host from projects polybox wrote itself (no user input reaches them). Their
outputs go to a directory Boxes can read (`hostdirs.sandbox_dir`); a stamp written last marks a
version ready and records the source hash, so a changed C# source is rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from polybox.sandbox.dotnet.model import DOTNET_VERSIONS, VersionUnavailableError
from polybox.sandbox.dotnet.templates import NUGET_CONFIG, TEMPLATES, project_files
from polybox.sandbox.hostdirs import sandbox_dir

logger = logging.getLogger(__name__)

SOURCES = Path(__file__).parent / "csharp"
RUNNER_NAME = "Polybox.Runner"
SDK_DIR = "/polybox/sdk"
"""Inside compile Boxes: the host SDK's directory (its runtime runs the compile server)."""
PACKAGES_DIR = "/nuget"
"""Inside compile and run Boxes: the shared package folder, read-only."""
RUNTIME_MARKER = "polybox-runtime: "
# The C# language version each .NET version's SDK uses by default.
LANGUAGE_VERSIONS = {"8": "12", "9": "13", "10": "14"}
_STAMP = "toolchain.json"
_BUILD_TIMEOUT = 900.0
_SHARED_FILES = ("Directory.Build.props", ".editorconfig")
_ROOT_STAMP = "root.json"
_FRAMEWORK_PACKS = (
    ("Microsoft.NETCore.App", "microsoft.netcore.app.runtime.linux-x64"),
    ("Microsoft.AspNetCore.App", "microsoft.aspnetcore.app.runtime.linux-x64"),
)
_RECIPE = b"2"  # bump when the build commands below change, so stamps of older builds go stale

Progress = Callable[[str, int, int], None]
"""Called with (what is happening, steps done, steps in all)."""


def _no_progress(step: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class Toolchain:
    """A prepared version: its runner directory, runtime description and reference assemblies."""

    version: str
    runner_dir: Path
    runtime: str
    references: tuple[str, ...]  # paths inside compile Boxes (under SDK_DIR or PACKAGES_DIR)


@dataclass(frozen=True)
class DotnetLayout:
    """The .NET directories of one data dir.

    `shared` is readable by Box processes (package folder, compile server, runners, run dirs);
    `private` holds the build and restore projects, which Boxes never see.
    """

    shared: Path
    private: Path

    @property
    def packages(self) -> Path:
        return self.shared / "packages"

    @property
    def compiler(self) -> Path:
        return self.shared / "compiler"

    @property
    def runs(self) -> Path:
        return self.shared / "runs"

    @property
    def roots(self) -> Path:
        return self.shared / "roots"

    def version_dir(self, version: str) -> Path:
        return self.shared / f"net{version}"


def dotnet_layout(data_dir: Path) -> DotnetLayout:
    """The layout for `data_dir`; as root the shared part lives under the sandbox root."""
    shared = sandbox_dir(data_dir, "dotnet", privileged=os.geteuid() == 0, mode=0o755)
    private = data_dir / "dotnet"
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    return DotnetLayout(shared, private)


def find_dotnet() -> Path:
    """The host's `dotnet` (resolved), or VersionUnavailableError naming the fix."""
    found = shutil.which("dotnet")
    if found is None:
        raise VersionUnavailableError(
            "the .NET SDK 10 is not installed (no `dotnet` on PATH): install it "
            "(https://learn.microsoft.com/dotnet/core/install/linux), then run "
            "`polybox dotnet prepare`"
        )
    return Path(found).resolve()


def host_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of host `dotnet` commands: no roll-forward, no telemetry, no servers."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DOTNET_ROLL_FORWARD", "DOTNET_ROOT", "MSBUILD", "NUGET_PACKAGES"))
    }
    env.update(
        DOTNET_CLI_TELEMETRY_OPTOUT="1",
        DOTNET_NOLOGO="1",
        DOTNET_SKIP_FIRST_TIME_EXPERIENCE="1",
        DOTNET_CLI_USE_MSBUILD_SERVER="0",
        DOTNET_GENERATE_ASPNET_CERTIFICATE="false",
        MSBUILDDISABLENODEREUSE="1",
    )
    env.update(extra or {})
    return env


async def run_dotnet(
    args: Sequence[str],
    *,
    cwd: Path,
    timeout: float = _BUILD_TIMEOUT,  # noqa: ASYNC109 - a deadline for the dotnet process
) -> tuple[int, str]:
    """Run the host's `dotnet` with `args`; returns the exit code and stdout+stderr."""
    process = await asyncio.create_subprocess_exec(
        str(find_dotnet()),
        *args,
        cwd=cwd,
        env=host_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        await process.wait()
        return -1, f"dotnet {' '.join(args[:2])} did not finish within {timeout:.0f} s"
    return process.returncode or 0, output.decode(errors="replace")


@functools.cache
def source_hash(project: str) -> str:
    """A hash of one C# project's sources: a build whose stamp has another one is rebuilt.

    Computed once per process: the sources are part of the installed package.
    """
    digest = hashlib.sha256(_RECIPE)
    files = [SOURCES / name for name in _SHARED_FILES]
    files += sorted(
        path
        for path in (SOURCES / project).rglob("*")
        if path.is_file() and not {"bin", "obj"} & set(path.parts)
    )
    for path in files:
        digest.update(str(path.relative_to(SOURCES)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_toolchain(layout: DotnetLayout, version: str) -> Toolchain | None:
    """The prepared toolchain of `version`, or None when it is missing or out of date."""
    try:
        stamp = json.loads((layout.version_dir(version) / _STAMP).read_text())
    except (OSError, ValueError):
        return None
    if stamp.get("source") != source_hash("Runner"):
        return None
    return Toolchain(
        version=version,
        runner_dir=layout.version_dir(version) / "runner",
        runtime=str(stamp["runtime"]),
        references=tuple(stamp["references"]),
    )


def compiler_ready(layout: DotnetLayout) -> bool:
    """Whether the compile server is built from the current sources."""
    try:
        stamp = json.loads((layout.compiler / _STAMP).read_text())
    except (OSError, ValueError):
        return False
    return bool(stamp.get("source") == source_hash("Compiler"))


def prepare_fix(version: str) -> str:
    """The command that prepares `version`."""
    return f"polybox dotnet prepare --versions {version}"


def enable_fix(version: str) -> str:
    """How an admin enables `version`: at run time, or as its startup setting."""
    return f"enable .NET {version} in Settings -> .NET, or add {version} to POLYBOX_DOTNET_VERSIONS"


def _restore_args(source: str | None) -> list[str]:
    return [f"-p:RestoreSources={source}"] if source else []


def _lock(layout: DotnetLayout) -> IO[str]:
    """One prepare at a time per data dir, across processes; closing the file unlocks."""
    handle = (layout.private / "prepare.lock").open("w")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def _copy_sources(project: str, destination: Path) -> None:
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(SOURCES / project, destination, ignore=shutil.ignore_patterns("bin", "obj"))
    for name in _SHARED_FILES:
        shutil.copy2(SOURCES / name, destination / name)


def _replace(new: Path, final: Path) -> None:
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _write_stamp(directory: Path, stamp: dict[str, object]) -> None:
    temporary = directory / (_STAMP + ".tmp")
    temporary.write_text(json.dumps(stamp, indent=1))
    temporary.replace(directory / _STAMP)


def _failed(what: str, output: str, fix: str) -> VersionUnavailableError:
    tail = "\n".join(line for line in output.splitlines() if "error" in line.lower())[-2000:]
    logger.error("dotnet prepare: %s failed: %s", what, output[-4000:])
    return VersionUnavailableError(f"{what} failed: {tail or output[-2000:]}; fix: {fix}")


async def _build_compiler(layout: DotnetLayout, restore: list[str]) -> None:
    build = layout.private / "build-compiler"
    await asyncio.to_thread(_copy_sources, "Compiler", build)
    output_dir = layout.shared / "compiler.new"
    shutil.rmtree(output_dir, ignore_errors=True)
    code, output = await run_dotnet(
        # ReadyToRun: Roslyn precompiled, so a compile server starts (and warms) in far less time
        ["msbuild", "-restore", "-nologo", "-v:q", "-nodeReuse:false", "-t:Publish",
         "-p:Configuration=Release", "-p:RuntimeIdentifier=linux-x64", "-p:SelfContained=false",
         "-p:PublishReadyToRun=true", f"-p:PublishDir={output_dir}/",
         f"-p:RestorePackagesPath={layout.packages}", *restore, "Polybox.Compiler.csproj"],
        cwd=build,
    )  # fmt: skip
    if code != 0:
        raise _failed("building the compile server", output, "polybox dotnet prepare")
    _write_stamp(output_dir, {"source": source_hash("Compiler")})
    await asyncio.to_thread(_replace, output_dir, layout.compiler)


async def _build_runner(layout: DotnetLayout, version: str, restore: list[str]) -> None:
    build = layout.private / f"build-runner-{version}"
    await asyncio.to_thread(_copy_sources, "Runner", build)
    version_dir = layout.version_dir(version)
    new_dir = layout.shared / f"net{version}.new"
    shutil.rmtree(new_dir, ignore_errors=True)
    new_dir.mkdir(mode=0o755)
    references_file = build / "references.txt"
    code, output = await run_dotnet(
        ["msbuild", "-restore", "-nologo", "-v:q", "-nodeReuse:false",
         "-t:Publish;PolyboxHarvestReferences", "-p:Configuration=Release",
         f"-p:TargetFramework=net{version}.0", f"-p:PublishDir={new_dir / 'runner'}/",
         f"-p:RestorePackagesPath={layout.packages}",
         f"-p:PolyboxReferencesFile={references_file}", *restore, f"{RUNNER_NAME}.csproj"],
        cwd=build,
    )  # fmt: skip
    fix = prepare_fix(version)
    if code != 0:
        raise _failed(f"preparing .NET {version}", output, fix)
    sdk = find_dotnet().parent
    references = []
    for line in filter(None, map(str.strip, references_file.read_text().splitlines())):
        path = Path(line)
        if path.is_relative_to(layout.packages):
            references.append(f"{PACKAGES_DIR}/{path.relative_to(layout.packages)}")
        elif path.is_relative_to(sdk):
            references.append(f"{SDK_DIR}/{path.relative_to(sdk)}")
        else:
            raise _failed(f"preparing .NET {version}", f"reference {path} is not in a Box", fix)
    runtime = await _runtime_of(new_dir / "runner", version)
    _write_stamp(
        new_dir, {"source": source_hash("Runner"), "runtime": runtime, "references": references}
    )
    await asyncio.to_thread(_replace, new_dir, version_dir)


async def _runtime_of(runner_dir: Path, version: str) -> str:
    """Start the runner once: its first stderr line names the runtime it really carries."""
    process = await asyncio.create_subprocess_exec(
        str(runner_dir / RUNNER_NAME),
        env={"PATH": "/usr/bin:/bin", "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    first = err.decode(errors="replace").partition("\n")[0]
    runtime = first.removeprefix(RUNTIME_MARKER)
    if not first.startswith(RUNTIME_MARKER) or not runtime.startswith(f".NET {version}."):
        raise VersionUnavailableError(
            f"the prepared .NET {version} runner reports {first!r} instead of .NET {version}; "
            f"fix: {prepare_fix(version)}"
        )
    return runtime


async def prepare(
    data_dir: Path,
    versions: Sequence[str],
    progress: Progress = _no_progress,
    *,
    source: str | None = None,
) -> dict[str, Toolchain]:
    """Lay out what `versions` need (skipping what is already current); returns them.

    `source` is the NuGet feed to restore from (None: the host's NuGet configuration).

    Raises VersionUnavailableError with the output's errors and the fix when a build fails.
    """
    for version in versions:
        if version not in DOTNET_VERSIONS:
            raise VersionUnavailableError(
                f".NET {version} is not supported; choose from {', '.join(DOTNET_VERSIONS)}"
            )
    find_dotnet()
    layout = dotnet_layout(data_dir)
    lock = await asyncio.to_thread(_lock, layout)
    try:
        total = len(versions) + 1
        progress("compile server", 0, total)
        if not compiler_ready(layout):
            logger.info("dotnet prepare: building the compile server")
            await _build_compiler(layout, _restore_args(source))
        prepared: dict[str, Toolchain] = {}
        for done, version in enumerate(versions, start=1):
            progress(f".NET {version}", done, total)
            toolchain = load_toolchain(layout, version)
            if toolchain is None:
                logger.info("dotnet prepare: laying out .NET %s from NuGet", version)
                await _build_runner(layout, version, _restore_args(source))
                toolchain = load_toolchain(layout, version)
            if toolchain is None:
                raise VersionUnavailableError(f".NET {version}: prepared but not readable")
            logger.info("dotnet prepare: .NET %s ready (%s)", version, toolchain.runtime)
            prepared[version] = toolchain
        progress("workspace root and templates", total, total)
        # every prepared version, not only these: a root never loses a version it had
        everything = {v: t for v in DOTNET_VERSIONS if (t := load_toolchain(layout, v)) is not None}
        await _prepare_workspace_root(layout, everything, source)
        progress("done", total, total)
        return prepared
    finally:
        lock.close()


@dataclass(frozen=True)
class WorkspaceRoot:
    """The composed DOTNET_ROOT of project workspaces and the runtime each version runs on."""

    path: Path
    runtimes: dict[str, str]  # version -> FrameworkDescription, e.g. ".NET 8.0.31"


def load_workspace_root(layout: DotnetLayout) -> WorkspaceRoot | None:
    """The current composed root, or None when `prepare` has not made one from these sources."""
    try:
        stamp = json.loads((layout.shared / _ROOT_STAMP).read_text())
    except (OSError, ValueError):
        return None
    if stamp.get("source") != _root_source():
        return None
    return WorkspaceRoot(layout.roots / str(stamp["name"]), dict(stamp["runtimes"]))


def _root_source() -> str:
    """What a composed root depends on: the host SDK and polybox's templates."""
    digest = hashlib.sha256(_RECIPE)
    digest.update(str(find_dotnet()).encode())
    digest.update(sorted((find_dotnet().parent / "sdk").iterdir())[-1].name.encode())
    digest.update((Path(__file__).parent / "templates.py").read_bytes())
    return digest.hexdigest()[:16]


def _link_or_copy(source: str, destination: str) -> None:
    """A hard link where the file system allows (the root is then nearly free), else a copy."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _highest(directory: Path, major: str) -> str | None:
    """The highest `<major>.x.y` subdirectory name of `directory`, or None."""
    found = [path.name for path in directory.glob(f"{major}.*") if path.is_dir()]
    return max(found, key=lambda name: [int(part) for part in name.split(".")[:3]], default=None)


def _compose_root(layout: DotnetLayout, toolchains: dict[str, Toolchain]) -> dict[str, str]:
    """Lay out `layout.roots/new`: the SDK plus each version's frameworks; returns runtimes."""
    sdk = find_dotnet().parent
    new = layout.roots / "new"
    shutil.rmtree(new, ignore_errors=True)
    layout.roots.mkdir(mode=0o755, exist_ok=True)
    shutil.copytree(sdk, new, symlinks=True, copy_function=_link_or_copy)
    runtimes = {}
    for version, toolchain in sorted(toolchains.items()):
        own = _highest(sdk / "shared" / "Microsoft.NETCore.App", version)
        if own is not None:
            runtimes[version] = f".NET {own}"
            continue
        pack_version = toolchain.runtime.removeprefix(".NET ")
        for framework, pack in _FRAMEWORK_PACKS:
            files = layout.packages / pack / pack_version / "runtimes" / "linux-x64"
            target = new / "shared" / framework / pack_version
            target.mkdir(mode=0o755, parents=True)
            for part in (files / "lib" / f"net{version}.0", files / "native"):
                if part.is_dir():
                    shutil.copytree(part, target, copy_function=_link_or_copy, dirs_exist_ok=True)
        runtimes[version] = toolchain.runtime
    return runtimes


def _template_solution(layout: DotnetLayout, versions: Sequence[str]) -> Path:
    """Every template of every version as one solution of polybox-written projects."""
    directory = layout.private / "templates"
    shutil.rmtree(directory, ignore_errors=True)
    entries = []
    for version in versions:
        for template in TEMPLATES:
            name = f"T{template.capitalize()}{version}"
            project = directory / name
            project.mkdir(parents=True)
            for path, text in project_files(template, version, name).items():
                if path != NUGET_CONFIG:  # restored from the configured feed, on the host
                    (project / path).write_text(text)
            entries.append(f'  <Project Path="{name}/{name}.csproj" />')
    solution = directory / "templates.slnx"
    solution.write_text("<Solution>\n" + "\n".join(entries) + "\n</Solution>\n")
    return solution


async def _prepare_workspace_root(
    layout: DotnetLayout, toolchains: dict[str, Toolchain], source: str | None
) -> WorkspaceRoot:
    """Make the composed root and restore every template's packages, unless already current.

    A root is never replaced in place (running workspaces have it mounted): a new one gets a
    new name and the stamp points to it.
    """
    current = load_workspace_root(layout)
    if current is not None and set(toolchains) <= set(current.runtimes):
        return current
    solution = await asyncio.to_thread(_template_solution, layout, sorted(toolchains))
    code, output = await run_dotnet(
        ["restore", solution.name, "--packages", str(layout.packages), "-nologo", "-v:q",
         "--disable-build-servers", *_restore_args(source)],
        cwd=solution.parent,
    )  # fmt: skip
    if code != 0:
        raise _failed("restoring the project templates' packages", output, "polybox dotnet prepare")
    runtimes = await asyncio.to_thread(_compose_root, layout, toolchains)
    name = hashlib.sha256(json.dumps([_root_source(), runtimes]).encode()).hexdigest()[:12]
    final = layout.roots / name
    if final.exists():
        await asyncio.to_thread(shutil.rmtree, layout.roots / "new", True)
    else:
        (layout.roots / "new").rename(final)
    _write_root_stamp(layout, {"source": _root_source(), "name": name, "runtimes": runtimes})
    return WorkspaceRoot(final, runtimes)


def _write_root_stamp(layout: DotnetLayout, stamp: dict[str, object]) -> None:
    temporary = layout.shared / (_ROOT_STAMP + ".tmp")
    temporary.write_text(json.dumps(stamp, indent=1))
    temporary.replace(layout.shared / _ROOT_STAMP)


async def prepare_workspace_root(
    data_dir: Path, toolchains: dict[str, Toolchain], source: str | None
) -> WorkspaceRoot:
    """The composed root covering `toolchains`, made (once, under the prepare lock) if needed."""
    layout = dotnet_layout(data_dir)
    lock = await asyncio.to_thread(_lock, layout)
    try:
        return await _prepare_workspace_root(layout, toolchains, source)
    finally:
        lock.close()
