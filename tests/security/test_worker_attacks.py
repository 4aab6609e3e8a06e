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


async def test_worker_and_forker_fds_memory_and_environ_through_proc_are_refused(
    pool: PythonPool,
) -> None:
    code = """
imp = print.__self__.__import__
def main():
    os = imp("os")
    forker = os.getppid()  # forks the children; its parent is the worker, the relay
    worker = int(open(f"/proc/{forker}/stat").read().rsplit(")", 1)[1].split()[1])
    outcomes = {}
    def attempt(action):
        try:
            return repr(action())
        except OSError as exc:
            return f"{type(exc).__name__} {exc.errno}"
    for name, pid in (("worker", worker), ("forker", forker)):
        proc = f"/proc/{pid}"
        outcomes[name] = {
            "list fds": attempt(lambda: os.listdir(f"{proc}/fd")),
            "open stdin": attempt(lambda: os.open(f"{proc}/fd/0", os.O_RDONLY)),
            "open stdout": attempt(lambda: os.open(f"{proc}/fd/1", os.O_WRONLY)),
            "read environ": attempt(lambda: open(f"{proc}/environ", "rb").read()),
            "open mem": attempt(lambda: os.open(f"{proc}/mem", os.O_RDWR)),
            "read mem": attempt(lambda: open(f"{proc}/mem", "rb").read(1)),
        }
    return outcomes
"""
    outcomes = returned(await run(pool, code))
    refused = dict.fromkeys(
        ("list fds", "open stdin", "open stdout", "read environ", "open mem", "read mem"), REFUSED
    )
    assert outcomes == {"worker": refused, "forker": refused}
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
    forker = os.getppid()
    worker = int(open(f"/proc/{forker}/stat").read().rsplit(")", 1)[1].split()[1])
    errors = []
    for pid in (worker, forker):
        try:
            errors.append(os.listdir(f"/proc/{pid}/fd"))
        except PermissionError as exc:
            errors.append(exc.errno)
    return errors
"""
    assert returned(await run(pool, code)) == [13, 13]
