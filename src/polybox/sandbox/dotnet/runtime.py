"""`DotnetRuntime`: .NET snippets for one Instance — toolchains, restore, compile, run.

`run_snippet` is the whole hot path: read `#:` lines, restore the packages (answered from memory
once a set is restored), compile in the version's warm compile server, run the assembly in a
fresh Box. A version that is enabled but not prepared is prepared on first use (minutes, once);
one that is not enabled, or cannot be prepared, is refused, never run on another version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from polybox.config import Settings
from polybox.sandbox.box import BoxBackend
from polybox.sandbox.dotnet.compiler import CompilerLimits, CompileServer, RestartHook
from polybox.sandbox.dotnet.directives import read_directives
from polybox.sandbox.dotnet.model import (
    DOTNET_VERSIONS,
    Diagnostic,
    PackageRef,
    SnippetResult,
    VersionStatus,
    VersionUnavailableError,
)
from polybox.sandbox.dotnet.restore import RestoreBroker, RestoreFailed
from polybox.sandbox.dotnet.run import RunLimits, run_assembly
from polybox.sandbox.dotnet.toolchains import (
    Toolchain,
    WorkspaceRoot,
    dotnet_layout,
    enable_fix,
    load_toolchain,
    load_workspace_root,
    prepare,
    prepare_fix,
    prepare_workspace_root,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DotnetConfig:
    """The settings `DotnetRuntime` uses (from `Settings`, see `from_settings`)."""

    data_dir: Path
    versions: tuple[str, ...]
    prewarm: tuple[str, ...]
    run: RunLimits
    compiler: CompilerLimits
    nuget_source: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> DotnetConfig:
        return cls(
            data_dir=settings.data_dir,
            versions=tuple(settings.dotnet_versions),
            prewarm=tuple(settings.dotnet_prewarm_versions),
            run=RunLimits(
                memory_mb=settings.dotnet_snippet_memory_mb,
                processes=settings.dotnet_snippet_processes,
                tmp_size_mb=settings.dotnet_snippet_tmp_size_mb,
                output_limit=settings.dotnet_output_limit_bytes,
            ),
            compiler=CompilerLimits(
                memory_mb=settings.dotnet_compiler_memory_mb,
                recycle_mb=settings.dotnet_compiler_recycle_mb,
                timeout_s=settings.dotnet_compile_timeout_seconds,
            ),
            nuget_source=settings.dotnet_nuget_source,
        )


class DotnetRuntime:
    """One per Instance (`Instance.dotnet`): runs C# snippets on .NET 8, 9 and 10."""

    def __init__(
        self,
        backend: BoxBackend,
        config: DotnetConfig,
        on_compiler_restart: RestartHook | None = None,
    ) -> None:
        self.backend = backend
        self.config = config
        self.on_compiler_restart = on_compiler_restart
        self.layout = dotnet_layout(config.data_dir)
        self.restores = RestoreBroker(self.layout, config.nuget_source)
        self._servers: dict[str, CompileServer] = {}
        self._prepare_lock = asyncio.Lock()
        self._warming: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start warming the compile servers of the pre-warmed versions already prepared.

        Never prepares at start (that downloads runtimes): `polybox dotnet prepare` or the first
        snippet of a version does.
        """
        self._start_warming(self.config.prewarm)

    def reconfigure(self, config: DotnetConfig) -> None:
        """Take changed settings (an admin's, see `workspaces/live_settings.py`).

        Enabled versions, snippet limits and the NuGet feed apply to the next snippet; a version
        newly pre-warmed starts warming now. The data dir and the compile servers' limits stay
        as the process started: they are startup settings.
        """
        if config == self.config:
            return
        before = self.config
        self.config = replace(config, data_dir=before.data_dir, compiler=before.compiler)
        self.restores.source = config.nuget_source
        warmed = set(before.prewarm) & set(before.versions)
        self._start_warming([version for version in config.prewarm if version not in warmed])

    def _start_warming(self, versions: Sequence[str]) -> None:
        if not versions:
            return
        task = asyncio.create_task(self._warm(versions))
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    async def _warm(self, versions: Sequence[str]) -> None:
        for version in versions:
            if version not in self.config.versions:
                continue
            toolchain = load_toolchain(self.layout, version)
            if toolchain is None:
                logger.info(
                    "dotnet %s not prepared: not pre-warmed (%s)", version, prepare_fix(version)
                )
                continue
            try:
                await self._server(toolchain).start()
            except Exception:
                logger.exception("dotnet %s compile server failed to pre-warm", version)

    async def close(self) -> None:
        """Stop the compile servers and their Boxes."""
        for task in list(self._warming):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for server in self._servers.values():
            await server.close()
        self._servers.clear()

    def status(self) -> dict[str, VersionStatus]:
        """Every version: enabled, prepared, its runtime, whether warm, the server's RSS."""
        statuses = {}
        for version in DOTNET_VERSIONS:
            toolchain = load_toolchain(self.layout, version)
            server = self._servers.get(version)
            enabled = version in self.config.versions
            fix = ""
            if not enabled:
                fix = enable_fix(version)
            elif toolchain is None:
                fix = prepare_fix(version)
            statuses[version] = VersionStatus(
                version=version,
                enabled=enabled,
                available=enabled and toolchain is not None,
                runtime=toolchain.runtime if toolchain else "",
                warm=server is not None and server.running,
                compiler_rss_mb=server.working_set / 2**20 if server and server.running else None,
                fix=fix,
            )
        return statuses

    async def toolchain(self, version: str) -> Toolchain:
        """The prepared toolchain of an enabled version, preparing it on first use."""
        if version not in DOTNET_VERSIONS:
            raise VersionUnavailableError(
                f".NET {version!r} is not supported; choose one of {', '.join(DOTNET_VERSIONS)}"
            )
        if version not in self.config.versions:
            raise VersionUnavailableError(
                f".NET {version} is not enabled here; an admin can {enable_fix(version)}"
            )
        toolchain = load_toolchain(self.layout, version)
        if toolchain is not None:
            return toolchain
        async with self._prepare_lock:
            logger.info("dotnet %s: preparing on first use", version)
            prepared = await prepare(
                self.config.data_dir, [version], source=self.config.nuget_source
            )
            return prepared[version]

    async def workspace_root(self, version: str) -> WorkspaceRoot:
        """The composed DOTNET_ROOT of project workspaces, covering `version` (an enabled one),
        made on first use like a toolchain."""
        await self.toolchain(version)
        root = load_workspace_root(self.layout)
        if root is not None and version in root.runtimes:
            return root
        async with self._prepare_lock:
            toolchains = {
                enabled: toolchain
                for enabled in self.config.versions
                if (toolchain := load_toolchain(self.layout, enabled)) is not None
            }
            return await prepare_workspace_root(
                self.config.data_dir, toolchains, self.config.nuget_source
            )

    def compile_server(self, version: str) -> CompileServer | None:
        """The compile server of `version` once it exists (for status and tests)."""
        return self._servers.get(version)

    def _server(self, toolchain: Toolchain) -> CompileServer:
        server = self._servers.get(toolchain.version)
        if server is None or server.toolchain != toolchain:
            server = CompileServer(
                self.backend,
                self.layout,
                toolchain,
                self.config.compiler,
                on_restart=self.on_compiler_restart,
            )
            self._servers[toolchain.version] = server
        return server

    async def run_snippet(
        self,
        code: str,
        version: str,
        packages: Sequence[PackageRef],
        timeout_s: float,
    ) -> SnippetResult:
        """Compile and run one snippet on `version`; see the module docstring.

        Raises VersionUnavailableError, InvalidPackageRefError, RefusedCodeError (DotnetError)
        for requests that cannot run; everything the code itself does is in the result.
        """
        snippet = read_directives(code)
        wanted = list(dict.fromkeys([*packages, *snippet.packages]))
        toolchain = await self.toolchain(version)
        started = time.monotonic()
        try:
            restored = await self.restores.restore(version, wanted)
        except RestoreFailed as exc:
            return _not_run("restore_error", version, exc.diagnostics, started)
        compiled = await self._server(toolchain).compile(snippet.code, restored.compile)
        diagnostics = restored.diagnostics + compiled.diagnostics
        compile_ms = (time.monotonic() - started) * 1000
        if compiled.assembly is None:
            return _not_run("compile_error", version, diagnostics, started, restored.packages)
        ran = await run_assembly(
            self.backend,
            self.layout,
            toolchain,
            assembly=compiled.assembly,
            runtime_files=restored.runtime,
            limits=self.config.run,
            timeout_s=timeout_s,
        )
        return SnippetResult(
            outcome=ran.outcome,
            exit_code=ran.exit_code,
            stdout=ran.stdout.decode(errors="replace"),
            stderr=ran.stderr.decode(errors="replace"),
            stdout_truncated=ran.stdout_truncated,
            stderr_truncated=ran.stderr_truncated,
            diagnostics=diagnostics,
            dotnet_version=version,
            runtime=ran.runtime,
            packages=restored.packages,
            compile_ms=compile_ms,
            run_ms=ran.duration * 1000,
            limit=ran.limit,
        )


def _not_run(
    outcome: str,
    version: str,
    diagnostics: Sequence[Diagnostic],
    started: float,
    packages: tuple[tuple[str, str], ...] = (),
) -> SnippetResult:
    return SnippetResult(
        outcome=outcome,
        exit_code=None,
        stdout="",
        stderr="",
        stdout_truncated=False,
        stderr_truncated=False,
        diagnostics=tuple(diagnostics),
        dotnet_version=version,
        runtime="",
        packages=packages,
        compile_ms=(time.monotonic() - started) * 1000,
        run_ms=0.0,
    )
