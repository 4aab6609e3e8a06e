"""Real bwrap pools for the tool-runtime and security tests, and a one-line way to call them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping, Set
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from polybox.config import Settings
from polybox.sandbox.backends import create_backend
from polybox.sandbox.egress import EgressBroker, EgressPolicy
from polybox.sandbox.python import PoolConfig, PythonPool, RunResult

NO_EGRESS = EgressPolicy()


@asynccontextmanager
async def bwrap_pool(
    data_dir: Path, *, broker: EgressBroker | None = None, **overrides: Any
) -> AsyncIterator[PythonPool]:
    """A started pool of real bwrap workers (2 by default, 5 s calls) under `data_dir`."""
    settings = Settings(data_dir=data_dir, sandbox="bwrap")
    backend = create_backend(settings)
    base = dataclasses.replace(PoolConfig.from_settings(settings), size=2, call_timeout=5.0)
    pool = PythonPool(backend, dataclasses.replace(base, **overrides), broker)
    try:
        await pool.start()
        yield pool
    finally:
        await pool.close()
        await backend.close()


async def run(
    pool: PythonPool,
    code: str,
    args: Mapping[str, Any] | None = None,
    *,
    scope: str = "server-a",
    secrets: Mapping[str, str] | None = None,
    raw: Set[str] = frozenset(),
    egress: EgressPolicy = NO_EGRESS,
    timeout: float | None = None,  # noqa: ASYNC109 - the tool's limit, passed through
) -> RunResult:
    """One call with the defaults most tests need."""
    return await pool.run(
        code,
        args or {},
        scope=scope,
        secrets=secrets or {},
        raw=raw,
        egress=egress,
        timeout=timeout,
    )


def returned(result: RunResult) -> Any:
    """The value main() returned (asserting the call succeeded), typed loosely for indexing."""
    assert result.ok, result.error
    return result.result
