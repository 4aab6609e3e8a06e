"""Resource attacks from tool code in real bwrap Boxes: each is stopped and the pool carries on."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.python import PythonPool, RunResult
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

REAL_IMPORT = "imp = print.__self__.__import__\n"


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1, memory_mb=256) as started:
        yield started


async def still_serves(pool: PythonPool) -> None:
    await pool.wait_until_full(10)
    assert returned(await run(pool, "def main():\n    return 'ok'\n")) == "ok"


def failed_with(result: RunResult, kind: str) -> str:
    assert result.error is not None, result
    assert result.error.type == kind, result.error
    return result.error.message


async def test_memory_bomb_in_one_allocation_gets_memory_error(pool: PythonPool) -> None:
    result = await run(pool, "def main():\n    return len(bytearray(2 * 1024**3))\n")
    failed_with(result, "MemoryError")
    await still_serves(pool)


async def test_memory_bomb_by_growth_gets_memory_error(pool: PythonPool) -> None:
    code = (
        "def main():\n    hog = []\n    while True:\n        hog.append(bytearray(8 * 1024**2))\n"
    )
    failed_with(await run(pool, code), "MemoryError")
    await still_serves(pool)


async def test_cpu_busy_loop_in_main_is_stopped_on_time(pool: PythonPool) -> None:
    started = time.perf_counter()
    result = await run(pool, "def main():\n    while True:\n        pass\n", timeout=1)
    assert "longer than 1 s" in failed_with(result, "TimeoutError")
    assert time.perf_counter() - started < 2.5
    await still_serves(pool)


async def test_cpu_busy_loop_outside_main_is_stopped_on_time(pool: PythonPool) -> None:
    started = time.perf_counter()
    result = await run(pool, "x = 0\nwhile True:\n    x += 1\n", timeout=1)
    failed_with(result, "TimeoutError")
    assert time.perf_counter() - started < 2.5
    await still_serves(pool)


async def test_output_flood_is_cut_and_the_call_still_returns(pool: PythonPool) -> None:
    code = (
        "def main():\n    for i in range(200000):\n        print('flood', i)\n    return 'done'\n"
    )
    result = await run(pool, code)
    assert returned(result) == "done"
    assert len(result.stdout.encode()) <= pool.config.output_limit + 100
    assert "[output cut" in result.stdout


async def test_huge_result_is_refused_with_a_clear_error(pool: PythonPool) -> None:
    result = await run(pool, "def main():\n    return ['x' * 1000] * 100000\n")
    assert "over the limit" in failed_with(result, "ToolContractError")
    await still_serves(pool)


async def test_thread_bomb_is_contained(pool: PythonPool) -> None:
    code = REAL_IMPORT + (
        "def main():\n"
        "    threading, time = imp('threading'), imp('time')\n"
        "    started = 0\n"
        "    try:\n"
        "        for _ in range(100000):\n"
        "            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "            started += 1\n"
        "    except RuntimeError as exc:\n"
        "        return ['stopped', started, str(exc)]\n"
        "    return ['all', started]\n"
    )
    outcome = returned(await run(pool, code))
    assert outcome[0] == "stopped"
    assert outcome[1] < 1000
    await still_serves(pool)


async def test_fork_bomb_is_contained_and_cleaned_up(pool: PythonPool) -> None:
    code = REAL_IMPORT + (
        "def main():\n"
        "    os = imp('os')\n"
        "    made = 0\n"
        "    try:\n"
        "        for _ in range(10000):\n"
        "            if os.fork() == 0:\n"
        "                imp('time').sleep(60)\n"
        "                os._exit(0)\n"
        "            made += 1\n"
        "    except OSError as exc:\n"
        "        return ['stopped', made]\n"
        "    return ['all', made]\n"
    )
    outcome = returned(await run(pool, code, timeout=10))
    assert outcome[0] == "stopped"
    count = REAL_IMPORT + (
        "def main():\n    return len([p for p in imp('os').listdir('/proc') if p.isdigit()])\n"
    )
    assert returned(await run(pool, count)) <= 4  # init, the worker, its forker, this child


async def test_fd_exhaustion_is_contained(pool: PythonPool) -> None:
    code = "def main():\n    files = [open('/dev/null') for _ in range(100000)]\n"
    assert "Too many open files" in failed_with(await run(pool, code), "OSError")
    await still_serves(pool)


async def test_filling_tmp_is_contained(pool: PythonPool) -> None:
    code = (
        "def main():\n"
        "    with open('/tmp/fill', 'wb') as f:\n"
        "        for _ in range(1000):\n"
        "            f.write(b'x' * 1024 * 1024)\n"
    )
    result = await run(pool, code)
    assert result.error is not None
    assert result.error.type in {"OSError", "ToolProcessDied"}
    await still_serves(pool)


async def test_a_grandchild_left_running_is_killed_after_the_call(pool: PythonPool) -> None:
    spawn = REAL_IMPORT + (
        "def main():\n"
        "    os = imp('os')\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        imp('time').sleep(600)\n"
        "    return 'spawned'\n"
    )
    assert returned(await run(pool, spawn)) == "spawned"
    count = REAL_IMPORT + (
        "def main():\n    return len([p for p in imp('os').listdir('/proc') if p.isdigit()])\n"
    )
    assert returned(await run(pool, count)) <= 4  # init, the worker, its forker, this child
