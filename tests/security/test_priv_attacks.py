"""Privilege attacks from code inside a real bwrap Box: nothing gains privileges on the host."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from polybox.sandbox.box import Box
from polybox.sandbox.hostbox import HostBox
from security.box_attacks import run_py

pytestmark = pytest.mark.anyio


async def test_no_new_privs_is_set_so_setuid_binaries_give_nothing(box: Box) -> None:
    code = "print([l for l in open('/proc/self/status') if l.startswith('NoNewPrivs')][0])"
    assert (await run_py(box, code)).stdout.split() == [b"NoNewPrivs:", b"1"]


async def test_setuid_binary_runs_without_root(box: Box) -> None:
    result = await box.exec(["/usr/bin/su", "-c", "id -u", "root"], timeout=10)
    assert result.exit_code != 0
    assert b"\n0\n" not in b"\n" + result.stdout


async def test_capabilities_are_empty(box: Box) -> None:
    code = "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('Cap')])"
    result = await run_py(box, code)
    assert result.stdout.count(b"0000000000000000") == 5  # inh, prm, eff, bnd, amb


async def test_core_pattern_write_is_refused_and_unchanged(box: Box) -> None:
    core_pattern = Path("/proc/sys/kernel/core_pattern")
    before = await asyncio.to_thread(core_pattern.read_text)
    code = (
        "try: open('/proc/sys/kernel/core_pattern', 'w').write('|/tmp/x')\n"
        "except OSError as e: print(e.errno)"
    )
    result = await run_py(box, code)
    assert result.stdout in (b"13\n", b"30\n")  # EACCES or EROFS
    assert await asyncio.to_thread(core_pattern.read_text) == before


async def test_proc_sys_writes_are_refused(box: Box) -> None:
    code = (
        "try: open('/proc/sys/vm/drop_caches', 'w').write('3')\nexcept OSError as e: print(e.errno)"
    )
    assert (await run_py(box, code)).stdout in (b"13\n", b"30\n")


async def test_box_does_not_run_as_host_root(box: Box) -> None:
    code = (
        "import os\nopen('made-in-box', 'w').close()\nprint(os.getuid())\n"
        "try: os.setuid(0)\nexcept OSError as e: print(e.errno)"
    )
    uid, setuid_errno = (await run_py(box, code)).stdout.split()
    assert uid != b"0"
    assert setuid_errno == b"22"  # EINVAL: host root is not even mapped into the Box
    assert isinstance(box, HostBox)
    assert (box.workspace.root / "made-in-box").stat().st_uid != 0  # a non-root host uid


async def test_personality_without_aslr_is_refused(box: Box) -> None:
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.personality(0x0040000), ctypes.get_errno())"  # ADDR_NO_RANDOMIZE
    )
    assert (await run_py(box, code)).stdout == b"-1 1\n"
