"""Host side of `Box.forward`: a loopback listener that pipes each connection into the Box.

How a byte reaches the port inside the Box is the backend's business (`Connector`): the local
backend dials 127.0.0.1 directly; bwrap dials a unix socket served by a relay inside the Box's
network namespace (see `relay.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from polybox.sandbox.box import BoxError, Forward

Connector = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
_CHUNK = 65536


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until EOF, then half-close the writing side."""
    try:
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


class LoopbackForward(Forward):
    """Listens on 127.0.0.1:<ephemeral port>; each connection gets its own Box-side connection."""

    def __init__(
        self, box_port: int, connect: Connector, on_close: Callable[[], Awaitable[None]]
    ) -> None:
        self.box_port = box_port
        self.host_port = 0
        self._connect = connect
        self._on_close = on_close
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        """Start listening; `host_port` is set afterwards."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.host_port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(client_w)
        try:
            try:
                box_r, box_w = await self._connect()
            except OSError:
                return
            self._writers.add(box_w)
            try:
                await asyncio.gather(pipe(client_r, box_w), pipe(box_r, client_w))
            finally:
                await _close(box_w)
                self._writers.discard(box_w)
        finally:
            await _close(client_w)
            self._writers.discard(client_w)
            if task is not None:
                self._tasks.discard(task)

    async def close(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        for writer in list(self._writers):
            writer.transport.abort()  # the pipes see a reset and their tasks end
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()
        await self._on_close()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()


class Forwards:
    """The open forwards of one Box: checks the port, opens, and closes them all on destroy."""

    def __init__(self) -> None:
        self._open: set[Forward] = set()

    async def open(
        self, port: int, connect: Connector, cleanup: Callable[[], Awaitable[None]] | None = None
    ) -> Forward:
        """Listen on the host for `port` in the Box; `cleanup` runs when that forward closes."""
        if not 0 < port < 65536:
            raise BoxError(f"port {port} is not a TCP port")

        async def forget() -> None:
            self._open.discard(forward)
            if cleanup is not None:
                await cleanup()

        forward = LoopbackForward(port, connect, forget)
        await forward.open()
        self._open.add(forward)
        return forward

    async def close_all(self) -> None:
        """Close every forward still open (each one's cleanup runs)."""
        for forward in list(self._open):
            await forward.close()
