"""`DotnetWorkspace`: the runtime half of one .NET project workspace — its Box, agent, project.

A workspace is a long-lived Box without network whose /workspace holds one project
(`<Name>.csproj` at its root). It sees the composed DOTNET_ROOT (the SDK plus the real 8/9/10
runtimes, read-only at /polybox/dotnet) and the shared package folder (read-only at /nuget, the
only NuGet source its nuget.config names). Every command runs as a child of the workspace's
agent (`agent.py`), so MSBuild nodes and the compiler server stay warm between builds.

Packages reach the workspace only through the restore broker: before each build or restore the
project files are read as data (XML, size-capped; MSBuild never runs on the host) and every
`PackageReference` not yet in the package folder is fetched on the host from the configured
feed; `dotnet restore` then runs inside the Box, offline. Limits: memory and processes of the
whole workspace (its Box cgroup), CPU seconds per process (RLIMIT_CPU), a wall-clock timeout
per command, and a disk quota on /workspace (`diskquota.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from polybox.sandbox.box import WORKSPACE, Box, BoxSpec, FileInfo, SpawnedProcess
from polybox.sandbox.bwrap import BwrapBox
from polybox.sandbox.diskquota import DiskQuota
from polybox.sandbox.dotnet.agent import Agent
from polybox.sandbox.dotnet.clr import clr_env, clr_limits
from polybox.sandbox.dotnet.model import (
    PACKAGE_ID,
    PACKAGE_VERSION,
    BuildResult,
    CommandResult,
    Diagnostic,
    DotnetError,
    PackageRef,
    RefusedCodeError,
    TestCase,
    TestRun,
    WorkspaceLimits,
    WorkspaceUsage,
)
from polybox.sandbox.dotnet.msbuild import parse_diagnostics
from polybox.sandbox.dotnet.restore import RestoreFailed
from polybox.sandbox.dotnet.templates import check_project, project_files
from polybox.sandbox.dotnet.testresults import parse_trx
from polybox.sandbox.dotnet.toolchains import PACKAGES_DIR
from polybox.sandbox.hostbox import BOX_PATH, HostBox

if TYPE_CHECKING:
    from polybox.sandbox.dotnet.runtime import DotnetRuntime

DOTNET_DIR = "/polybox/dotnet"
"""Inside workspace Boxes: the composed DOTNET_ROOT."""
DEFAULT_TIMEOUT_S = 120.0
CONFIGURATIONS = ("Debug", "Release")
_PROJECT_SUFFIXES = (".csproj", ".props", ".targets")
_PROJECT_FILE_LIMIT = 1 << 20  # project files bigger than this are not read on the host
_TRX_LIMIT = 32 << 20
_ASSETS = "obj/project.assets.json"
_UNTRACKED = frozenset({"bin", "obj", "TestResults"})
_REFUSED_ENV = re.compile(r"DOTNET_ROLL_FORWARD.*|DOTNET_ROOT.*|LD_.*|PATH|HOME", re.IGNORECASE)
_OPEN_FILES = 8192  # MSBuild nodes and the compiler server keep many files open
_RESTORING = frozenset({"build", "restore", "run", "test", "publish", "pack"})
_DISK_SIGNS = ("No space left on device", "Disk quota exceeded")


class WorkspaceLimitError(DotnetError):
    """The workspace is at a limit (its disk quota) and refuses more work until it is freed."""

    kind = "limit"


class PackageUnavailableError(DotnetError):
    """The configured feed does not have a package (or version) the project asks for."""

    kind = "package_unavailable"


@dataclass(frozen=True)
class ProjectInfo:
    """What polybox reads from the project files as data (never by running MSBuild)."""

    packages: tuple[PackageRef, ...]
    assembly_name: str | None
    target_framework: str | None


def read_project_info(files: Mapping[str, bytes]) -> ProjectInfo:
    """PackageReference/PackageVersion items and the output names of project files.

    Refuses `RollForward` (the app would run on another runtime than the workspace's). A file
    that is not well-formed XML is skipped: the build reports it with MSBuild's own words.
    """
    packages: dict[str, PackageRef] = {}
    assembly = framework = None
    for path, data in sorted(files.items()):
        try:
            root = ET.fromstring(data)  # noqa: S314 - expat limits entity amplification
        except ET.ParseError:
            continue
        for element in root.iter():
            tag = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
            if tag == "RollForward" or tag.startswith("RuntimeFrameworkVersion"):
                raise RefusedCodeError(
                    f"{path}: <{tag}> is refused: a workspace's app runs on the workspace's own "
                    "runtime only; remove it"
                )
            if tag == "AssemblyName" and element.text:
                assembly = element.text.strip()
            elif tag == "TargetFramework" and element.text:
                framework = element.text.strip()
            elif tag in ("PackageReference", "PackageVersion"):
                name = (element.get("Include") or element.get("Update") or "").strip()
                version = (element.get("Version") or element.findtext("Version") or "").strip()
                if PACKAGE_ID.fullmatch(name):
                    pinned = version if PACKAGE_VERSION.fullmatch(version) else None
                    if pinned is not None or name.lower() not in packages:
                        packages[name.lower()] = PackageRef(name, pinned)
    return ProjectInfo(tuple(packages.values()), assembly, framework)


def add_package_reference(project: bytes, name: str, version: str) -> bytes:
    """The project file with `name` referenced at `version` (an existing reference updated)."""
    # Comments kept; expat limits entity amplification (no defusedxml in the wheelhouse).
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))  # noqa: S314
    root = ET.fromstring(project, parser=parser)  # noqa: S314
    for element in root.iter("PackageReference"):
        if (element.get("Include") or "").lower() == name.lower():
            element.set("Version", version)
            break
    else:
        groups = [group for group in root.iter("ItemGroup") if group.find("PackageReference")]
        group = groups[0] if groups else ET.SubElement(root, "ItemGroup")
        ET.SubElement(group, "PackageReference", {"Include": name, "Version": version})
    ET.indent(root, "  ")
    return ET.tostring(root, encoding="unicode").encode() + b"\n"


def _relative(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    prefix = WORKSPACE + "/"
    return tuple(
        dataclasses.replace(d, file=d.file.removeprefix(prefix)) if d.file else d
        for d in diagnostics
    )


def _not_run(message: str) -> CommandResult:
    return CommandResult(None, "", message, False, False, False, 0.0, None)


class DotnetWorkspace:
    """The runtime half of one workspace: its Box, its agent, its project."""

    def __init__(
        self,
        *,
        dotnet: DotnetRuntime,
        box: Box,
        agent: Agent,
        quota: DiskQuota | None,
        version: str,
        template: str,
        name: str,
        runtime: str,
        limits: WorkspaceLimits,
    ) -> None:
        self.dotnet = dotnet
        self.box = box
        self.agent = agent
        self.quota = quota
        self.version = version
        self.template = template
        self.name = name
        self.runtime = runtime
        self.project = f"{name}.csproj"
        self.limits = limits
        self.env = self._env()
        self._built: dict[str, tuple[str, BuildResult]] = {}
        self._restored: str | None = None
        self._closed = False

    def _env(self) -> dict[str, str]:
        env = clr_env(self.limits.memory_mb)
        env.update(
            DOTNET_ROOT=DOTNET_DIR,
            PATH=f"{DOTNET_DIR}:{BOX_PATH}",
            NUGET_PACKAGES="/tmp/nuget-packages",  # noqa: S108 - the workspace's own tmpfs
            DOTNET_NUGET_SIGNATURE_VERIFICATION="false",  # offline: no revocation checks
            NUGET_XMLDOC_MODE="skip",
            DOTNET_GENERATE_ASPNET_CERTIFICATE="false",
            DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE="1",
            DOTNET_ADD_GLOBAL_TOOLS_TO_PATH="false",
            DOTNET_CLI_UI_LANGUAGE="en",
            MSBUILDTERMINALLOGGER="off",
            DOTNET_CLI_USE_MSBUILD_SERVER="1",
            DOTNET_TieredPGO="0",  # short-lived CLI clients and apps: no instrumented JIT tier
        )
        return env

    @classmethod
    async def create(
        cls,
        dotnet: DotnetRuntime,
        version: str,
        template: str,
        name: str,
        limits: WorkspaceLimits,
    ) -> DotnetWorkspace:
        """A new workspace with a `template` project `name` on .NET `version`, restored.

        Raises InvalidProjectError, VersionUnavailableError, PackageUnavailableError or
        DotnetError (restore failed); nothing is left behind when it does.
        """
        check_project(template, name)
        root = await dotnet.workspace_root(version)
        limits_ = dataclasses.replace(
            clr_limits(
                limits.memory_mb,
                limits.processes,
                limits.tmp_size_mb,
                cpu_seconds=limits.cpu_seconds,
            ),
            open_files=_OPEN_FILES,
        )
        spec = BoxSpec(
            limits=limits_,
            ro_binds=((root.path, DOTNET_DIR), (dotnet.layout.packages, PACKAGES_DIR)),
            network=False,
        )
        box = await dotnet.backend.create(spec)
        quota: DiskQuota | None = None
        agent: Agent | None = None
        try:
            if isinstance(box, HostBox):
                quota = await DiskQuota.attach(box, limits.disk_mb)
            for path, text in project_files(template, version, name).items():
                await box.write_file(path, text.encode())
            python = str(box.config.python) if isinstance(box, BwrapBox) else "python3"
            agent = await Agent.start(box, python)
            workspace = cls(
                dotnet=dotnet,
                box=box,
                agent=agent,
                quota=quota,
                version=version,
                template=template,
                name=name,
                runtime=root.runtimes[version],
                limits=limits,
            )
            restored = await workspace.command(["dotnet", "restore", workspace.project], 300.0)
            if restored.exit_code != 0:
                raise DotnetError(
                    f"restoring the new {template} project failed: "
                    f"{(restored.stdout + restored.stderr).strip()[-2000:]}"
                )
            workspace._restored = _project_key(await workspace._project_files())
        except BaseException:
            if agent is not None:
                await agent.close()
            await box.destroy()  # unmounts the disk image too
            raise
        return workspace

    # --- project files as data -------------------------------------------------------------

    async def _project_files(self) -> dict[str, bytes]:
        files = {}
        for info in await self.box.list_files("."):
            if not info.is_dir and info.path.endswith(_PROJECT_SUFFIXES):
                if info.size > _PROJECT_FILE_LIMIT:
                    raise DotnetError(
                        f"{info.path} is {info.size} bytes; project files are read up to "
                        f"{_PROJECT_FILE_LIMIT} bytes"
                    )
                files[info.path] = await self.box.read_file(info.path)
        return files

    async def project_info(self) -> ProjectInfo:
        """The project's package references and output names, read as data."""
        return read_project_info(await self._project_files())

    async def _fetch_packages(
        self, files: Mapping[str, bytes] | None = None
    ) -> tuple[Diagnostic, ...]:
        """Have the broker fetch referenced packages missing from /nuget; restore errors.

        `files`: the project files when the caller has just read them."""
        packages = self.dotnet.layout.packages
        info = read_project_info(files if files is not None else await self._project_files())
        wanted = [
            ref
            for ref in info.packages
            if ref.version is None
            or not (packages / ref.name.lower() / ref.version.lower()).is_dir()
        ]
        if not wanted:
            return ()
        try:
            await self.dotnet.restores.restore(self.version, wanted)
        except RestoreFailed as exc:
            return exc.diagnostics
        return ()

    async def _files(self, skip: frozenset[str] = frozenset()) -> list[FileInfo]:
        """Every file of the workspace, not descending into directories named in `skip`."""
        found: list[FileInfo] = []
        pending = ["."]
        while pending:
            for info in await self.box.list_files(pending.pop()):
                if not info.is_dir:
                    found.append(info)
                elif PurePosixPath(info.path).name not in skip:
                    pending.append(info.path)
        return found

    async def _fingerprint(self) -> str:
        """A digest of the workspace's files (names, sizes, times) outside build outputs."""
        digest = hashlib.sha256()
        for info in await self._files(_UNTRACKED):
            digest.update(f"{info.path}\0{info.size}\0{info.modified}\n".encode())
        return digest.hexdigest()

    # --- commands ----------------------------------------------------------------------------

    async def _exec(self, argv: Sequence[str], timeout_s: float) -> CommandResult:
        """Run argv through the agent; says which limit stopped it, if one did."""
        if self._closed:
            raise DotnetError(f"workspace of {self.project} is closed")
        if self.quota is not None and self.quota.mode == "du" and list(argv[1:2]) != ["clean"]:
            await self._check_disk()
        cgroup = self.box.cgroup if isinstance(self.box, BwrapBox) else None
        before = cgroup.limit_counts() if cgroup else {}
        result = await self.agent.run(
            argv,
            cwd=WORKSPACE,
            env=self.env,
            timeout_s=timeout_s,
            output_limit=self.limits.output_limit,
        )
        limit = None
        if cgroup is not None and result.exit_code != 0:
            after = cgroup.limit_counts()
            limit = next((name for name in after if after[name] > before.get(name, 0)), None)
        if limit is None and result.exit_code != 0:
            text = result.stdout + result.stderr
            if any(sign in text for sign in _DISK_SIGNS):
                limit = "disk"
        return dataclasses.replace(result, limit=limit)

    async def _check_disk(self) -> None:
        assert self.quota is not None  # noqa: S101 - checked by the caller
        if await self.quota.over():
            used = await self.quota.used_bytes() >> 20
            raise WorkspaceLimitError(
                f"the workspace uses {used} MiB of its {self.quota.size_mb} MiB disk quota; "
                "free space (`dotnet clean` removes build outputs) before running more commands"
            )

    async def command(self, argv: Sequence[str], timeout_s: float) -> CommandResult:
        """Run a `dotnet` command in /workspace (packages fetched first when it restores)."""
        if not argv or argv[0] != "dotnet":
            raise DotnetError(
                f"commands start with 'dotnet' (e.g. ['dotnet', 'test']), not {list(argv[:1])!r}"
            )
        if len(argv) > 1 and argv[1] in _RESTORING:
            problems = await self._fetch_packages()
            if problems:
                return _not_run(_problem_text(problems))
        self._built.clear()
        return await self._exec(argv, timeout_s)

    async def add_package(self, ref: PackageRef) -> tuple[str, str]:
        """Fetch `ref` (with its dependencies) through the broker, reference it in the project
        file, restore in the Box; returns (id, version used)."""
        try:
            restored = await self.dotnet.restores.restore(self.version, [ref])
        except RestoreFailed as exc:
            raise PackageUnavailableError(
                f"package {ref} cannot be added: {_problem_text(exc.diagnostics)}"
            ) from exc
        name, version = next(
            (item for item in restored.packages if item[0].lower() == ref.name.lower()),
            (ref.name, ref.version or ""),
        )
        project = await self.box.read_file(self.project)
        try:
            edited = add_package_reference(project, name, version)
        except ET.ParseError as exc:
            raise DotnetError(f"{self.project} is not well-formed XML ({exc}); fix it") from exc
        await self.box.write_file(self.project, edited)
        result = await self.command(["dotnet", "restore", self.project], DEFAULT_TIMEOUT_S)
        if result.exit_code != 0:
            raise DotnetError(
                f"{name} {version} was added to {self.project} but restore failed: "
                f"{(result.stdout + result.stderr).strip()[-2000:]}"
            )
        return name, version

    async def build(
        self, configuration: str = "Debug", timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> BuildResult:
        """Build the project; a build of unchanged files answers the last result at once."""
        if configuration not in CONFIGURATIONS:
            raise DotnetError(f"configuration {configuration!r}: use Debug or Release")
        fingerprint = await self._fingerprint()
        cached = self._built.get(configuration)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        files = await self._project_files()
        problems = await self._fetch_packages(files)
        if problems:
            return BuildResult(False, problems, _not_run(_problem_text(problems)))
        project_key = _project_key(files)
        argv = ["dotnet", "build", self.project, "-nologo", "-c", configuration, "-v:q",
                "-tl:off", "-clp:NoSummary", "-nodeReuse:true",
                "-p:UseSharedCompilation=true"]  # fmt: skip
        if self._restored == project_key and await self._has_assets():
            argv.append("--no-restore")
        result = await self._exec(argv, timeout_s)
        diagnostics = _relative(parse_diagnostics(result.stdout + "\n" + result.stderr))
        built = BuildResult(result.exit_code == 0, diagnostics, result)
        if built.succeeded:
            self._built[configuration] = (fingerprint, built)
            self._restored = project_key
        return built

    async def _has_assets(self) -> bool:
        """Whether the last restore's assets file is still there (a command may remove obj/)."""
        try:
            return any(info.path == _ASSETS for info in await self.box.list_files("obj"))
        except (FileNotFoundError, OSError):
            return False

    async def _app(self, configuration: str) -> str:
        """The built app's dll (path inside the Box); DotnetError when there is none."""
        info = await self.project_info()
        framework = info.target_framework or f"net{self.version}.0"
        name = info.assembly_name or self.name
        output = f"bin/{configuration}/{framework}"
        try:
            await self.box.read_file(f"{output}/{name}.runtimeconfig.json")
        except (FileNotFoundError, OSError) as exc:
            raise DotnetError(
                f"{self.project} has no runnable build in {output} (a {self.template} "
                "project, or not built yet): build an executable project first"
            ) from exc
        return f"{WORKSPACE}/{output}/{name}.dll"

    async def run(
        self, args: Sequence[str], timeout_s: float
    ) -> tuple[BuildResult, CommandResult | None]:
        """Build (if anything changed), then run the app with `args`; None when the build
        failed."""
        build = await self.build("Debug", timeout_s)
        if not build.succeeded:
            return build, None
        app = await self._app("Debug")
        return build, await self._exec(["dotnet", app, *args], timeout_s)

    async def test(self, timeout_s: float) -> TestRun:
        """Build, then `dotnet test` with a TRX report, read back as structured cases."""
        build = await self.build("Debug", timeout_s)
        if not build.succeeded:
            return TestRun(0, 0, 0, (), build, build.command)
        report = f"TestResults/polybox-{uuid.uuid4().hex[:12]}.trx"
        result = await self._exec(
            ["dotnet", "test", self.project, "--no-build", "-nologo", "-tl:off",
             "--logger", f"trx;LogFileName={WORKSPACE}/{report}"],
            timeout_s,
        )  # fmt: skip
        cases: tuple[TestCase, ...] = ()
        try:
            entries = await self.box.list_files("TestResults")
            size = next((entry.size for entry in entries if entry.path == report), None)
            if size is not None and size <= _TRX_LIMIT:
                cases = parse_trx(await self.box.read_file(report))
        except (FileNotFoundError, ValueError):
            cases = ()
        finally:
            await self.agent.run(
                ["rm", "-f", report], cwd=WORKSPACE, env=self.env, timeout_s=10, output_limit=1024
            )
        counts = {outcome: sum(case.outcome == outcome for case in cases) for outcome in
                  ("passed", "failed", "skipped")}  # fmt: skip
        return TestRun(counts["passed"], counts["failed"], counts["skipped"], cases, build, result)

    async def spawn_app(
        self, name: str, args: Sequence[str], env: Mapping[str, str]
    ) -> SpawnedProcess:
        """Start the built app in the background (no MSBuild) with the workspace environment
        plus `env`; its output goes to a log the Box cannot touch."""
        refused = sorted(key for key in env if _REFUSED_ENV.fullmatch(key))
        if refused:
            raise DotnetError(f"environment variables {refused} are set by polybox; remove them")
        if self._closed:
            raise DotnetError(f"workspace of {self.project} is closed")
        app = await self._app("Debug")
        return await self.box.spawn(
            [f"{DOTNET_DIR}/dotnet", app, *args], name=name, env={**self.env, **env}
        )

    async def usage(self) -> WorkspaceUsage:
        """CPU seconds and memory of the workspace (its cgroup) and the disk it uses now."""
        cgroup = self.box.cgroup if isinstance(self.box, BwrapBox) else None
        cpu, memory = cgroup.usage() if cgroup else (None, None)
        if self.quota is not None:
            disk = await self.quota.used_bytes()
        else:
            disk = sum(info.size for info in await self._files())
        return WorkspaceUsage(cpu, memory, disk)

    async def close(self) -> None:
        """Stop everything: agent, build servers, background processes, Box, disk image."""
        if self._closed:
            return
        self._closed = True
        await self.agent.close()
        await self.box.destroy()  # unmounts the disk image too


def _project_key(files: Mapping[str, bytes]) -> str:
    """A digest of the project files: a restore stays valid while it is unchanged."""
    return hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()


def _problem_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "\n".join(f"{d.file}: {d.severity} {d.code}: {d.message}" for d in diagnostics)
