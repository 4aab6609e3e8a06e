"""A workspace's background processes and hosted APIs: their logs, readiness, and calls to them.

A process's output goes to a host-side log file the Box cannot touch (`Box.spawn`). A
`LogFollower` reads it as it grows and keeps the last lines with the time it first saw each
(to within `POLL_INTERVAL`), which `logs(since=…)` filters on and `log_stream` follows. A hosted
API is ready when its forwarded port answers any HTTP request; `call_endpoint` builds its URL
from that forward only (loopback, the forward's host port, a path that must start with `/`), so
it can reach nothing but the workspace's own app.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from polybox.sandbox.box import Forward, SpawnedProcess
from polybox.store.types import utcnow
from polybox.workspaces.errors import WorkspaceError
from polybox.workspaces.models import EndpointResponse, LogLine, ProcessView

POLL_INTERVAL = 0.25  # seconds between looks at a growing log
KEPT_LINES = 5000  # per process; older lines are dropped
READ_CHUNK = 1 << 16
FIRST_LINES = 20  # of a hosted API's log, in the host_api answer
ERROR_TAIL = 40  # lines of a dead process's log in its error
BODY_LIMIT = 64 * 1024  # bytes of an endpoint's response body kept
MAX_REQUEST_BODY = 1 << 20
API_PORTS = range(5000, 5100)  # inside the Box (its own network namespace)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_ENDPOINT_TIMEOUT = 30.0


class LogFollower:
    """Follows one process's log file; the lines it kept, and new ones as they come."""

    def __init__(self, process: SpawnedProcess) -> None:
        self.process = process
        self.lines: deque[LogLine] = deque(maxlen=KEPT_LINES)
        self.total = 0  # lines seen so far; `lines` holds the last of them
        self._offset = 0
        self._partial = b""
        self._new = asyncio.Event()  # set (and replaced) whenever lines arrive
        self._task: asyncio.Task[None] | None = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        while True:
            finished = self.process.returncode is not None
            await self.catch_up(final=finished)
            if finished:
                return
            await asyncio.sleep(POLL_INTERVAL)

    async def catch_up(self, *, final: bool = False) -> None:
        """Read what the log gained since the last look (and a last unterminated line if
        `final`)."""
        while chunk := await self.process.read_at(self._offset, READ_CHUNK):
            self._offset += len(chunk)
            *complete, self._partial = (self._partial + chunk).split(b"\n")
            self._add(complete)
        if final and self._partial:
            self._add([self._partial])
            self._partial = b""

    def _add(self, raw: list[bytes]) -> None:
        if not raw:
            return
        now = utcnow()
        self.lines.extend(LogLine(now, line.decode(errors="replace").rstrip("\r")) for line in raw)
        self.total += len(raw)
        self._new.set()
        self._new = asyncio.Event()

    def tail(self, count: int, since: datetime | None = None) -> list[LogLine]:
        """The last `count` kept lines, only those seen at or after `since` when given."""
        lines = [line for line in self.lines if since is None or line.at >= since]
        return lines[-count:] if count > 0 else []

    async def stream(self) -> AsyncIterator[str]:
        """Every kept line, then each new one as it comes, until the process has ended."""
        sent = 0
        while True:
            new = self._new
            lines = list(self.lines)
            first = self.total - len(lines)  # the number of the oldest kept line
            for line in lines[max(sent - first, 0) :]:
                yield line.text
            sent = self.total
            if self._task is None or self._task.done():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(new.wait(), POLL_INTERVAL * 4)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


