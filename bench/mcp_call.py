"""Forged-tool calls and tools/list over Streamable HTTP on loopback, end to end.

Run: `.venv/bin/python bench/mcp_call.py [--calls 1000] [--clients 16] [--tools 500]`.
A real `polybox serve` (its own process; SQLite store in a temporary data dir; bwrap pool of
`--pool-size` workers) serves official MCP SDK clients in this process. Prints one table row per
scenario: sequential `tools/call` of the trivial tool `bench__echo` (2026-07-28 client and
2025-11-25 session client), `--clients` concurrent clients calling it, and `tools/list` with
`--tools` forged tools, once through the SDK client and once as raw JSON-RPC (the server's
share, without the client's decoding and validation of the large answer). Targets on a 2-core
VM: call p50 <= 6 ms, p99 <= 25 ms; >= 250 calls/s with 16 clients; tools/list with 500 tools
p50 <= 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

import httpx
from mcp import Client

from mcp_serving import (
    HEADER,
    Row,
    ServerProcess,
    call_echo,
    client,
    polybox_serve,
    prepare_store,
    timed,
)
from polybox.config import Settings

MODERN = "2026-07-28"
LEGACY = "legacy"
_WARM_UP = 50


async def sequential_calls(server: ServerProcess, mode: str, count: int) -> Row:
    async with client(server.url, "bench-seq", mode) as session:
        for n in range(_WARM_UP):
            await call_echo(session, n)
        started = time.perf_counter()
        samples = [await timed(call_echo, session, n) for n in range(count)]
        wall = time.perf_counter() - started
    era = "2026-07-28" if mode == MODERN else "2025-11-25 session"
    return Row(f"tools/call bench__echo ({era})", samples, wall)


async def concurrent_calls(server: ServerProcess, clients: int, count: int) -> Row:
    samples: list[float] = []

    async def caller(session: Client) -> None:
        for n in range(_WARM_UP // 5):
            await call_echo(session, n)
        for n in range(count // clients):
            samples.append(await timed(call_echo, session, n))

    async with contextlib.AsyncExitStack() as stack:
        sessions = [
            await stack.enter_async_context(client(server.url, f"bench-{i}", MODERN))
            for i in range(clients)
        ]
        started = time.perf_counter()
        await asyncio.gather(*(caller(session) for session in sessions))
        wall = time.perf_counter() - started
    return Row(f"tools/call, {clients} concurrent clients", samples, wall)


async def list_tools(server: ServerProcess, expected: int, count: int) -> Row:
    async with client(server.url, "bench-list", MODERN) as session:

        async def listing() -> None:
            found = len((await session.list_tools()).tools)
            if found < expected:
                raise RuntimeError(f"tools/list returned {found} tools, expected {expected}+")

        for _ in range(10):
            await listing()
        started = time.perf_counter()
        samples = [await timed(listing) for _ in range(count)]
        wall = time.perf_counter() - started
    return Row(f"tools/list, {expected - 1} forged tools", samples, wall)


async def list_tools_raw(server: ServerProcess, expected: int, count: int) -> Row:
    """tools/list as plain JSON-RPC over HTTP: the server's share, without the SDK client's
    decoding and validation of the ~250 kB answer (which costs about as much again)."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}}
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/list",
    }
    async with httpx.AsyncClient(timeout=30) as http:

        async def listing() -> None:
            response = await http.post(server.url, json=body, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(response.text[:500])
            if response.content.count(b'"inputSchema"') < expected:
                raise RuntimeError(f"tools/list answered {response.status_code}: too few tools")

        for _ in range(10):
            await listing()
        started = time.perf_counter()
        samples = [await timed(listing) for _ in range(count)]
        wall = time.perf_counter() - started
    return Row(f"tools/list, {expected - 1} tools, raw HTTP", samples, wall)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per call scenario")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--tools", type=int, default=500, help="forged tools for tools/list")
    parser.add_argument("--lists", type=int, default=200, help="tools/list requests")
    parser.add_argument("--pool-size", type=int, default=4)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polybox-bench-") as data_dir:
        settings = Settings(
            data_dir=Path(data_dir),
            sandbox="bwrap",
            pool_size=options.pool_size,
            worker_max_calls=10**6,
        )
        await prepare_store(settings, extra_tools=options.tools)
        async with polybox_serve(settings, Path(data_dir) / "serve.log") as server:
            rows = [
                await sequential_calls(server, MODERN, options.calls),
                await sequential_calls(server, LEGACY, options.calls),
                await concurrent_calls(server, options.clients, options.calls * 2),
                await list_tools(server, options.tools + 1, options.lists),
                await list_tools_raw(server, options.tools + 1, options.lists),
            ]
    print(f"polybox serve (SQLite, bwrap pool of {options.pool_size}), loopback HTTP")
    print(HEADER)
    for row in rows:
        print(row.render())


if __name__ == "__main__":
    asyncio.run(main())
