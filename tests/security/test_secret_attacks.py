"""Secret attacks: other servers' secrets, disguised leaks in every output path, the host's env."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.python import PythonPool
from polybox.sandbox.redaction import REDACTED
from sandbox.python.pools import bwrap_pool, returned, run

pytestmark = pytest.mark.anyio

SECRET = "sk-live-4f8a9c2e71"
MARKER = "POLYBOX_TEST_POOL_SUPERVISOR_MARKER"
MARKER_VALUE = "pool-supervisor-env-5e2b"
REAL_IMPORT = "imp = print.__self__.__import__\n"


@pytest.fixture
async def pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PythonPool]:
    monkeypatch.setenv(MARKER, MARKER_VALUE)
    async with bwrap_pool(tmp_path, size=1) as started:
        yield started


async def leak(pool: PythonPool, body: str) -> str:
    """Run `def main(): <body>` holding SECRET; everything the caller gets back, as text."""
    result = await run(pool, f"import base64\ndef main():\n    {body}\n", secrets={"API": SECRET})
    return repr(result)


async def test_another_servers_secret_is_not_in_a_reused_worker(pool: PythonPool) -> None:
    await run(pool, "def main():\n    return 1\n", scope="a", secrets={"K": SECRET})
    probe = REAL_IMPORT + (
        "def main(needle_reversed):\n"
        "    needle = needle_reversed[::-1]\n"
        "    os = imp('os')\n"
        "    def read(path):\n"
        "        try:\n"
        "            return open(path, 'rb').read().decode('latin-1')\n"
        "        except PermissionError:\n"
        "            return 'refused'\n"
        "    places = [read(f'/proc/{os.getppid()}/cmdline'),\n"
        "              read(f'/proc/{os.getppid()}/environ'),\n"
        "              repr(dict(secrets))]\n"
        "    return [needle in place for place in places] + places[1:2]\n"
    )
    result = await run(pool, probe, {"needle_reversed": SECRET[::-1]}, scope="b")
    assert returned(result) == [False, False, False, "refused"]  # the worker is not dumpable


async def test_secret_returned_as_result_is_redacted(pool: PythonPool) -> None:
    result = await run(
        pool, "def main():\n    return {'k': secrets['API']}\n", secrets={"API": SECRET}
    )
    assert returned(result) == {"k": REDACTED}


async def test_secret_in_a_list_result_is_redacted(pool: PythonPool) -> None:
    text = await leak(pool, "return ['a', [secrets['API']], {'n': secrets['API']}]")
    assert SECRET not in text
    assert text.count(REDACTED) == 2


async def test_secret_reversed_is_redacted(pool: PythonPool) -> None:
    assert SECRET[::-1] not in await leak(pool, "return secrets['API'][::-1]")


async def test_secret_base64_is_redacted(pool: PythonPool) -> None:
    text = await leak(pool, "return base64.b64encode(secrets['API'].encode()).decode()")
    assert REDACTED in text


async def test_secret_hex_is_redacted(pool: PythonPool) -> None:
    text = await leak(pool, "return secrets['API'].encode().hex()")
    assert SECRET.encode().hex() not in text
    assert REDACTED in text


async def test_secret_printed_is_redacted(pool: PythonPool) -> None:
    result = await run(
        pool, "def main():\n    print('key', secrets['API'])\n", secrets={"API": SECRET}
    )
    assert result.stdout == f"key {REDACTED}\n"


async def test_secret_in_an_error_message_is_redacted(pool: PythonPool) -> None:
    result = await run(
        pool,
        "def main():\n    raise ValueError('bad ' + secrets['API'])\n",
        secrets={"API": SECRET},
    )
    assert result.error is not None
    assert result.error.message == f"bad {REDACTED}"
    assert SECRET not in result.error.traceback


async def test_secret_in_the_tool_source_line_of_a_traceback_is_redacted(pool: PythonPool) -> None:
    code = f"def main():\n    token = {SECRET!r}; 1 / 0\n"
    result = await run(pool, code, secrets={"API": SECRET})
    assert result.error is not None
    assert SECRET not in result.error.traceback
    assert REDACTED in result.error.traceback


async def test_secrets_mapping_is_read_only(pool: PythonPool) -> None:
    result = await run(pool, "def main():\n    secrets['API'] = 'x'\n", secrets={"API": SECRET})
    assert result.error is not None
    assert result.error.type == "TypeError"


async def test_the_supervisor_environment_is_invisible(pool: PythonPool) -> None:
    probe = REAL_IMPORT + (
        "def main():\n"
        "    os, glob = imp('os'), imp('glob')\n"
        "    blobs, refused = [], 0\n"
        "    for path in glob.glob('/proc/[0-9]*/environ'):\n"
        "        try:\n"
        "            blobs.append(open(path, 'rb').read())\n"
        "        except PermissionError:\n"
        "            refused += 1  # not dumpable (worker, tool), or outside its Landlock domain\n"
        "    return [len(blobs) + refused, b'" + MARKER_VALUE + "' in b''.join(blobs),"
        " '" + MARKER_VALUE + "' in str(os.environ)]\n"
    )
    count, in_proc, in_env = returned(await run(pool, probe))
    assert count >= 3  # the Box's init, the worker and the tool's own process
    assert (in_proc, in_env) == (False, False)
    assert os.environ[MARKER] == MARKER_VALUE
