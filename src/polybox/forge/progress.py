"""Progress of a long service call, for clients that asked for it (MCP `progressToken`).

A service takes a `Progress` callback and reports numbered steps through `Steps`: each report's
number is larger than the last, as the MCP progress rule wants, and its message says where the
work is. `ticking` keeps reporting while one slow awaitable runs, so a client that resets its
timeout on progress does not give up on a long test run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

# (progress, total or None, message): awaited by the service at each step.
Progress = Callable[[float, float | None, str], Awaitable[None]]
# How often `ticking` reports while the work runs.
TICK_SECONDS = 1.0

T = TypeVar("T")


async def no_progress(progress: float, total: float | None, message: str) -> None:
    """The default: nobody asked."""


class Steps:
    """Numbered reports to one `Progress`."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._step = 0

    async def report(self, message: str) -> None:
        self._step += 1
        await self._progress(self._step, None, message)

    async def ticking(self, work: Awaitable[T], doing: str) -> T:
        """Await `work`, reporting "`doing`: N s" every TICK_SECONDS until it is done."""
        task = asyncio.ensure_future(work)
        started = time.monotonic()
        try:
            while not (await asyncio.wait({task}, timeout=TICK_SECONDS))[0]:
                await self.report(f"{doing}: {time.monotonic() - started:.0f} s")
            return task.result()
        finally:
            task.cancel()  # only has an effect when we were cancelled ourselves
