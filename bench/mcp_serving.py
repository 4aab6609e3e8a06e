"""A real `polybox serve` for the MCP benches: a prepared store, a server process, official clients.

The store (SQLite in a temporary data dir) is prepared through the forge services in this
process before the server starts: server `bench` (running) with the trivial tool `bench__echo`
and `bench__boom` (always raises: a tool error), and server `many` with `extra_tools` more
approved tools for the tools/list scenario. The server is `python -m polybox serve` in its own
process with the real bwrap pool, so the client's work is not billed to the server and its RSS
can be read from /proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mcp_types as types
from mcp import Client

from polybox.config import Settings
from polybox.crypto import load_secret_box
from polybox.forge import servers, tools
from polybox.forge.actors import admin
from polybox.forge.secrets import set_secret_value
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.store.engine import create_engine, create_session_factory
from polybox.store.migrate import upgrade_to_head

ECHO = "bench__echo"
ECHO_CODE = 'async def main(n: int = 0) -> dict:\n    """Echo n."""\n    return {"n": n}\n'
BOOM = "bench__boom"
BOOM_CODE = (
    'async def main(n: int = 0) -> dict:\n    """Always fails."""\n    raise ValueError(n)\n'
)
MANY_CODE = 'async def main(text: str, times: int = 1) -> str:\n    """Repeat text."""\n' + (
    "    return text * times\n"
)
_ADMIN = admin("bench")
_START_SECONDS = 60.0


async def prepare_store(settings: Settings, *, extra_tools: int) -> None:
    """Migrate the store and add the bench servers and tools (auto-approved, servers running).

    The bench server has two secrets, so every call of its tools carries them (as stand-ins).
    """
    await upgrade_to_head(settings.database)
    box = load_secret_box(settings)
    engine = create_engine(settings.database)
    sessions = create_session_factory(engine)
    try:
        async with transaction(sessions, None) as session:
            await update_settings(session, _ADMIN, tool_approval_mode="auto_approve")
            for name in ("bench", "many"):
                await servers.create_server(session, _ADMIN, name)
                await servers.start_server(session, _ADMIN, name)
            for key in ("API_KEY", "API_SECRET"):
                await set_secret_value(session, _ADMIN, box, "bench", key, value=f"bench-{key}")
            await tools.create_tool(session, _ADMIN, "bench", "echo", ECHO_CODE)
            await tools.create_tool(session, _ADMIN, "bench", "boom", BOOM_CODE)
        for first in range(0, extra_tools, 100):  # a few commits, not one huge transaction
            async with transaction(sessions, None) as session:
                for number in range(first, min(first + 100, extra_tools)):
                    await tools.create_tool(session, _ADMIN, "many", f"t{number:04d}", MANY_CODE)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class ServerProcess:
    """A running `polybox serve`: its /mcp URL and pid."""

    url: str
    pid: int

    def rss_mb(self) -> float:
        """Resident memory of the server process (its sandbox workers are other processes)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for pid {self.pid}")


@contextlib.asynccontextmanager
async def polybox_serve(settings: Settings, log: Path) -> AsyncIterator[ServerProcess]:
    """`python -m polybox serve` on a free loopback port; yields once /readyz answers 200."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYBOX_")}
    env |= {
        "POLYBOX_DATA_DIR": str(settings.data_dir),
        "POLYBOX_SANDBOX": settings.sandbox,
        "POLYBOX_POOL_SIZE": str(settings.pool_size),
        "POLYBOX_WORKER_MAX_CALLS": str(settings.worker_max_calls),
        "POLYBOX_LOG_LEVEL": "warning",
    }
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "polybox",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env=env,
            stdout=output,
            stderr=output,
        )
    try:
        await _wait_ready(f"http://127.0.0.1:{port}/readyz", process, log)
        yield ServerProcess(f"http://127.0.0.1:{port}/mcp", process.pid)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)  # as a service manager: a graceful stop
            try:
                async with asyncio.timeout(60):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


def client(url: str, name: str, mode: str) -> Client:
    """An official MCP client without a response cache (every list really goes to the server)."""
    return Client(
        url, mode=mode, cache=None, client_info=types.Implementation(name=name, version="1")
    )


async def call_echo(session: Client, n: int) -> types.CallToolResult:
    """One call of the trivial tool; raises if the answer is not the echo."""
    result = await session.call_tool(ECHO, {"n": n})
    if result.is_error or result.structured_content != {"n": n}:
        raise RuntimeError(f"unexpected answer from {ECHO}: {result.content!r}")
    return result


@dataclass(frozen=True)
class Row:
    """One scenario's latencies (ms) and wall time; renders as a table row."""

    name: str
    samples_ms: Sequence[float]
    wall_s: float

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]

    @property
    def rate(self) -> float:
        return len(self.samples_ms) / self.wall_s

    def render(self) -> str:
        return (
            f"{self.name:<44} {len(self.samples_ms):>6} {self.p50:>8.2f} {self.p99:>8.2f} "
            f"{self.rate:>8.0f}"
        )


HEADER = f"{'scenario':<44} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'per s':>8}"


async def timed(call: Callable[..., Awaitable[object]], *args: Any) -> float:
    """Milliseconds `await call(*args)` took."""
    started = time.perf_counter()
    await call(*args)
    return (time.perf_counter() - started) * 1000


async def _wait_ready(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + _START_SECONDS
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"polybox serve exited: {_tail(log)}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)  # polling a process we do not control: no event to wait on
    raise RuntimeError(f"polybox serve was not ready within {_START_SECONDS:g} s")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
