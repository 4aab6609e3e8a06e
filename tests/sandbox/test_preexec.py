"""A Box launch from a traced, threaded process: the child never runs the parent's tracer.

This is the hang of a whole CI run: coverage's tracer, inherited by the forked child of a test
worker, waited in that child for a lock another thread held at fork time. The launch never
returned, and the dead worker's pipe, still open in the stuck child, kept pytest-xdist waiting.
"""

from __future__ import annotations

import os
import sys
import threading
from asyncio.subprocess import DEVNULL
from types import FrameType
from typing import Any

import pytest

from polybox.sandbox.processes import HostCommand, launch

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]


async def test_a_launch_never_runs_the_parents_trace_function_in_the_child() -> None:
    parent = os.getpid()
    held = threading.Lock()
    held.acquire()  # held "by another thread" at fork time: the child can never take it

    def preexec() -> None:
        os.umask(0o077)  # a Python frame in the child, which a tracer would be called for

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        if os.getpid() != parent and frame.f_code is preexec.__code__:
            held.acquire()  # what coverage's tracer did in the child: wait for ever

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        process = await launch(
            HostCommand(argv=["/bin/true"], env={}, preexec=preexec),
            stdin=DEVNULL,
            stdout=DEVNULL,
            stderr=DEVNULL,
            registry=set(),
        )
    finally:
        sys.settrace(previous)
        held.release()
    assert await process.wait() == 0
