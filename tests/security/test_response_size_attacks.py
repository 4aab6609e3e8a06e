"""Large egress responses against the documented cap (egress_max_response_bytes, 10 MB).

A response under the cap reaches the tool whole; one over it is a clear HttpError; in both cases
the worker that made the request keeps serving (real bwrap pool, real HTTP server on loopback).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.config import Settings
from polybox.sandbox.egress import EgressPolicy
from polybox.sandbox.python import PythonPool
from sandbox.egress_servers import Server
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

CAP = Settings().egress_max_response_bytes
FETCH = """
async def main(url):
    response = await http.get(url)
    return len(response.content)
"""


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1, call_timeout=30.0) as started:
        yield started


def big(server: Server, size: int) -> tuple[str, EgressPolicy]:
    egress = EgressPolicy(
        allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}),
        private_hosts=frozenset({"127.0.0.1"}),
        max_response_bytes=CAP,
    )
    return f"http://127.0.0.1:{server.port}/big?n={size}", egress


async def test_a_9_5_mb_response_under_the_10_mb_cap_reaches_the_tool(
    pool: PythonPool, server: Server
) -> None:
    size = 9_961_472  # 9.5 MiB
    url, egress = big(server, size)
    worker = pool._idle[0]
    assert returned(await run(pool, FETCH, {"url": url}, egress=egress)) == size
    assert returned(await run(pool, "def main():\n    return 'alive'\n")) == "alive"
    assert pool._idle == [worker]  # the same worker served both


async def test_a_10_5_mb_response_over_the_cap_is_a_clear_error_and_the_worker_lives(
    pool: PythonPool, server: Server
) -> None:
    url, egress = big(server, 11_010_048)  # 10.5 MiB
    worker = pool._idle[0]
    result = await run(pool, FETCH, {"url": url}, egress=egress)
    assert result.error is not None, result
    assert result.error.type == "HttpError"
    assert f"larger than the limit of {CAP} bytes" in result.error.message
    assert returned(await run(pool, "def main():\n    return 'alive'\n")) == "alive"
    assert pool._idle == [worker]


async def test_a_response_larger_than_the_pool_was_sized_for_is_refused_not_fatal(
    tmp_path: Path, server: Server
) -> None:
    """A policy whose cap exceeds the pool's `response_limit` cannot make the worker die."""
    url, egress = big(server, 9_961_472)
    async with bwrap_pool(tmp_path, size=1, response_limit=1024) as pool:
        result = await run(pool, FETCH, {"url": url}, egress=egress)
        assert result.error is not None, result
        assert "larger than the sandbox can pass to the tool" in result.error.message
        assert returned(await run(pool, "def main():\n    return 'alive'\n")) == "alive"