@dataclass
class LiveProcess:
    """A background process or hosted API of a running workspace."""

    name: str
    kind: str  # "background" | "api"
    argv: list[str]
    spawned: SpawnedProcess
    log: LogFollower
    started_at: datetime = field(default_factory=utcnow)
    port: int | None = None
    forward: Forward | None = None

    @property
    def url(self) -> str | None:
        return None if self.forward is None else f"http://127.0.0.1:{self.forward.host_port}"

    def view(self) -> ProcessView:
        return ProcessView(
            name=self.name,
            kind=self.kind,
            argv=list(self.argv),
            port=self.port,
            running=self.spawned.returncode is None,
            exit_code=self.spawned.returncode,
            started_at=self.started_at,
            url=self.url,
        )

    async def stop(self) -> None:
        """Kill it (and everything it started), close its forward, stop following its log."""
        self.spawned.kill()
        with contextlib.suppress(ProcessLookupError):
            await self.spawned.wait()
        if self.forward is not None:
            await self.forward.close()
        await self.log.catch_up(final=True)
        await self.log.close()


def log_text(lines: list[LogLine]) -> str:
    return "\n".join(line.text for line in lines)


async def wait_until_answering(process: LiveProcess, timeout_s: float) -> None:
    """Return once the API's forward answers any HTTP request; a WorkspaceError when the
    process exits first (its exit code and log tail) or `timeout_s` passes."""
    assert process.url is not None  # noqa: S101 - an API always has its forward
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(trust_env=False, timeout=2.0) as client:
        while True:
            if process.spawned.returncode is not None:
                await process.log.catch_up(final=True)
                raise WorkspaceError(
                    "process_exited",
                    f"{process.name} exited with code {process.spawned.returncode} before it "
                    f"answered on port {process.port}; the end of its log:\n"
                    + log_text(process.log.tail(ERROR_TAIL)),
                    ("Fix what the log says, then call dotnet_host_api again.",),
                )
            with contextlib.suppress(httpx.TransportError):
                await client.get(process.url + "/")
                return
            if time.monotonic() >= deadline:
                await process.log.catch_up()
                raise WorkspaceError(
                    "not_ready",
                    f"{process.name} did not answer on port {process.port} within "
                    f"{timeout_s:g} s (dotnet_host_ready_timeout_seconds); it was stopped. "
                    "The end of its log:\n" + log_text(process.log.tail(ERROR_TAIL)),
                    (
                        "The app must listen on the URL in ASPNETCORE_URLS (the webapi template "
                        "does).",
                    ),
                )
            await asyncio.sleep(0.1)


def endpoint_url(base: str, path: str) -> str:
    """`base` + `path`; refuses any path that could name another host, port or scheme."""
    problem = None
    if not path.startswith("/") or path.startswith("//"):
        problem = "must start with a single '/' (a path on the workspace's own API, e.g. /todos)"
    elif any(ord(char) < 0x21 or char == "\\" for char in path):
        problem = "may not contain spaces, control characters or backslashes"
    elif urlsplit(path).scheme or urlsplit(path).netloc:
        problem = "is a path only, without scheme or host"
    if problem is not None:
        raise WorkspaceError(
            "invalid_arguments",
            f"path {path[:200]!r} {problem}",
            ("dotnet_test_endpoint calls only the workspace's own hosted API.",),
        )
    url = httpx.URL(base + path)
    own = httpx.URL(base)
    if (url.scheme, url.host, url.port) != (own.scheme, own.host, own.port):  # defence in depth
        raise WorkspaceError("invalid_arguments", f"path {path[:200]!r} leaves the workspace API")
    return str(url)


