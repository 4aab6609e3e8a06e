"""Disk attacks from tool code: filling /workspace or /tmp (real bwrap pool).

/workspace and /tmp of a worker's Box are sized tmpfs (box_workspace_size_mb, box_tmp_size_mb):
nothing reaches the host disk, a full one is a clear error naming the limit, and both are emptied
after every call so the next call starts clean.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.bwrap import BwrapBackend
from polybox.sandbox.python import PythonPool
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

MB = 1024 * 1024
FILL = """
def main(directory, megabytes):
    chunk = b"x" * (1024 * 1024)
    for n in range(megabytes // 8):
        with open(f"{directory}/fill-{n}", "wb") as out:
            for _ in range(8):
                out.write(chunk)
    return "wrote everything"
"""
LOOK = """
imp = print.__self__.__import__
def main():
    os = imp("os")
    with open("/tmp/after", "wb") as out:
        out.write(b"y" * (4 * 1024 * 1024))
    return {path: sorted(os.listdir(path)) for path in ("/workspace", "/tmp", "/dev/shm")}
"""


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1, workspace_size_mb=32, tmp_size_mb=32) as started:
        yield started


def host_bytes(pool: PythonPool) -> int:
    """Bytes in files under the pool's Box directories on the host."""
    assert isinstance(pool.backend, BwrapBackend)
    total = 0
    for directory, _, files in os.walk(pool.backend.boxes_dir):
        total += sum(os.lstat(os.path.join(directory, name)).st_size for name in files)
    return total


async def test_writing_251_mib_to_workspace_hits_the_quota_and_never_reaches_the_host(
    pool: PythonPool,
) -> None:
    result = await run(pool, FILL, {"directory": "/workspace", "megabytes": 251})
    assert result.error is not None, result
    assert result.error.type == "OSError"
    assert "No space left on device" in result.error.message
    assert "/workspace holds at most 32 MiB (setting box_workspace_size_mb)" in result.error.message
    assert host_bytes(pool) < MB
    assert returned(await run(pool, LOOK)) == {"/workspace": [], "/tmp": ["after"], "/dev/shm": []}


async def test_a_full_tmp_is_emptied_before_the_next_call(pool: PythonPool) -> None:
    result = await run(pool, FILL, {"directory": "/tmp", "megabytes": 64})
    assert result.error is not None, result
    assert "(box_tmp_size_mb)" in result.error.message
    assert returned(await run(pool, LOOK)) == {"/workspace": [], "/tmp": ["after"], "/dev/shm": []}
