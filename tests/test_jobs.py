"""Background jobs keep running through failed passes and stop at once when closed."""

from __future__ import annotations

import asyncio

import pytest

from polybox.jobs import PeriodicJob

pytestmark = pytest.mark.anyio


class Flaky(PeriodicJob):
    """Fails its first pass the way an unreachable database does, then succeeds."""

    name = "flaky"

    def __init__(self) -> None:
        super().__init__(interval=0.01, first_delay=0)
        self.passes = 0
        self.second_pass = asyncio.Event()

    async def run_pass(self) -> None:
        self.passes += 1
        if self.passes == 1:
            raise OSError("connection refused")
        self.second_pass.set()


async def test_a_failed_pass_is_logged_and_the_job_runs_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = Flaky()
    job.start()
    try:
        await asyncio.wait_for(job.second_pass.wait(), timeout=10)
    finally:
        await job.close()
    assert "flaky: pass failed, retrying in 0s: connection refused" in caplog.text
    passes = job.passes
    await asyncio.sleep(0.05)
    assert job.passes == passes  # closed: no pass after close()
