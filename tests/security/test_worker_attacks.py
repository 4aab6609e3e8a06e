"""Attacks by tool code on its own worker, the process that forked it (same uid, same Box).

Each test runs tool code through the pool in real bwrap Boxes and asserts what the attacker gets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.python import PythonPool
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

REFUSED = "PermissionError 13"  # EACCES: the worker is not dumpable


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1) as started:
        yield started


async def test_worker_fds_memory_and_environ_through_proc_are_refused(pool: PythonPool) -> None:
    code = """
imp = print.__self__.__import__
def main():
    os = imp("os")
    worker = f"/proc/{os.getppid()}"
    outcomes = {}
    def attempt(name, action):
        try:
            outcomes[name] = repr(action())
        except OSError as exc:
            outcomes[name] = f"{type(exc).__name__} {exc.errno}"
    attempt("list fds", lambda: os.listdir(f"{worker}/fd"))
    attempt("open stdin", lambda: os.open(f"{worker}/fd/0", os.O_RDONLY))
    attempt("open stdout", lambda: os.open(f"{worker}/fd/1", os.O_WRONLY))
    attempt("read environ", lambda: open(f"{worker}/environ", "rb").read())
    attempt("open mem", lambda: os.open(f"{worker}/mem", os.O_RDWR))
    attempt("read mem", lambda: open(f"{worker}/mem", "rb").read(1))
    return outcomes
"""
    outcomes = returned(await run(pool, code))
    assert outcomes == {
        "list fds": REFUSED,
        "open stdin": REFUSED,
        "open stdout": REFUSED,
        "read environ": REFUSED,
        "open mem": REFUSED,
        "read mem": REFUSED,
    }
    assert returned(await run(pool, "def main():\n    return 'still serving'\n")) == "still serving"


async def test_a_child_making_itself_dumpable_again_does_not_open_the_worker(
    pool: PythonPool,
) -> None:
    code = """
imp = print.__self__.__import__
def main():
    os, ctypes = imp("os"), imp("ctypes")
    libc = ctypes.CDLL(None)
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: only ever about the calling process
    try:
        return os.listdir(f"/proc/{os.getppid()}/fd")
    except PermissionError as exc:
        return exc.errno
"""
    assert returned(await run(pool, code)) == 13
