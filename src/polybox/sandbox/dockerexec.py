"""Processes in a docker Box: one engine exec each, streamed over its hijacked socket.

An exec's socket carries stdin raw and stdout/stderr multiplexed in frames (8-byte header:
stream, 3 zero bytes, big-endian length). `ExecStream` plugs that socket into the event loop
(no thread per process) and splits the frames into sinks.

The engine has no call to kill an exec, so every argv runs under `LAUNCHER`: a Python one-liner
that makes the process a session leader, reports its pid (in the container's pid namespace) as
the first line of stderr and execs argv. Killing is then `killpg(pid, SIGKILL)` from a second exec
in the same container, as the same user. A process that leaves that session (setsid) outlives
the kill until its Box is destroyed; the container's pids and memory limits still bound it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import ssl
import struct
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from docker import APIClient

from polybox.sandbox.box import WORKSPACE, BoxError, BoxProcess, ExecResult, SpawnedProcess
from polybox.sandbox.dockerapi import BOX_USER, EngineNotFoundError, call
from polybox.sandbox.processes import read_file_at, tail_file

LAUNCHER = (
    "import os,sys\n"
    "try: os.setsid()\n"
    "except OSError: pass\n"
    "os.write(2, b'%d\\n' % os.getpid())\n"
    "try: os.execvp(sys.argv[1], sys.argv[1:])\n"
    "except OSError as e:\n"
    "    os.write(2, ('%s: %s\\n' % (sys.argv[1], e.strerror)).encode()); os._exit(127)\n"
)
KILLER = "import os,sys\ntry: os.killpg(int(sys.argv[1]), 9)\nexcept ProcessLookupError: pass\n"
_HEADER = struct.Struct(">BxxxL")
_STDERR = 2
_PID_WAIT = 5.0  # seconds the launcher may take to report its pid
_EXIT_WAIT = 5.0  # seconds the engine may take to record an exit after the stream ended
_POLL = 0.02
_DRAIN_AFTER_KILL = 1.0  # seconds to collect output already written when a timeout kills
_LONGEST_PID_LINE = 32

Sink = Callable[[bytes], object]


def launcher_argv(argv: Sequence[str]) -> list[str]:
    """The exec command that runs argv under the launcher (see the module docstring)."""
    return ["python3", "-I", "-S", "-c", LAUNCHER, *argv]


def exit_status(code: int) -> int:
    """The engine's exit code, with 128+n (a death by signal n) as -n like `subprocess`.

    The engine cannot tell a signal death from `exit(128 + n)`; both read as killed.
    """
    if 128 < code < 128 + signal.NSIG:
        return 128 - code
    return code


class _PidLine:
    """Passes stderr on to `sink` after taking the launcher's pid line off its front."""

    def __init__(self, sink: Sink, pid: asyncio.Future[int | None]) -> None:
        self._sink = sink
        self._pid = pid
        self._head = bytearray()

    def __call__(self, data: bytes) -> None:
        if self._pid.done():
            self._sink(data)
            return
        self._head += data
        line, newline, rest = bytes(self._head).partition(b"\n")
        if not newline and len(self._head) < _LONGEST_PID_LINE:
            return
        if newline and line.isdigit():
            self._pid.set_result(int(line))
        else:  # not our launcher speaking (e.g. the engine could not start it)
            self._pid.set_result(None)
            rest = bytes(self._head)
        if rest:
            self._sink(rest)


