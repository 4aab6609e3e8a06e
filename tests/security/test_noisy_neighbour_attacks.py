"""A noisy neighbour: one server floods the pool with slow calls; another server's call still runs.

Real bwrap pool of two workers; server A holds at most one (the default per-server limit, one less
than the pool), so B's call never queues behind A's twenty.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.python import PoolBusyError, PythonPool, RunResult
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

SLOW = "import asyncio\nasync def main():\n    await asyncio.sleep(2)\n    return 'slow'\n"
QUICK = "def main():\n    return 'quick'\n"
B_WAIT_BOUND = 2.5  # seconds: a worker start at most, never A's queue


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=2, queue_timeout=3.0, call_timeout=10.0) as started:
        yield started


async def test_twenty_slow_calls_of_one_server_do_not_hold_up_another_server(
    pool: PythonPool,
) -> None:
    flood = [asyncio.create_task(run(pool, SLOW, scope="server-a")) for _ in range(20)]
    await asyncio.sleep(0.2)  # A's calls are queued first
    started = time.perf_counter()
    assert returned(await run(pool, QUICK, scope="server-b")) == "quick"
    waited = time.perf_counter() - started
    print(f"server B's call took {waited:.2f} s behind 20 slow calls of server A")
    assert waited < B_WAIT_BOUND
    outcomes = await asyncio.gather(*flood, return_exceptions=True)
    ran = [outcome for outcome in outcomes if isinstance(outcome, RunResult)]
    busy = [outcome for outcome in outcomes if isinstance(outcome, PoolBusyError)]
    assert len(ran) + len(busy) == 20
    assert all(returned(result) == "slow" for result in ran)
    assert 1 <= len(ran) <= 2  # one at a time, within 3 s of queueing
    assert "hold all 1 worker slots it may use at once (server_max_concurrent_calls)" in str(
        busy[0]
    )
