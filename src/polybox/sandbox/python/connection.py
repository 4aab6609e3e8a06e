"""The supervisor's side of one worker: its Box, its process, the frames in both directions.

A `WorkerConnection` runs one call at a time. It serves the call's `http` frames through the
egress broker and turns the worker's answers into a "done" frame or an exception the pool acts on:
`CallTimedOut` (the child was stopped; the worker is fine) or `WorkerLost` (the worker died or
stopped answering; it must be destroyed).

What the supervisor holds for one worker is bounded: every frame by `frame_limit`, the http
requests of a call in flight by `_MAX_HTTP_PENDING` and by `frame_limit` bytes. A call that sends
more is flooding: its child is stopped and the call fails with a message naming the limit. The
read loop never waits on anything but the pipe, so a worker blocked writing to us always moves.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
from collections.abc import Mapping
from typing import Any

from polybox.sandbox.box import Box, BoxProcess
from polybox.sandbox.egress import EgressBroker, EgressError, EgressPolicy, HttpRequest
from polybox.sandbox.python.framing import HEADER, FrameError, encode
from polybox.sandbox.standins import NO_STANDINS, Standins

_MAX_HTTP_IN_FLIGHT = 8  # requests the broker serves at once for one worker
_MAX_HTTP_PENDING = 64  # requests of one call held at once (served, waiting, or being answered)


class WorkerLost(Exception):
    """The worker process died, broke the protocol or stopped answering."""


class CallTimedOut(Exception):
    """The call ran out of time and its child was killed; `stdout` is what it printed."""

    def __init__(self, stdout: str) -> None:
        super().__init__("the call ran out of time")
        self.stdout = stdout


async def read_frame(reader: asyncio.StreamReader, limit: int) -> tuple[dict[str, Any], int]:
    """The next frame from `reader` and its encoded size; FrameError on a broken or oversized
    frame, EOF included."""
    try:
        (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
        if size > limit:
            raise FrameError(f"frame of {size} bytes is over the {limit}-byte limit")
        frame = json.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        raise FrameError("the worker closed its output") from None
    except ValueError as exc:
        raise FrameError(f"undecodable frame: {exc}") from None
    if not isinstance(frame, dict):
        raise FrameError("a frame must be a JSON object")
    return frame, size


def _http_request(raw: object) -> HttpRequest:
    """Validate an http request frame written by (untrusted) tool code."""
    if not isinstance(raw, dict):
        raise EgressError("malformed request")
    try:
        pairs = {
            name: tuple((str(k), str(v)) for k, v in raw.get(name) or ())
            for name in ("headers", "params")
        }
        return HttpRequest(
            method=str(raw["method"]),
            url=str(raw["url"]),
            headers=pairs["headers"],
            params=pairs["params"],
            body=base64.b64decode(str(raw.get("body") or ""), validate=True),
        )
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise EgressError("malformed request") from None


class WorkerConnection:
    """One running worker. `scope` is the secrets scope it is bound to (None: never used)."""

    def __init__(
        self, box: Box, process: BoxProcess, *, frame_limit: int, broker: EgressBroker
    ) -> None:
        self.box = box
        self.process = process
        self.scope: str | None = None
        self.calls = 0
        self.lost = False
        self.landlock_abi = 0  # what the worker's ready frame says is in force
        self._frame_limit = frame_limit
        self._broker = broker
        self._call_id = 0
        self._answer: asyncio.Future[dict[str, Any]] | None = None
        self._egress = EgressPolicy()
        self._standins = NO_STANDINS
        self._http_tasks: set[asyncio.Task[None]] = set()
        self._http_slots = asyncio.Semaphore(_MAX_HTTP_IN_FLIGHT)
        self._http_bytes = 0  # request frames of the current call still held
        self._flood: str | None = None  # why the current call is being stopped
        self._reader: asyncio.Task[None] | None = None

    async def wait_ready(self, seconds: float) -> None:
        """Wait for the worker's "ready" frame, then start reading its frames in the background."""
        async with asyncio.timeout(seconds):
            frame, _ = await read_frame(self.process.stdout, self._frame_limit)
        if frame.get("op") != "ready":
            raise FrameError(f"expected a ready frame, got {frame.get('op')!r}")
        self.landlock_abi = int(frame.get("landlock") or 0)
        self._reader = asyncio.create_task(self._read_loop())

    async def call(
        self,
        frame: Mapping[str, Any],
        egress: EgressPolicy,
        limit: float,
        grace: float,
        standins: Standins = NO_STANDINS,
    ) -> dict[str, Any]:
        """Run one call and return its "done" frame; its http goes out with `standins` filled.

        Raises CallTimedOut after `limit` seconds (the child is killed; the worker stays usable) and
        WorkerLost if the worker dies or does not confirm the kill within `grace` seconds.
        """
        if self.lost:
            raise WorkerLost("the worker is gone")
        self._call_id += 1
        self._egress = egress
        self._flood = None
        self._standins = standins
        self._answer = asyncio.get_running_loop().create_future()
        answer = self._answer
        try:
            self._send({**frame, "op": "run", "id": self._call_id})
            await self.process.stdin.drain()
            async with asyncio.timeout(limit):
                return await asyncio.shield(answer)
        except TimeoutError:
            stdout = await self.stop(grace)
            if stdout is None:
                raise WorkerLost("the worker did not stop a timed-out call") from None
            raise CallTimedOut(stdout) from None
        except (ConnectionError, RuntimeError) as exc:
            self._lose()
            raise WorkerLost(f"cannot write to the worker: {exc}") from None
        finally:
            self._drop_http()

    async def stop(self, grace: float) -> str | None:
        """Kill the current call's child; its output, or None if the worker did not confirm."""
        answer = self._answer
        if answer is None or self.lost:
            return None
        try:
            if not answer.done():
                self._send({"op": "kill", "id": self._call_id})
            async with asyncio.timeout(grace):
                frame = await asyncio.shield(answer)
        except (TimeoutError, WorkerLost, ConnectionError, RuntimeError):
            self._lose()
            return None
        finally:
            self._drop_http()
        return str(frame.get("stdout", ""))

    async def destroy(self) -> None:
        """Kill the worker and its Box; idempotent."""
        self._lose()
        if self._reader is not None:
            self._reader.cancel()
        self.process.kill()
        await self.box.destroy()

    def _send(self, frame: Mapping[str, Any]) -> None:
        self.process.stdin.write(encode(frame))

    def _lose(self) -> None:
        self.lost = True
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(WorkerLost("the worker stopped unexpectedly"))
            self._answer.exception()  # retrieved here: a caller may already have given up

    def _drop_http(self) -> None:
        for task in self._http_tasks:
            task.cancel()

    async def _read_loop(self) -> None:
        try:
            while True:
                frame, size = await read_frame(self.process.stdout, self._frame_limit)
                answer = self._answer
                if frame.get("id") != self._call_id or answer is None or answer.done():
                    continue  # late frame of a finished call
                op = frame.get("op")
                if op == "http" and self._flood is None:
                    self._accept_http(frame, size)
                elif op == "killed" and self._flood is not None:
                    error = {"type": "ResourceError", "message": self._flood}
                    answer.set_result({"ok": False, "error": error, "stdout": frame.get("stdout")})
                elif op in ("done", "killed"):
                    answer.set_result(frame)
        except (FrameError, ConnectionError):
            self._lose()

    def _accept_http(self, frame: dict[str, Any], size: int) -> None:
        """Serve an http frame in the background, or stop a call that holds too many."""
        if (
            len(self._http_tasks) >= _MAX_HTTP_PENDING
            or self._http_bytes + size > self._frame_limit
        ):
            self._flood = (
                f"the tool sent more HTTP requests at once than the sandbox holds (at most "
                f"{_MAX_HTTP_PENDING} requests and {self._frame_limit} bytes of requests in "
                "flight); the call was stopped"
            )
            self._drop_http()
            with contextlib.suppress(ConnectionError, RuntimeError):  # a dead worker: EOF next
                self._send({"op": "kill", "id": self._call_id})
            return
        self._http_bytes += size
        task = asyncio.create_task(self._serve_http(frame))
        self._http_tasks.add(task)

        def forget(task: asyncio.Task[None]) -> None:
            self._http_tasks.discard(task)
            self._http_bytes -= size

        task.add_done_callback(forget)

    async def _serve_http(self, frame: dict[str, Any]) -> None:
        """Answer one request; the slot is held until the worker took the answer (drain)."""
        reply: dict[str, Any] = {"op": "http_result", "id": frame["id"], "rid": frame.get("rid")}
        async with self._http_slots:
            try:
                response = await self._broker.fetch(
                    _http_request(frame.get("request")), self._egress, self._standins
                )
            except EgressError as exc:
                reply["error"] = str(exc)
            else:
                reply["response"] = {
                    "status_code": response.status_code,
                    "headers": list(response.headers),
                    "body": base64.b64encode(response.body).decode("ascii"),
                    "url": response.url,
                }
            data = encode(reply)
            if len(data) - HEADER.size > self._frame_limit:  # the worker would have to die
                del reply["response"]
                reply["error"] = (
                    f"the response is larger than the sandbox can pass to the tool "
                    f"({self._frame_limit} bytes encoded)"
                )
                data = encode(reply)
            with contextlib.suppress(ConnectionError, RuntimeError):
                self.process.stdin.write(data)
                await self.process.stdin.drain()
