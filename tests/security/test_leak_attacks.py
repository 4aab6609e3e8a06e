"""Leak attacks between calls: what one call can find of the call that ran before it.

Each test runs tool code through the pool in real bwrap Boxes. The probe reads its own memory
with ctypes (every writable anonymous region /proc/self/maps lists) and looks for the
previous call's values; it holds each needle only as two halves, so finding a whole needle in
memory means it came from somewhere else.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from forge.runner_setup import add_tool
from polybox.config import Settings
from polybox.forge.actors import admin, llm
from polybox.forge.secrets import set_secret_value
from polybox.forge.servers import delete_server, stop_server
from polybox.forge.unit import transaction
from polybox.forge.worker_scopes import server_scope_prefix
from polybox.instance import Instance
from polybox.sandbox.python import PythonPool
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio
ROOT = admin("root")
CLIENT = llm("attacker")

MEMORY_PROBE = """
ctypes = print.__self__.__import__("datetime").sys.modules["ctypes"]
ANONYMOUS = ("", "[heap]", "[stack]", "/dev/zero (deleted)")
def main(heads, tails):
    found, scanned = [], 0
    for line in open("/proc/self/maps").read().splitlines():
        fields = line.split(maxsplit=5)
        path = fields[5] if len(fields) > 5 else ""
        if not fields[1].startswith("rw") or path not in ANONYMOUS:
            continue  # writable anonymous memory: where a process keeps data
        start, end = (int(part, 16) for part in fields[0].split("-"))
        data = ctypes.string_at(start, end - start)
        scanned += len(data)
        for head, tail in zip(heads, tails):
            at = data.find(head.encode())
            while at >= 0:
                if data[at + len(head) : at + len(head) + len(tail)] == tail.encode():
                    found.append(head)
                at = data.find(head.encode(), at + 1)
    return {"scanned": scanned, "found": found}
"""


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1) as started:  # one worker: every call shares it
        yield started


def _halves(value: str) -> tuple[str, str]:
    middle = len(value) // 2
    return value[:middle], value[middle:]


async def test_a_call_cannot_read_the_previous_calls_arguments_or_secrets_in_memory(
    pool: PythonPool,
) -> None:
    argument = "argument-" + secrets.token_hex(12)
    secret = "raw-secret-" + secrets.token_hex(12)
    victim = (
        "def main(city):\n"
        "    print('looking up', city, secrets['SIGNING_KEY'])\n"
        "    return {'city': city, 'key': secrets['SIGNING_KEY']}\n"
    )
    for _ in range(2):  # the second time, the worker has relayed a call before
        result = await run(
            pool, victim, {"city": argument}, secrets={"SIGNING_KEY": secret}, raw={"SIGNING_KEY"}
        )  # raw: the one kind of secret value that enters the Box
        assert returned(result)["city"] == argument
    halves = [_halves(argument), _halves(secret)]
    heads, tails = [head for head, _ in halves], [tail for _, tail in halves]
    scan = returned(await run(pool, MEMORY_PROBE, {"heads": heads, "tails": tails}))
    assert scan["scanned"] > 1 << 20  # it really read its memory
    assert scan["found"] == []


BOX_IDENTITY = """
os = print.__self__.__import__("os")
async def main(owner: str) -> dict:
    forker = os.getppid()
    started = open(f"/proc/{forker}/stat").read().rsplit(")", 1)[1].split()[19]
    return {"box": os.readlink("/proc/self/ns/pid") + "@" + started, "secrets": dict(secrets)}
"""
"""The worker's identity: its Box's pid namespace and its forker's start time (each alone may
be reused once a worker is gone; both together are not)."""


async def _server_with_probe(instance: Instance, round_: int) -> tuple[int, str]:
    """Server "victim" with an approved probe tool and a secret; (its id, its secret value)."""
    added = await add_tool(instance.sessions, BOX_IDENTITY, server="victim")
    value = f"victim-{round_}-" + secrets.token_hex(8)
    async with transaction(instance.sessions, instance.events) as session:
        await set_secret_value(session, ROOT, instance.secret_box, "victim", "TOKEN", value=value)
    return added.server_id, value


async def _probe(instance: Instance, owner: str) -> Any:
    """Call the probe: the identity of the worker that ran it, and the secrets it saw."""
    outcome = await instance.runner.call_tool(
        instance.sessions, instance.events, CLIENT, "victim__probe", {"owner": owner}
    )
    assert outcome.ok, outcome.error
    return outcome.structured


async def _retired(instance: Instance, server_id: int) -> bool:
    """Whether no worker is bound to server `server_id` any more (retirement is asynchronous)."""
    pool = instance.runner.pool
    assert pool is not None
    prefix = server_scope_prefix(server_id)
    with anyio.fail_after(5):
        while any(scope.startswith(prefix) for scope in pool.bound_scopes):
            await pool.changed()
    return True


async def test_a_recreated_server_with_a_reused_id_never_gets_the_deleted_servers_worker(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, sandbox="bwrap", pool_size=2)
    async with Instance.running(settings) as instance:
        seen_ids: set[int] = set()
        values: list[str] = []
        boxes: set[str] = set()
        for round_ in range(3):
            server_id, value = await _server_with_probe(instance, round_)
            seen_ids.add(server_id)
            first = await _probe(instance, f"round {round_}")
            assert first["box"] not in boxes  # never a worker of a deleted server
            assert not any(old in repr(first) for old in values)
            assert (await _probe(instance, "again"))["box"] == first["box"]  # reuse is visible
            boxes.add(first["box"])
            values.append(value)
            async with transaction(instance.sessions, instance.events) as session:
                await delete_server(session, ROOT, "victim")
            assert await _retired(instance, server_id)
        assert len(seen_ids) == 1  # SQLite handed the deleted server's id to the next one


async def test_a_server_stopped_or_given_new_secrets_loses_its_warm_workers(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, sandbox="bwrap", pool_size=2)
    async with Instance.running(settings) as instance:
        server_id, _ = await _server_with_probe(instance, 0)
        old = (await _probe(instance, "old secret"))["box"]
        async with transaction(instance.sessions, instance.events) as session:
            await set_secret_value(session, ROOT, instance.secret_box, "victim", "TOKEN", value="n")
        assert await _retired(instance, server_id)
        assert (await _probe(instance, "new secret"))["box"] != old  # a fresh worker
        async with transaction(instance.sessions, instance.events) as session:
            await stop_server(session, ROOT, "victim")
        assert await _retired(instance, server_id)
