"""Forged-tool calls over real MCP when parts fail: a sandbox worker, PostgreSQL, the client.

Everything is real: uvicorn on 127.0.0.1, the official MCP client, the instance's bwrap pool,
the throwaway PostgreSQL cluster (stopped and started again for the outage test).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Awaitable, Callable

import anyio
import mcp_types as types
import pytest
from mcp import Client
from sqlalchemy import select

from forge.runner_setup import add_tool
from mcp_clients import Connect
from polybox.instance import Instance
from polybox.sandbox.python import PythonPool
from polybox.sandbox.python.connection import WorkerConnection
from polybox.store.enums import ExecutionStatus
from polybox.store.models import ExecutionLog
from postgres_cluster import PostgresServer

pytestmark = pytest.mark.anyio

ECHO = 'async def main(n: int) -> dict:\n    """Echo n."""\n    return {"n": n}\n'
NAP = (
    "import time\n\n"
    "async def main(seconds: float) -> dict:\n"
    '    """Block for a while, as a slow tool does."""\n'
    "    time.sleep(seconds)\n"
    '    return {"slept": seconds}\n'
)
DEADLINE = 15.0


def pool_of(instance: Instance) -> PythonPool:
    pool = instance.runner.pool
    assert pool is not None
    return pool


async def busy_worker(pool: PythonPool) -> WorkerConnection:
    """The worker that took the (only) call in flight, once it has it."""
    with anyio.fail_after(DEADLINE):
        while not pool._busy:
            await pool.changed()
    (worker,) = pool._busy
    return worker


async def pool_idle_and_full(pool: PythonPool, size: int) -> None:
    """Return once `size` workers are idle (none held by a call, none missing)."""
    with anyio.fail_after(DEADLINE):
        while len(pool._idle) < size or pool._busy:
            await pool.changed()


async def echo_ok(client: Client, n: int) -> None:
    result = await client.call_tool("bench__echo", {"n": n})
    assert not result.is_error, result.content
    assert result.structured_content == {"n": n}


def error_text(result: types.CallToolResult) -> str:
    assert result.is_error
    (content,) = result.content
    assert isinstance(content, types.TextContent)
    return content.text


async def in_background(
    tasks: anyio.abc.TaskGroup, call: Callable[[], Awaitable[types.CallToolResult]]
) -> list[types.CallToolResult]:
    """Start `call`; the returned list holds its result once it finished."""
    results: list[types.CallToolResult] = []

    async def run() -> None:
        results.append(await call())

    tasks.start_soon(run)
    return results


async def test_a_worker_killed_mid_call_fails_that_call_clearly_and_the_pool_recovers(
    instance: Instance, connect: Connect
) -> None:
    await add_tool(instance.sessions, NAP, server="slow", tool="nap")
    await add_tool(instance.sessions, ECHO, server="bench", tool="echo")
    pool = pool_of(instance)
    async with connect(mode="2026-07-28") as (client, _):
        async with anyio.create_task_group() as tasks:
            results = await in_background(
                tasks, lambda: client.call_tool("slow__nap", {"seconds": 60})
            )
            worker = await busy_worker(pool)
            os.kill(worker.process.pid, signal.SIGKILL)
        (killed,) = results
        message = error_text(killed)
        assert message.startswith("SandboxError: the sandbox worker running this call stopped")
        assert "retrying is safe" in message
        await echo_ok(client, 1)
    await pool_idle_and_full(pool, instance.settings.pool_size)
    assert worker not in pool._idle


@pytest.mark.parametrize("mode", ["2026-07-28", "legacy"])
async def test_a_client_gone_mid_call_leaves_no_worker_behind(
    instance: Instance, connect: Connect, mode: str
) -> None:
    await add_tool(instance.sessions, NAP, server="slow", tool="nap")
    await add_tool(instance.sessions, ECHO, server="bench", tool="echo")
    pool = pool_of(instance)
    async with connect(mode=mode) as (client, _), anyio.create_task_group() as tasks:
        # The tool would block its worker for a minute; the client hangs up instead.
        await in_background(tasks, lambda: client.call_tool("slow__nap", {"seconds": 60}))
        await busy_worker(pool)
        tasks.cancel_scope.cancel()
    await pool_idle_and_full(pool, instance.settings.pool_size)
    async with connect(mode=mode) as (client, _):
        for n in range(instance.settings.pool_size + 1):
            await echo_ok(client, n)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_postgresql_restart_fails_calls_clearly_meanwhile_and_loses_no_log(
    instance: Instance, connect: Connect, postgres_server: PostgresServer
) -> None:
    if not postgres_server.restartable:
        pytest.skip("an external PostgreSQL (POLYBOX_TEST_POSTGRES_URL) cannot be restarted")
    await add_tool(instance.sessions, NAP, server="slow", tool="nap")
    await add_tool(instance.sessions, ECHO, server="bench", tool="echo")
    pool = pool_of(instance)
    async with connect(mode="2026-07-28") as (client, _):
        await echo_ok(client, 1)
        with anyio.fail_after(DEADLINE):  # logs are written off the call's path, soon after
            await instance.runner.logs.drained()
        async with anyio.create_task_group() as tasks:
            # This call started before the outage and completes during it: its log must
            # wait for the store instead of being lost.
            slow = await in_background(tasks, lambda: client.call_tool("slow__nap", {"seconds": 3}))
            await busy_worker(pool)
            await anyio.to_thread.run_sync(postgres_server.stop)
            during = await client.call_tool("bench__echo", {"n": 2})
        (finished,) = slow
        assert finished.structured_content == {"slept": 3}
        assert "the database is unavailable" in error_text(during)
        assert "nothing ran" in error_text(during)
        assert instance.runner.logs.backlog == 1
        await anyio.to_thread.run_sync(postgres_server.start)
        await echo_ok(client, 3)
    # The writer retries with backoff; PostgreSQL may still be starting up when it first tries.
    with anyio.fail_after(DEADLINE):
        await instance.runner.logs.drained()
    assert instance.runner.logs.backlog == 0
    async with instance.sessions() as session:
        logs = (await session.scalars(select(ExecutionLog).order_by(ExecutionLog.id))).all()
    assert [(log.tool_name, log.arguments, log.status) for log in logs] == [
        ("echo", {"n": 1}, ExecutionStatus.OK),
        ("nap", {"seconds": 3}, ExecutionStatus.OK),
        ("echo", {"n": 3}, ExecutionStatus.OK),
    ]