class _Demux(asyncio.StreamReaderProtocol):
    """Splits the multiplexed output into sinks; `ended` resolves at end of output."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        stdout: Sink,
        stderr: Sink,
        ended: asyncio.Future[None],
    ) -> None:
        super().__init__(reader)
        self._stdout = stdout
        self._stderr = stderr
        self._ended = ended
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= _HEADER.size:
            stream, size = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + size
            if len(self._buffer) < end:
                return
            payload = bytes(self._buffer[_HEADER.size : end])
            del self._buffer[:end]
            (self._stderr if stream == _STDERR else self._stdout)(payload)

    def eof_received(self) -> bool:
        keep_open = bool(super().eof_received())
        self._end()
        return keep_open

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._end()

    def _end(self) -> None:
        if not self._ended.done():
            self._ended.set_result(None)


def _own_socket(raw: Any) -> socket.socket:
    """A socket of our own (a dup) for the exec connection the SDK hijacked.

    The SDK hands back a SocketIO (unix, tcp) whose socket belongs to its HTTP response; only a
    plain stream socket can join the event loop, so TLS and ssh engines are refused.
    """
    sock = getattr(raw, "_sock", raw)
    if not isinstance(sock, socket.socket) or isinstance(sock, ssl.SSLSocket):
        raise BoxError(
            "the docker backend streams processes over unix:// or tcp:// engines only; "
            "set DOCKER_HOST to one of those"
        )
    own = sock.dup()
    if raw is not sock:
        raw.close()
    sock.close()
    own.setblocking(False)
    return own


class ExecStream:
    """One process in a container: its streams, its pid, killing it and its exit status."""

    def __init__(self, api: APIClient, container: str, exec_id: str) -> None:
        loop = asyncio.get_running_loop()
        self._api = api
        self._container = container
        self._exec_id = exec_id
        self.reader = asyncio.StreamReader()
        self.ended: asyncio.Future[None] = loop.create_future()
        self._pid: asyncio.Future[int | None] = loop.create_future()
        self._transport: asyncio.Transport | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.returncode: int | None = None
        self._waiting: asyncio.Task[int] | None = None
        self._killing: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(
        cls,
        api: APIClient,
        container: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        stdin: bool,
        stderr: Sink,
        stdout: Sink | None = None,
    ) -> ExecStream:
        """Start argv in the container; stdout goes to `reader` unless a sink is given."""
        created = await call(
            "starting a process in the Box",
            api.exec_create,
            container,
            launcher_argv(argv),
            stdin=stdin,
            user=BOX_USER,
            environment=dict(env),
            workdir=WORKSPACE,
        )
        stream = cls(api, container, created["Id"])
        raw = await call("attaching to a Box process", api.exec_start, stream._exec_id, socket=True)
        protocol = _Demux(
            stream.reader,
            stdout or stream.reader.feed_data,
            _PidLine(stderr, stream._pid),
            stream.ended,
        )
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_accepted_socket(lambda: protocol, _own_socket(raw))
        stream._transport = transport
        stream.writer = asyncio.StreamWriter(transport, protocol, stream.reader, loop)
        stream.ended.add_done_callback(stream._on_end)
        return stream

    def _on_end(self, _: asyncio.Future[None]) -> None:
        """Settle the pid and fetch the exit status, so `returncode` is set without a waiter."""
        if not self._pid.done():
            self._pid.set_result(None)
        self._waiting = asyncio.ensure_future(self._exit_status())

    async def pid(self) -> int | None:
        """The process's pid in the container, None if the launcher never reported one."""
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(asyncio.shield(self._pid), _PID_WAIT)
        return None

    async def kill(self) -> None:
        """SIGKILL the process's session in the container; without a pid, drop the connection."""
        if self.ended.done():
            return
        pid = await self.pid()
        if pid is None:
            self.close()
            return
        try:
            killer = await call(
                "killing a Box process",
                self._api.exec_create,
                self._container,
                ["python3", "-I", "-S", "-c", KILLER, str(pid)],
                user=BOX_USER,
            )
            await call("killing a Box process", self._api.exec_start, killer["Id"])
        except BoxError:
            self.close()  # the container is going away; it takes the process with it

    def kill_soon(self) -> None:
        """`kill` from synchronous code (BoxProcess.kill); `wait` still sees the result."""
        task = asyncio.get_running_loop().create_task(self.kill())
        self._killing.add(task)
        task.add_done_callback(self._killing.discard)

    async def wait(self) -> int:
        """Wait for the end of output, then the exit status the engine recorded (-1: unknown)."""
        await asyncio.shield(self.ended)
        assert self._waiting is not None  # noqa: S101 - started by _on_end
        return await asyncio.shield(self._waiting)

    async def _exit_status(self) -> int:
        await asyncio.gather(*self._killing, return_exceptions=True)
        deadline = time.monotonic() + _EXIT_WAIT
        code = -1
        while time.monotonic() < deadline:
            try:
                info = await call("inspecting a Box process", self._api.exec_inspect, self._exec_id)
            except EngineNotFoundError:  # removed with its container, which killed it
                code = -signal.SIGKILL
                break
            except BoxError:  # the engine is gone: the status is unknown
                break
            if not info.get("Running") and info.get("ExitCode") is not None:
                code = exit_status(int(info["ExitCode"]))
                break
            await asyncio.sleep(_POLL)
        self.close()
        self.returncode = code
        return code

    def close(self) -> None:
        """Drop the connection (the process's stdin closes; its output is no longer read)."""
        if self._transport is not None:
            self._transport.close()


