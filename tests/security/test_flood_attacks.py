"""A Box that floods its supervisor with HTTP frames: stopped, bounded, and the pool serves on.

The tool writes 100 raw 7.3 MB http frames straight onto its socket to the worker (bypassing
`http`, whose calls it could also just start without awaiting), all to an allowed host that
answers slowly, so nothing drains them quickly. The supervisor is this test process; its resident
memory is sampled from /proc (psutil's `rss` is the same VmRSS figure; psutil is not a dependency).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.egress import EgressPolicy
from polybox.sandbox.python import PythonPool
from sandbox.egress_servers import Server
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

MB = 1024 * 1024
# What the supervisor may grow by while a call floods it: a few frames at the frame limit
# (~15 MB each, parsed), not the 730 MB of 100 frames.
RSS_GROWTH_BOUND_MB = 150
FLOOD = """
def main(url):
    sock = http._channel.sock
    head = b'{"op":"http","rid":1,"request":{"method":"POST","url":"' + url.encode() + b'","body":"'
    body = head + b"A" * 7_300_000 + b'"}}'
    frame = len(body).to_bytes(4, "big") + body
    for _ in range(100):
        sock.sendall(frame)
    return "sent"
"""


def rss_mb() -> float:
    """This process's resident memory (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1, call_timeout=20.0) as started:
        yield started


async def test_flooding_the_supervisor_with_100_raw_7mb_http_frames_is_stopped(
    pool: PythonPool, server: Server
) -> None:
    egress = EgressPolicy(
        allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}),
        private_hosts=frozenset({"127.0.0.1"}),
    )
    url = f"http://127.0.0.1:{server.port}/slow?s=3"
    before = rss_mb()
    peak = before

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mb())
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    try:
        result = await run(pool, FLOOD, {"url": url}, egress=egress)
    finally:
        sampler.cancel()
    print(f"supervisor RSS {before:.0f} MB before, {peak:.0f} MB at the peak of the flood")
    assert peak - before < RSS_GROWTH_BOUND_MB
    assert result.error is not None, result
    assert result.error.type == "ResourceError"
    assert "more HTTP requests at once than the sandbox holds" in result.error.message
    assert returned(await run(pool, "def main():\n    return 'still serving'\n")) == "still serving"
