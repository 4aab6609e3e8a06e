"""Tool-call latency and throughput through the Python pool in real Boxes.

Run: `.venv/bin/python bench/tool_call.py [--backend bwrap] [--calls 500] [--pool-size 4]`.
Prints one table row per scenario: a trivial call, a call doing json.dumps(list(range(1000))),
16 concurrent callers, and a cold Box start (create, run `python3 -I -S -c pass`, destroy).
Targets on a 2-core VM: pool call p50 <= 3 ms, p99 <= 15 ms; >= 400 calls/s with 16 callers;
cold Box start <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from polybox.config import Settings
from polybox.sandbox.backends import create_backend
from polybox.sandbox.box import BoxBackend
from polybox.sandbox.egress import EgressPolicy
from polybox.sandbox.python import PoolConfig, PythonPool

TRIVIAL = "async def main():\n    return 1\n"
JSON_WORK = "import json\nasync def main():\n    return len(json.dumps(list(range(1000))))\n"


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    samples_ms: list[float]
    wall_s: float

    def render(self) -> str:
        ordered = sorted(self.samples_ms)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        rate = len(ordered) / self.wall_s
        return (
            f"{self.name:<34} {len(ordered):>6} {statistics.median(ordered):>9.2f} "
            f"{p99:>9.2f} {rate:>10.0f}"
        )


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def sequential(name: str, count: int, call: Callable[[], Awaitable[object]]) -> Row:
    for _ in range(min(20, count)):  # warm-up
        await call()
    started = time.perf_counter()
    samples = [await timed(call) for _ in range(count)]
    return Row(name, samples, time.perf_counter() - started)


async def concurrent(
    name: str, count: int, callers: int, call: Callable[[], Awaitable[object]]
) -> Row:
    samples: list[float] = []

    async def caller() -> None:
        for _ in range(count // callers):
            samples.append(await timed(call))

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return Row(name, samples, time.perf_counter() - started)


async def cold_box(backend: BoxBackend, python: str) -> None:
    box = await backend.create()
    try:
        result = await box.exec([python, "-I", "-S", "-c", "pass"], timeout=10)
        if not result.ok:
            raise RuntimeError(f"cold box failed: {result.stderr!r}")
    finally:
        await box.destroy()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", default="bwrap", choices=["bwrap", "unsafe-local"])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--pool-size", type=int, default=4)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polybox-bench-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), sandbox=options.backend)
        backend = create_backend(settings)
        config = dataclasses.replace(
            PoolConfig.from_settings(settings), size=options.pool_size, max_calls=10**9
        )
        pool = PythonPool(backend, config)
        await pool.start()
        egress = EgressPolicy()

        def call(code: str) -> Callable[[], Awaitable[object]]:
            return lambda: pool.run(code, {}, scope="bench", secrets={}, egress=egress)

        try:
            rows = [
                await sequential("trivial call (pool)", options.calls, call(TRIVIAL)),
                await sequential("json.dumps(range(1000)) call", options.calls, call(JSON_WORK)),
                await concurrent("16 concurrent callers", options.calls * 2, 16, call(TRIVIAL)),
                await sequential(
                    "cold Box start (python -c pass)",
                    30,
                    lambda: cold_box(backend, str(config.python)),
                ),
            ]
        finally:
            await pool.close()
            await backend.close()
    print(f"backend: {backend.name}, pool size {options.pool_size}")
    print(f"{'scenario':<34} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'per s':>10}")
    for row in rows:
        print(row.render())


if __name__ == "__main__":
    asyncio.run(main())