async def call(
    url: str, method: str, headers: Mapping[str, str], body: str | None
) -> EndpointResponse:
    """One request to a workspace API's forward; the body read up to BODY_LIMIT."""
    verb = method.upper()
    if verb not in METHODS:
        raise WorkspaceError("invalid_arguments", f"method {method!r}: use one of {METHODS}")
    if body is not None and len(body.encode()) > MAX_REQUEST_BODY:
        raise WorkspaceError("invalid_arguments", f"body: at most {MAX_REQUEST_BODY:,} bytes")
    started = time.perf_counter()
    async with httpx.AsyncClient(
        trust_env=False, follow_redirects=False, timeout=_ENDPOINT_TIMEOUT
    ) as client:
        try:
            async with client.stream(
                verb, url, headers=dict(headers), content=None if body is None else body.encode()
            ) as response:
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > BODY_LIMIT:
                        break
        except httpx.TransportError as exc:
            raise WorkspaceError(
                "endpoint_unreachable",
                f"{verb} {urlsplit(url).path} got no answer: {exc.__class__.__name__} {exc}",
                ("dotnet_get_logs shows what the API printed; it may have crashed.",),
            ) from exc
    return EndpointResponse(
        status=response.status_code,
        headers=dict(response.headers),
        body=bytes(data[:BODY_LIMIT]).decode(errors="replace"),
        truncated=len(data) > BODY_LIMIT,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


class ProcessTable:
    """The processes of one running workspace, by name."""

    def __init__(self) -> None:
        self._by_name: dict[str, LiveProcess] = {}

    def views(self) -> list[ProcessView]:
        return [process.view() for process in self._by_name.values()]

    def ports(self) -> list[int]:
        """Box ports of the hosted APIs still running."""
        return sorted(
            process.port
            for process in self._by_name.values()
            if process.port is not None and process.spawned.returncode is None
        )

    def free_port(self) -> int:
        used = set(self.ports())
        port = next((port for port in API_PORTS if port not in used), None)
        if port is None:
            raise WorkspaceError(
                "limit", f"every port {API_PORTS.start}-{API_PORTS.stop - 1} is in use"
            )
        return port

    def check_free(self, name: str, port: int | None) -> None:
        """Refuse a name or port a running process of the workspace has."""
        for process in self._by_name.values():
            if process.spawned.returncode is not None:
                continue
            if process.name == name or (port is not None and process.port == port):
                raise WorkspaceError(
                    "busy",
                    f"process {process.name} (port {process.port}) is running"
                    if process.port is not None and process.port == port
                    else f"a process named {name} is running",
                    ("dotnet_kill_process stops it; or pick another name or port.",),
                )

    async def add(self, process: LiveProcess) -> None:
        """Track `process`, replacing a finished one of the same name."""
        old = self._by_name.pop(process.name, None)
        if old is not None:
            await old.stop()
        self._by_name[process.name] = process

    def get(self, name: str | None) -> LiveProcess:
        """The process called `name`, or with None the one started last."""
        if name is None:
            if not self._by_name:
                raise WorkspaceError(
                    "not_found",
                    "the workspace has no background process",
                    ("dotnet_run_background or dotnet_host_api starts one.",),
                )
            return max(self._by_name.values(), key=lambda process: process.started_at)
        process = self._by_name.get(name)
        if process is None:
            known = ", ".join(self._by_name) or "none"
            raise WorkspaceError("not_found", f"no process {name!r} (processes: {known})")
        return process

    def running_apis(self) -> list[LiveProcess]:
        """The hosted APIs still running, oldest first."""
        return sorted(
            (
                process
                for process in self._by_name.values()
                if process.forward is not None and process.spawned.returncode is None
            ),
            key=lambda process: process.started_at,
        )

    def api(self, port: int | None) -> LiveProcess:
        """The running hosted API on `port`, or with None the only one."""
        apis = self.running_apis()
        chosen = [api for api in apis if port is None or api.port == port]
        if len(chosen) == 1:
            return chosen[0]
        ports = ", ".join(str(api.port) for api in apis)
        if not chosen and port is not None and apis:
            message = f"no hosted API on port {port} in this workspace (running: {ports})"
        elif not chosen:
            message = "the workspace hosts no running API"
        else:
            message = f"the workspace hosts several APIs (ports {ports}); name the port"
        raise WorkspaceError(
            "not_found",
            message,
            ("dotnet_host_api starts one; dotnet_get_logs says why one died.",),
        )

    async def kill(self, name: str) -> LiveProcess:
        process = self.get(name)
        await process.stop()
        return process

    async def close(self) -> None:
        for process in self._by_name.values():
            await process.stop()
        self._by_name.clear()
