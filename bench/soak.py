"""Soak: many MCP clients making mixed calls for a while; errors, latency and server memory.

Run: `.venv/bin/python bench/soak.py [--seconds 60] [--clients 16]`.
A real `polybox serve` (own process, SQLite, bwrap pool) serves `--clients` official MCP
clients on loopback, half 2026-07-28 and half 2025-11-25 session clients. Each loops until the
deadline over a fixed mix: forged calls of `bench__echo`, one of `bench__boom` (a tool that
always raises: an expected tool error), and the management tools polybox_list_servers,
polybox_get_server, polybox_list_tools, polybox_get_tool and polybox_validate_code. Prints one
row per kind: calls, protocol errors (exceptions: must be 0), tool errors (isError; only
bench__boom should have them), p50/p99; then the server's RSS after warm-up (the first
`--warm-up` seconds) and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp import Client

from mcp_serving import BOOM, ECHO, ECHO_CODE, Row, ServerProcess, client, polybox_serve
from mcp_serving import prepare_store as prepare
from polybox.config import Settings

MIX: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("forged: bench__echo", ECHO, {"n": 1}),
    ("polybox_list_servers", "polybox_list_servers", {}),
    ("forged: bench__echo", ECHO, {"n": 2}),
    ("polybox_get_server", "polybox_get_server", {"server": "bench"}),
    ("forged: bench__echo", ECHO, {"n": 3}),
    ("polybox_list_tools", "polybox_list_tools", {"server": "bench"}),
    ("forged: bench__boom (raises)", BOOM, {"n": 4}),
    ("polybox_get_tool", "polybox_get_tool", {"server": "bench", "tool": "echo"}),
    ("polybox_validate_code", "polybox_validate_code", {"server": "bench", "code": ECHO_CODE}),
)


@dataclass
class Tally:
    """What one kind of call did during the measured part of the run."""

    samples_ms: list[float] = field(default_factory=list)
    protocol_errors: int = 0
    tool_errors: int = 0
    first_problem: str | None = None


class Soak:
    def __init__(self, server: ServerProcess, deadline: float, warm_until: float) -> None:
        self.server = server
        self.deadline = deadline
        self.warm_until = warm_until
        self.tallies: dict[str, Tally] = defaultdict(Tally)

    async def run_client(self, index: int) -> None:
        mode = "2026-07-28" if index % 2 == 0 else "legacy"
        async with client(self.server.url, f"soak-{index}", mode) as session:
            step = index  # clients start at different points of the mix
            while time.monotonic() < self.deadline:
                kind, name, arguments = MIX[step % len(MIX)]
                step += 1
                await self.call(session, kind, name, arguments)

    async def call(self, session: Client, kind: str, name: str, arguments: dict[str, Any]) -> None:
        measured = time.monotonic() >= self.warm_until
        tally = self.tallies[kind] if measured else Tally()
        started = time.perf_counter()
        try:
            result = await session.call_tool(name, arguments)
        except Exception as exc:  # any exception is a protocol or transport failure
            tally.protocol_errors += 1
            tally.first_problem = tally.first_problem or f"{type(exc).__name__}: {exc}"
            return
        tally.samples_ms.append((time.perf_counter() - started) * 1000)
        if result.is_error:
            tally.tool_errors += 1
            if tally.first_problem is None and result.content:
                first = result.content[0]
                tally.first_problem = first.text if isinstance(first, types.TextContent) else "?"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the run")
    parser.add_argument("--warm-up", type=float, default=10.0, help="seconds not measured")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--pool-size", type=int, default=4)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polybox-soak-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), sandbox="bwrap", pool_size=options.pool_size)
        await prepare(settings, extra_tools=0)
        async with polybox_serve(settings, Path(data_dir) / "serve.log") as server:
            started = time.monotonic()
            soak = Soak(server, started + options.seconds, started + options.warm_up)
            rss: list[float] = []

            async def sample_rss() -> None:
                await asyncio.sleep(max(0.0, soak.warm_until - time.monotonic()))
                rss.append(server.rss_mb())

            sampler = asyncio.create_task(sample_rss())
            await asyncio.gather(*(soak.run_client(i) for i in range(options.clients)))
            wall = time.monotonic() - max(started + options.warm_up, started)
            await sampler
            rss.append(server.rss_mb())
    print(
        f"soak: {options.clients} clients x {options.seconds:g} s "
        f"(first {options.warm_up:g} s not counted), polybox serve on SQLite + bwrap pool"
    )
    print(f"{'kind':<32} {'calls':>7} {'proto err':>9} {'tool err':>8} {'p50 ms':>8} {'p99 ms':>8}")
    total = Tally()
    for kind, tally in sorted(soak.tallies.items()):
        row = Row(kind, tally.samples_ms or [0.0], wall)
        print(
            f"{kind:<32} {len(tally.samples_ms):>7} {tally.protocol_errors:>9} "
            f"{tally.tool_errors:>8} {row.p50:>8.2f} {row.p99:>8.2f}"
        )
        total.samples_ms += tally.samples_ms
        total.protocol_errors += tally.protocol_errors
        total.tool_errors += tally.tool_errors
    overall = Row("all", total.samples_ms or [0.0], wall)
    print(
        f"{'all':<32} {len(total.samples_ms):>7} {total.protocol_errors:>9} "
        f"{total.tool_errors:>8} {overall.p50:>8.2f} {overall.p99:>8.2f}"
        f"   ({overall.rate:.0f} calls/s)"
    )
    for kind, tally in sorted(soak.tallies.items()):
        if tally.first_problem and (tally.protocol_errors or not kind.endswith("(raises)")):
            print(f"first problem of {kind}: {tally.first_problem}")
    print(f"server RSS: {rss[0]:.1f} MB after warm-up, {rss[-1]:.1f} MB at the end")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
