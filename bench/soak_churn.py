"""Soak with churn: two servers' secrets under load while one server is deleted and recreated.

Run: `.venv/bin/python bench/soak_churn.py [--seconds 60] [--clients 16] [--churn 5]`.
A real `polybox serve` (own process, SQLite, bwrap pool) serves `--clients` official MCP
clients on loopback (half 2026-07-28, half 2025-11-25 session clients). Servers `alpha` and
`beta` each have a secret KEY and a tool `whoami` that returns every secret value its call sees
(output redaction is off, so the values are visible). Every `--churn` seconds this process
deletes `beta` and creates it again with a new value (SQLite may hand out the same id again) and
rotates `alpha`'s value, publishing the changes on the store's event bus as the admin UI would.
Clients alternate alpha and beta calls. Prints calls, errors and p50/p99 per server, how many
answers carried a value of the OTHER server (must be 0), the server's RSS at start and end, and,
after stopping the server with SIGTERM, the Box dirs and cgroups of its runs still there (must be
none).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets as random
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import mcp_types as types
from mcp import Client
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mcp_serving import Row, client, polybox_serve
from polybox.config import Settings
from polybox.crypto import SecretBox, load_secret_box
from polybox.events import EventBus, create_event_bus
from polybox.forge import secrets, servers, tools
from polybox.forge.actors import admin
from polybox.forge.settings import update_settings
from polybox.forge.unit import transaction
from polybox.sandbox.bwrap import boxes_dir
from polybox.sandbox.capabilities import bwrap_config
from polybox.sandbox.cgroups import detect_layout
from polybox.store.engine import create_engine, create_session_factory
from polybox.store.migrate import upgrade_to_head

SERVERS = ("alpha", "beta")
WHOAMI = (
    'async def main() -> dict:\n    """The secret values this call sees."""\n'
    "    return dict(secrets)\n"
)
_ADMIN = admin("soak")


@dataclass
class Store:
    """This process's handle on the store the server uses, and every value each server got."""

    sessions: async_sessionmaker[AsyncSession]
    events: EventBus
    box: SecretBox
    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    recreated: int = 0

    async def write(self, work: Callable[[AsyncSession], Awaitable[object]]) -> None:
        """Run `work` in one transaction; retried while the server's log writer holds SQLite."""
        for attempt in range(50):
            try:
                async with transaction(self.sessions, self.events) as session:
                    await work(session)
                return
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                await asyncio.sleep(0.1)

    async def add_server(self, name: str) -> None:
        async def add(session: AsyncSession) -> None:
            await servers.create_server(session, _ADMIN, name)
            await servers.start_server(session, _ADMIN, name)
            await tools.create_tool(session, _ADMIN, name, "whoami", WHOAMI)

        await self.write(add)
        await self.rotate(name)

    async def rotate(self, name: str) -> None:
        value = f"{name}-{random.token_hex(12)}"
        self.values[name].add(value)
        await self.write(
            lambda session: secrets.set_secret_value(
                session, _ADMIN, self.box, name, "KEY", value=value
            )
        )

    async def churn(self, every: float, deadline: float) -> None:
        while time.monotonic() + every < deadline:
            await asyncio.sleep(every)
            await self.write(lambda session: servers.delete_server(session, _ADMIN, "beta"))
            await self.add_server("beta")
            await self.rotate("alpha")
            self.recreated += 1


@dataclass
class Tally:
    samples_ms: list[float] = field(default_factory=list)
    errors: int = 0
    own_values: int = 0
    cross_values: int = 0
    first_error: str | None = None


