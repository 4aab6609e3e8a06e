"""The warm compile server of one .NET version: a Roslyn process in its own Box.

It is polybox's csharp/Compiler, started once per version with that version's reference
assemblies and C# language version, and asked over its stdin/stdout in JSON lines (one request,
one answer). Its Box has no network and reads the SDK, the compile server and the package folder
read-only; snippet packages add reference assemblies only, never analyzers or generators. A
server that dies is started again on the next request; one whose working set grew past the limit
is replaced after answering.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from polybox.sandbox.box import Box, BoxBackend, BoxProcess, BoxSpec
from polybox.sandbox.dotnet.clr import clr_env, clr_limits
from polybox.sandbox.dotnet.model import Diagnostic, DotnetError
from polybox.sandbox.dotnet.toolchains import (
    LANGUAGE_VERSIONS,
    PACKAGES_DIR,
    SDK_DIR,
    DotnetLayout,
    Toolchain,
    find_dotnet,
)

logger = logging.getLogger(__name__)

COMPILER_DIR = "/polybox/compiler"
_CHUNK = 65536
_START_TIMEOUT = 120.0
_MB = 1024 * 1024

RestartHook = Callable[[str, str], None]
"""Told (version, reason) when a compile server is replaced: `crash` (died or hung) or
`memory` (grew past its limit); the service layer counts these in its metrics."""


@dataclass(frozen=True)
class Compiled:
    """One compile's answer: the assembly (None on errors) and its diagnostics."""

    assembly: bytes | None
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class CompilerLimits:
    """How big a compile server may be (cgroup cap) and when it is replaced (working set)."""

    memory_mb: int
    recycle_mb: int
    timeout_s: float


async def read_line(stream: asyncio.StreamReader, buffer: bytearray) -> bytes:
    """One line of any length (StreamReader.readline stops at 64 KiB); b"" at EOF."""
    while (end := buffer.find(b"\n")) < 0:
        chunk = await stream.read(_CHUNK)
        if not chunk:
            return b""
        buffer += chunk
    line = bytes(buffer[: end + 1])
    del buffer[: end + 1]
    return line


class CompileServer:
    """The compile server of one version; `compile` starts it when needed."""

    def __init__(
        self,
        backend: BoxBackend,
        layout: DotnetLayout,
        toolchain: Toolchain,
        limits: CompilerLimits,
        on_restart: RestartHook | None = None,
    ) -> None:
        self.backend = backend
        self.layout = layout
        self.toolchain = toolchain
        self.limits = limits
        self.on_restart = on_restart
        self.working_set = 0
        self._box: Box | None = None
        self._process: BoxProcess | None = None
        self._buffer = bytearray()
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        """The host pid of the server's sandbox launcher while it runs."""
        return self._process.pid if self._process is not None and self.running else None

    async def start(self) -> None:
        """Start and warm the server (idempotent)."""
        async with self._lock:
            await self._ensure()

    async def compile(self, code: str, references: Sequence[str]) -> Compiled:
        """Compile `code` with the version's references plus `references` (package-relative)."""
        request = json.dumps(
            {"code": code, "references": [f"{PACKAGES_DIR}/{path}" for path in references]}
        )
        async with self._lock:
            for attempt in (1, 2):
                process = await self._ensure()
                process.stdin.write(request.encode() + b"\n")
                try:
                    await process.stdin.drain()
                    line = await asyncio.wait_for(
                        read_line(process.stdout, self._buffer), self.limits.timeout_s
                    )
                except (TimeoutError, ConnectionError):
                    line = b""
                if line:
                    break
                await self._replace("crash")
                logger.warning(
                    "dotnet %s compile server died or hung (attempt %d); restarting",
                    self.toolchain.version,
                    attempt,
                )
            else:
                raise DotnetError(
                    "the compile server stopped while compiling this code twice; simplify the "
                    "code or try again"
                )
            answer: dict[str, Any] = json.loads(line)
            self.working_set = int(answer.get("workingSet", 0))
            if self.working_set > self.limits.recycle_mb * _MB:
                logger.info(
                    "dotnet %s compile server at %d MiB: replacing it",
                    self.toolchain.version,
                    self.working_set // _MB,
                )
                await self._replace("memory")
        if "error" in answer:
            raise DotnetError(f"the compile server refused the request: {answer['error']}")
        assembly = answer.get("assembly")
        return Compiled(
            assembly=base64.b64decode(assembly) if assembly else None,
            diagnostics=tuple(
                Diagnostic(
                    file=str(item["file"]),
                    line=int(item["line"]),
                    column=int(item["column"]),
                    code=str(item["code"]),
                    severity=str(item["severity"]),
                    message=str(item["message"]),
                )
                for item in answer.get("diagnostics", [])
            ),
        )

    async def _ensure(self) -> BoxProcess:
        if self._process is not None and self._process.returncode is None:
            return self._process
        if self._process is not None:  # died since its last answer
            await self._replace("crash")
        sdk = find_dotnet().parent
        spec = BoxSpec(
            # long-lived: bounded by memory and recycling, not by CPU seconds
            limits=clr_limits(self.limits.memory_mb, 64, 64, cpu_seconds=7 * 24 * 3600),
            ro_binds=(
                (sdk, SDK_DIR),
                (self.layout.compiler, COMPILER_DIR),
                (self.layout.packages, PACKAGES_DIR),
            ),
        )
        box = await self.backend.create(spec)
        await box.write_file("references.txt", "\n".join(self.toolchain.references).encode())
        process = await box.start(
            [f"{SDK_DIR}/dotnet", f"{COMPILER_DIR}/Polybox.Compiler.dll",
             LANGUAGE_VERSIONS[self.toolchain.version], "/workspace/references.txt"],
            env=clr_env(self.limits.memory_mb),
        )  # fmt: skip
        self._box, self._process = box, process
        self._buffer.clear()
        try:
            ready = await asyncio.wait_for(read_line(process.stdout, self._buffer), _START_TIMEOUT)
        except TimeoutError:
            ready = b""
        if not ready.startswith(b'{"ready":true'):
            log = (await box.read_log()).decode(errors="replace")[-2000:]
            await self._stop()
            raise DotnetError(
                f"the .NET {self.toolchain.version} compile server did not start: {log or ready!r}"
            )
        self.working_set = int(json.loads(ready).get("workingSet", 0))
        logger.info(
            "dotnet %s compile server ready (%d MiB)",
            self.toolchain.version,
            self.working_set // _MB,
        )
        return process

    async def _replace(self, reason: str) -> None:
        """Stop the server so the next request starts a new one; tell the hook why."""
        await self._stop()
        if self.on_restart is not None:
            self.on_restart(self.toolchain.version, reason)

    async def _stop(self) -> None:
        process, box = self._process, self._box
        self._process = self._box = None
        if process is not None:
            process.kill()
            await process.wait()
        if box is not None:
            await box.destroy()

    async def close(self) -> None:
        """Stop the server and destroy its Box."""
        async with self._lock:
            await self._stop()
