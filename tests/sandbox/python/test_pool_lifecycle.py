"""The pool's rules: time-outs, lost workers, recycling, scope binding, queueing, cancellation."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from polybox.sandbox.python import PoolBusyError, PythonPool
from sandbox.python.pools import bwrap_pool, run

pytestmark = pytest.mark.anyio

BUSY_MAIN = "def main():\n    while True:\n        pass\n"
BUSY_MODULE = "while True:\n    pass\n"
PID = "import os\ndef main():\n    return os.getppid()\n"  # its forker's pid: one per worker


def worker_ids(pool: PythonPool) -> set[int]:
    return {id(worker) for worker in [*pool._idle, *pool._busy]}


@pytest.mark.parametrize("code", [BUSY_MAIN, BUSY_MODULE], ids=["in-main", "at-module-level"])
async def test_a_busy_loop_is_stopped_on_time_and_the_worker_survives(
    pool: PythonPool, code: str
) -> None:
    before = worker_ids(pool)
    started = time.perf_counter()
    result = await run(pool, f"print('about to spin')\n{code}", timeout=0.5)
    elapsed = time.perf_counter() - started
    assert result.error is not None
    assert result.error.type == "TimeoutError"
    assert "longer than 0.5 s" in result.error.message
    assert result.stdout == "about to spin\n"
    assert 0.5 <= elapsed < 1.5
    assert worker_ids(pool) == before  # a killed child is normal: no worker was replaced
    assert (await run(pool, "def main():\n    return 'next'\n")).result == "next"


async def test_a_worker_killed_mid_call_gives_a_clear_error_and_is_replaced(
    pool: PythonPool,
) -> None:
    call = asyncio.create_task(run(pool, "import time\ndef main():\n    time.sleep(30)\n"))
    while not pool._busy:
        await pool.changed()
    (worker,) = pool._busy
    os.kill(worker.process.pid, signal.SIGKILL)
    result = await call
    assert result.error is not None
    assert result.error.type == "SandboxError"
    assert "stopped unexpectedly" in result.error.message
    await pool.wait_until_full(10)
    assert worker not in pool._idle
    assert (await run(pool, "def main():\n    return 'alive'\n")).result == "alive"


async def test_a_worker_is_recycled_after_max_calls(tmp_path: Path) -> None:
    async with bwrap_pool(tmp_path, size=1, max_calls=3) as pool:
        first = worker_ids(pool)
        for _ in range(3):
            assert (await run(pool, "def main():\n    return 1\n")).ok
        await pool.wait_until_full(10)
        assert worker_ids(pool).isdisjoint(first)


async def test_a_worker_bound_to_one_scope_never_serves_another(tmp_path: Path) -> None:
    async with bwrap_pool(tmp_path, size=1) as pool:
        await run(pool, "def main():\n    return 1\n", scope="server-a")
        (worker_a,) = pool._idle
        await run(pool, "def main():\n    return 1\n", scope="server-b")
        await pool.wait_until_full(10)
        (worker_b,) = pool._idle
        assert worker_b is not worker_a
        assert worker_b.scope == "server-b"
        assert worker_a.lost or worker_a.scope == "server-a"


async def test_calls_of_the_same_scope_reuse_their_warm_worker(pool: PythonPool) -> None:
    await run(pool, "def main():\n    return 1\n", scope="server-a")
    bound = {id(w) for w in pool._idle if w.scope == "server-a"}
    for _ in range(3):
        await run(pool, "def main():\n    return 1\n", scope="server-a")
    assert {id(w) for w in pool._idle if w.scope == "server-a"} == bound


async def test_calls_queue_for_a_free_worker_and_fail_after_the_queue_deadline(
    tmp_path: Path,
) -> None:
    async with bwrap_pool(tmp_path, size=1, queue_timeout=0.3) as pool:
        slow = asyncio.create_task(run(pool, "import time\ndef main():\n    time.sleep(1)\n"))
        while not pool._busy:
            await pool.changed()
        with pytest.raises(PoolBusyError, match="stayed busy"):
            await run(pool, "def main():\n    return 1\n")
        assert (await slow).ok


async def test_sixteen_concurrent_callers_all_get_their_answer(pool: PythonPool) -> None:
    code = "async def main(i: int):\n    return i * i\n"
    results = await asyncio.gather(*(run(pool, code, {"i": i}) for i in range(16)))
    assert [r.result for r in results] == [i * i for i in range(16)]


async def test_a_cancelled_call_does_not_leak_its_worker(tmp_path: Path) -> None:
    async with bwrap_pool(tmp_path, size=1) as pool:
        call = asyncio.create_task(run(pool, BUSY_MAIN, timeout=30))
        while not pool._busy:
            await pool.changed()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        started = time.perf_counter()
        result = await run(pool, "def main():\n    return 'reclaimed'\n")
        assert result.result == "reclaimed"
        assert time.perf_counter() - started < 3
        assert pool.size == 1
