"""Background jobs that run one pass every so often inside a process (retention, alerts, health,
module installs).

A job is started once and closed at shutdown; closing stops it at once, even mid-pass. `wake()`
runs the next pass now rather than at the end of the interval (work that arrives). A pass that
fails on the store or the network is logged and tried again at the next interval, so a database
restart or an unreachable host never ends the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)


class PeriodicJob(ABC):
    """Runs `run_pass()` after `first_delay` seconds (default `interval`), then every `interval`."""

    name: str  # names the task and the log lines

    def __init__(self, *, interval: float, first_delay: float | None = None) -> None:
        self.interval = interval
        self._first_delay = interval if first_delay is None else first_delay
        self._task: asyncio.Task[None] | None = None
        self._woken = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"polybox-{self.name}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Run the next pass now (or right after the current one) instead of after the interval."""
        self._woken.set()

    @abstractmethod
    async def run_pass(self) -> None:
        """One pass of the job's work."""

    async def _run(self) -> None:
        await asyncio.sleep(self._first_delay)
        while True:
            self._woken.clear()
            try:
                await self.run_pass()
            except (SQLAlchemyError, OSError) as exc:
                logger.warning(
                    "%s: pass failed, retrying in %.0fs: %s", self.name, self.interval, exc
                )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._woken.wait()