class Soak:
    def __init__(self, url: str, store: Store, deadline: float) -> None:
        self.url = url
        self.store = store
        self.deadline = deadline
        self.tallies: dict[str, Tally] = defaultdict(Tally)

    async def run_client(self, index: int) -> None:
        mode = "2026-07-28" if index % 2 == 0 else "legacy"
        async with client(self.url, f"churn-{index}", mode) as session:
            step = index
            while time.monotonic() < self.deadline:
                await self.call(session, SERVERS[step % 2])
                step += 1

    async def call(self, session: Client, server: str) -> None:
        tally = self.tallies[server]
        started = time.perf_counter()
        try:
            result = await session.call_tool(f"{server}__whoami", {})
        except Exception as exc:  # a deleted tool may also surface as a protocol error
            result = None
            problem = f"{type(exc).__name__}: {exc}"
        tally.samples_ms.append((time.perf_counter() - started) * 1000)
        text = "" if result is None else _text(result)
        if result is None or result.is_error:
            tally.errors += 1
            tally.first_error = tally.first_error or (text if result is not None else problem)
        other = next(name for name in SERVERS if name != server)
        tally.cross_values += sum(value in text for value in self.store.values[other])
        tally.own_values += sum(value in text for value in self.store.values[server])


def _text(result: types.CallToolResult) -> str:
    parts = [json.dumps(result.structured_content)] if result.structured_content else []
    parts += [item.text for item in result.content if isinstance(item, types.TextContent)]
    return "\n".join(parts)


def leftovers(boxes: Path, runs: set[str]) -> list[str]:
    """Box dirs, run files and cgroups of `runs` that still exist."""
    found = [str(path) for run in runs for path in boxes.glob(f"{run}*")]
    layout, _ = detect_layout()
    for parent in layout.parents if layout else ():
        found += [str(path) for run in runs for path in parent.glob(f"polybox-{run}-*")]
    return found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--churn", type=float, default=5.0, help="seconds between recreations")
    parser.add_argument("--pool-size", type=int, default=4)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polybox-churn-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), sandbox="bwrap", pool_size=options.pool_size)
        boxes = boxes_dir(settings.data_dir, bwrap_config(settings).account)
        await upgrade_to_head(settings.database)
        engine = create_engine(settings.database)
        events = create_event_bus(settings.database)
        await events.start()
        store = Store(create_session_factory(engine), events, load_secret_box(settings))
        async with transaction(store.sessions, events) as session:
            await update_settings(
                session, _ADMIN, tool_approval_mode="auto_approve", redact_secrets_in_output=False
            )
        for name in SERVERS:
            await store.add_server(name)
        runs: set[str] = set()
        try:
            async with polybox_serve(settings, Path(data_dir) / "serve.log") as server:
                rss_start = server.rss_mb()
                runs = {path.stem for path in boxes.glob("*.run")}
                started = time.monotonic()
                soak = Soak(server.url, store, started + options.seconds)
                await asyncio.gather(
                    store.churn(options.churn, soak.deadline),
                    *(soak.run_client(i) for i in range(options.clients)),
                )
                wall = time.monotonic() - started
                rss_end = server.rss_mb()
        finally:
            await events.close()
            await engine.dispose()
        left = leftovers(boxes, runs)
    print(
        f"soak with churn: {options.clients} clients x {options.seconds:g} s, beta deleted and "
        f"recreated {store.recreated} times (every {options.churn:g} s), alpha's secret rotated "
        "as often; polybox serve on SQLite + bwrap pool"
    )
    print(
        f"{'server':<8} {'calls':>7} {'errors':>7} {'own values':>10} {'OTHER values':>12} "
        f"{'p50 ms':>8} {'p99 ms':>8}"
    )
    cross = 0
    for name in SERVERS:
        tally = soak.tallies[name]
        row = Row(name, tally.samples_ms or [0.0], wall)
        cross += tally.cross_values
        print(
            f"{name:<8} {len(tally.samples_ms):>7} {tally.errors:>7} {tally.own_values:>10} "
            f"{tally.cross_values:>12} {row.p50:>8.2f} {row.p99:>8.2f}"
        )
        if tally.first_error:
            print(f"  first error of {name}: {tally.first_error[:200]}")
    print(f"cross-server values seen: {cross}")
    print(f"server RSS: {rss_start:.1f} MB at start, {rss_end:.1f} MB at the end")
    print(f"after SIGTERM: {len(left)} Box dirs, run files or cgroups left of runs {sorted(runs)}")
    for path in left[:10]:
        print(f"  left: {path}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
