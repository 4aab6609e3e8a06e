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

import pytest

from polybox.sandbox.python import PythonPool
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

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
        result = await run(pool, victim, {"city": argument}, secrets={"SIGNING_KEY": secret})
        assert returned(result)["city"] == argument
    halves = [_halves(argument), _halves(secret)]
    heads, tails = [head for head, _ in halves], [tail for _, tail in halves]
    scan = returned(await run(pool, MEMORY_PROBE, {"heads": heads, "tails": tails}))
    assert scan["scanned"] > 1 << 20  # it really read its memory
    assert scan["found"] == []
