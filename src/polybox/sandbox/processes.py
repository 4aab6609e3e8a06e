"""Host processes behind a Box: launching a wrapped command, output caps, timeouts, killing.

A backend that runs Boxes as host processes (bwrap, local) turns the caller's argv into a
`HostCommand`; this module runs it. Every process gets its own session so one `killpg` reaches
everything it started outside a pid namespace, and `on_kill` lets the backend also empty the Box's
cgroup.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from polybox.sandbox.box import BoxProcess, ExecResult, SpawnedProcess
from polybox.sandbox.preexec import untraced

_CHUNK = 65536
_DRAIN_AFTER_KILL = 1.0  # seconds to collect output already written when a timeout kills


@dataclass(frozen=True)
class HostCommand:
    """The host-side command line that runs a Box process, and how to start it."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path | None = None
    pass_fds: tuple[int, ...] = ()
    preexec: Callable[[], None] | None = None
    user: int | None = None
    group: int | None = None
    close_after_start: tuple[int, ...] = ()


async def launch(
    command: HostCommand,
    *,
    stdin: int,
    stdout: int,
    stderr: int,
    registry: set[asyncio.subprocess.Process],
) -> asyncio.subprocess.Process:
    """Start a HostCommand in a new session (so the whole group can be killed).

    The process is added to `registry` (finished ones are pruned) so its Box can kill it.
    """
    for finished in [p for p in registry if p.returncode is not None]:
        registry.discard(finished)
    try:
        process = await asyncio.create_subprocess_exec(
            *command.argv,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=command.env,
            cwd=command.cwd,
            pass_fds=command.pass_fds,
            preexec_fn=None if command.preexec is None else untraced(command.preexec),
            user=command.user,
            group=command.group,
            extra_groups=[] if command.group is not None else None,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        for fd in command.close_after_start:
            with contextlib.suppress(OSError):
                os.close(fd)
    registry.add(process)
    return process


def kill_group(process: asyncio.subprocess.Process) -> None:
    """SIGKILL the process's session group; a no-op once it has been reaped."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


async def _read_capped(stream: asyncio.StreamReader, limit: int, cut: list[bool]) -> bytes:
    kept = bytearray()
    while chunk := await stream.read(_CHUNK):
        room = limit - len(kept)
        if len(chunk) > room:
            cut[0] = True
        kept += chunk[: max(room, 0)]
    return bytes(kept)


async def run_to_completion(
    command: HostCommand,
    *,
    stdin: bytes | None,
    timeout: float,  # noqa: ASYNC109 - a deadline for the process
    output_limit: int,
    registry: set[asyncio.subprocess.Process],
) -> ExecResult:
    """Run a command, feed it stdin, keep at most `output_limit` bytes of each stream.

    At `timeout` the whole process group is killed and `timed_out` is set; output read up to
    then is kept. Output beyond the limit is drained and dropped so the process never blocks.
    """
    started = time.monotonic()
    process = await launch(
        command,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        registry=registry,
    )
    assert process.stdout is not None  # noqa: S101 - PIPE above
    assert process.stderr is not None  # noqa: S101
    cut = [False]
    out = asyncio.ensure_future(_read_capped(process.stdout, output_limit, cut))
    err = asyncio.ensure_future(_read_capped(process.stderr, output_limit, cut))
    feed = asyncio.ensure_future(_feed(process, stdin))
    everything = asyncio.gather(out, err, feed, process.wait())
    timed_out = False
    try:
        await asyncio.wait_for(asyncio.shield(everything), timeout)
    except TimeoutError:
        timed_out = True
        kill_group(process)
        await process.wait()
        # A straggler outside the process group may still hold the pipes: stop reading soon.
        await asyncio.wait([out, err, feed], timeout=_DRAIN_AFTER_KILL)
    finally:
        kill_group(process)
        everything.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await everything
    return ExecResult(
        exit_code=process.returncode if process.returncode is not None else -1,
        stdout=out.result() if out.done() and not out.cancelled() else b"",
        stderr=err.result() if err.done() and not err.cancelled() else b"",
        timed_out=timed_out,
        truncated=cut[0],
        duration=time.monotonic() - started,
    )


async def _feed(process: asyncio.subprocess.Process, data: bytes | None) -> None:
    if data is None or process.stdin is None:
        return
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        process.stdin.write(data)
        await process.stdin.drain()
    process.stdin.close()


class PipedProcess(BoxProcess):
    """A `BoxProcess` that is a host subprocess with piped stdin/stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None  # noqa: S101 - started with PIPE
        assert process.stdout is not None  # noqa: S101
        self._process = process
        self.stdin = process.stdin
        self.stdout = process.stdout

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def kill(self) -> None:
        kill_group(self._process)

    async def wait(self) -> int:
        return await self._process.wait()


class LoggedProcess(SpawnedProcess):
    """A `SpawnedProcess` that is a host subprocess writing to a host-side log file."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, log: Path) -> None:
        self.name = name
        self.log = log
        self._process = process

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    async def tail(self, max_bytes: int = 65536) -> bytes:
        return tail_file(self.log, max_bytes)

    async def read_at(self, offset: int, max_bytes: int = 65536) -> bytes:
        return read_file_at(self.log, offset, max_bytes)

    def kill(self) -> None:
        kill_group(self._process)

    async def wait(self) -> int:
        return await self._process.wait()


def read_file_at(path: Path, offset: int, max_bytes: int) -> bytes:
    """Up to `max_bytes` of a file from `offset` (empty past its end or when it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(max_bytes)
    except FileNotFoundError:
        return b""


def tail_file(path: Path, max_bytes: int) -> bytes:
    """The last `max_bytes` of a file (empty when it does not exist yet)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(size - max_bytes, 0))
            return handle.read()
    except FileNotFoundError:
        return b""