class DockerProcess(BoxProcess):
    """A `BoxProcess` over an ExecStream; `pid` is in the container's pid namespace."""

    def __init__(self, stream: ExecStream, pid: int) -> None:
        assert stream.writer is not None  # noqa: S101 - set by ExecStream.open
        self._stream = stream
        self._pid = pid
        self.stdin = stream.writer
        self.stdout = stream.reader

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def returncode(self) -> int | None:
        return self._stream.returncode

    def kill(self) -> None:
        self._stream.kill_soon()

    async def wait(self) -> int:
        return await self._stream.wait()


class DockerSpawned(SpawnedProcess):
    """A `SpawnedProcess` over an ExecStream whose output the supervisor writes to `log`."""

    def __init__(self, name: str, stream: ExecStream, log: Path) -> None:
        self.name = name
        self.log = log
        self._stream = stream

    @property
    def returncode(self) -> int | None:
        return self._stream.returncode

    async def tail(self, max_bytes: int = 65536) -> bytes:
        return tail_file(self.log, max_bytes)

    async def read_at(self, offset: int, max_bytes: int = 65536) -> bytes:
        return read_file_at(self.log, offset, max_bytes)

    def kill(self) -> None:
        self._stream.kill_soon()

    async def wait(self) -> int:
        return await self._stream.wait()


class _Capped:
    """Keeps the first `limit` bytes written to it; `cut` is shared by stdout and stderr."""

    def __init__(self, limit: int, cut: list[bool]) -> None:
        self.kept = bytearray()
        self._limit = limit
        self._cut = cut

    def add(self, data: bytes) -> None:
        room = self._limit - len(self.kept)
        if len(data) > room:
            self._cut[0] = True
        self.kept += data[: max(room, 0)]


async def run_to_completion(
    stream_opener: Callable[[Sink, Sink], Awaitable[ExecStream]],
    *,
    stdin: bytes | None,
    timeout: float,  # noqa: ASYNC109 - a deadline for the Box process
    output_limit: int,
) -> ExecResult:
    """Run a process to its end, feeding stdin and keeping at most `output_limit` per stream.

    At `timeout` the process's session is killed and `timed_out` set; output read until then is
    kept. `stream_opener(stdout_sink, stderr_sink)` starts the process (an ExecStream).
    """
    started = time.monotonic()
    cut = [False]
    out, err = _Capped(output_limit, cut), _Capped(output_limit, cut)
    stream = await stream_opener(out.add, err.add)
    feed = asyncio.ensure_future(_feed(stream.writer, stdin))
    timed_out = False
    try:
        await asyncio.wait_for(asyncio.shield(stream.ended), timeout)
    except TimeoutError:
        timed_out = True
        await stream.kill()
        await asyncio.wait([stream.ended], timeout=_DRAIN_AFTER_KILL)
        stream.close()  # a straggler outside the session may still hold the output open
    finally:
        feed.cancel()
        if not stream.ended.done():
            stream.kill_soon()  # cancelled: the process must not outlive its caller
    return ExecResult(
        exit_code=await stream.wait(),
        stdout=bytes(out.kept),
        stderr=bytes(err.kept),
        timed_out=timed_out,
        truncated=cut[0],
        duration=time.monotonic() - started,
    )


async def _feed(writer: asyncio.StreamWriter | None, data: bytes | None) -> None:
    if writer is None or data is None:
        return
    with contextlib.suppress(ConnectionError):
        writer.write(data)
        await writer.drain()
        writer.write_eof()
