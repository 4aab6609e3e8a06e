"""One snippet run: a fresh Box that runs a compiled assembly on the runner of its version.

The Box has no network. It reads the runner (the version's self-contained runtime) and the
package folder read-only, sees its own run directory (the assembly and the list of package
files) read-only at /workspace, and writes only to its sized tmpfs /tmp (also HOME, TMPDIR and
DOTNET_CLI_HOME). Memory is capped by the Box cgroup and the GC heap limit, processes and threads
by the pids cgroup; at the timeout the whole process tree is killed and the Box destroyed.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import uuid
from dataclasses import dataclass

from polybox.sandbox.box import BoxBackend, BoxSpec, ExecResult
from polybox.sandbox.bwrap import BwrapBox
from polybox.sandbox.dotnet.clr import clr_env, clr_limits
from polybox.sandbox.dotnet.toolchains import (
    PACKAGES_DIR,
    RUNNER_NAME,
    RUNTIME_MARKER,
    DotnetLayout,
    Toolchain,
)

RUNNER_DIR = "/polybox/runtime"
_ASSEMBLY = "snippet.dll"
_ASSETS = "assets.txt"
# Messages the runtime prints when a limit (rather than the code) stopped the run.
_LIMIT_SIGNS = (
    ("disk", "No space left on device"),
    ("disk", "File too large"),
    ("memory", "OutOfMemoryException"),
    ("memory", "Out of memory."),
    ("processes", "Resource temporarily unavailable"),
)


@dataclass(frozen=True)
class RunLimits:
    """What one run may use."""

    memory_mb: int
    processes: int
    tmp_size_mb: int
    output_limit: int


@dataclass(frozen=True)
class RunOutcome:
    """A finished run: streams (marker line removed), how it ended and which limit it hit."""

    outcome: str
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    runtime: str
    limit: str | None
    duration: float


async def run_assembly(
    backend: BoxBackend,
    layout: DotnetLayout,
    toolchain: Toolchain,
    *,
    assembly: bytes,
    runtime_files: tuple[str, ...],
    limits: RunLimits,
    timeout_s: float,
) -> RunOutcome:
    """Run `assembly` in a fresh Box; the Box and the run directory are gone afterwards."""
    run_dir = layout.runs / uuid.uuid4().hex
    run_dir.mkdir(mode=0o755, parents=True)
    try:
        (run_dir / _ASSEMBLY).write_bytes(assembly)
        argv = [f"{RUNNER_DIR}/{RUNNER_NAME}", f"/workspace/{_ASSEMBLY}"]
        if runtime_files:
            paths = "\n".join(f"{PACKAGES_DIR}/{path}" for path in runtime_files)
            (run_dir / _ASSETS).write_text(paths + "\n")
            argv.append(f"/workspace/{_ASSETS}")
        spec = BoxSpec(
            limits=clr_limits(
                limits.memory_mb,
                limits.processes,
                limits.tmp_size_mb,
                cpu_seconds=math.ceil(timeout_s) + 5,
            ),
            ro_binds=(
                (toolchain.runner_dir, RUNNER_DIR),
                (layout.packages, PACKAGES_DIR),
                (run_dir, "/workspace"),  # over the Box's own workspace: read-only
            ),
        )
        box = await backend.create(spec)
        try:
            result = await box.exec(
                argv,
                env=clr_env(limits.memory_mb),
                timeout=timeout_s,
                output_limit=limits.output_limit + len(RUNTIME_MARKER) + 128,
            )
            hit = box.cgroup.limits_hit() if isinstance(box, BwrapBox) and box.cgroup else set()
        finally:
            await box.destroy()
    finally:
        await asyncio.to_thread(shutil.rmtree, run_dir, True)
    return _outcome(result, hit, limits.output_limit)


def _outcome(result: ExecResult, hit: set[str], output_limit: int) -> RunOutcome:
    first, newline, rest = result.stderr.partition(b"\n")
    text = first.decode(errors="replace")
    if text.startswith(RUNTIME_MARKER) and newline:
        runtime, stderr = text.removeprefix(RUNTIME_MARKER), rest
    else:
        runtime, stderr = "", result.stderr
    # The Box kept a little more than the limit of each stream, so longer means cut.
    stdout_cut = len(result.stdout) > output_limit
    stderr_cut = len(stderr) > output_limit
    stdout, stderr = result.stdout[:output_limit], stderr[:output_limit]
    limit = _limit(hit, stderr, result)
    if result.timed_out:
        outcome = "timeout"
    elif limit is not None or stdout_cut or stderr_cut:
        outcome, limit = "limit", limit or "output"
    else:
        outcome = "ok" if result.exit_code == 0 else "runtime_error"
    return RunOutcome(
        outcome=outcome,
        exit_code=None if result.timed_out else result.exit_code,
        stdout=stdout,
        stderr=stderr,
        stdout_truncated=stdout_cut,
        stderr_truncated=stderr_cut,
        runtime=runtime,
        limit=limit,
        duration=result.duration,
    )


def _limit(hit: set[str], stderr: bytes, result: ExecResult) -> str | None:
    if result.timed_out or result.exit_code == 0:
        return None
    for name in ("memory", "processes"):
        if name in hit:
            return name
    text = stderr.decode(errors="replace")
    for name, sign in _LIMIT_SIGNS:
        if sign in text:
            return name
    return None
