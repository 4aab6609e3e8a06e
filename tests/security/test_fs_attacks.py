"""Filesystem attacks from code in a real bwrap Box: each is refused, the host is unchanged."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from polybox.sandbox.box import Box, PathEscapeError
from security.box_attacks import MARKER_VALUE, run_py

pytestmark = pytest.mark.anyio


async def test_read_etc_shadow_is_denied(box: Box) -> None:
    result = await run_py(box, "open('/etc/shadow').read()")
    assert b"FileNotFoundError" in result.stderr
    assert await asyncio.to_thread(os.path.exists, "/etc/shadow")


async def test_host_root_home_is_invisible(box: Box) -> None:
    result = await run_py(box, "import os; print(os.path.exists('/root'), os.path.exists('/home'))")
    assert result.stdout == b"False False\n"


async def test_host_data_dir_and_work_tree_are_invisible(box: Box, tmp_path: Path) -> None:
    secret = tmp_path / "secret.key"
    secret.write_bytes(b"k" * 32)
    code = f"import os; print(os.path.exists({str(secret)!r}), os.path.exists('/work'))"
    result = await run_py(box, code)
    assert result.stdout == b"False False\n"


async def test_supervisor_environment_is_not_visible_anywhere(box: Box) -> None:
    code = (
        "import os, glob\n"
        "blobs = [open(p, 'rb').read() for p in glob.glob('/proc/[0-9]*/environ')]\n"
        "print(len(blobs), any(b'" + MARKER_VALUE + "' in b for b in blobs),"
        " '" + MARKER_VALUE + "' in str(os.environ))"
    )
    result = await run_py(box, code)
    count, seen, in_env = result.stdout.split()
    assert int(count) >= 1
    assert (seen, in_env) == (b"False", b"False")


async def test_write_outside_workspace_is_read_only(box: Box) -> None:
    result = await run_py(box, "open('/usr/polybox-pwned', 'w')")
    assert b"OSError: [Errno 30] Read-only file system" in result.stderr
    assert not await asyncio.to_thread(os.path.exists, "/usr/polybox-pwned")


async def test_write_to_new_root_dir_is_read_only(box: Box) -> None:
    result = await run_py(box, "import os; os.mkdir('/evil')")
    assert b"Read-only file system" in result.stderr


async def test_fill_tmp_hits_its_size_limit(box: Box) -> None:
    code = (
        "f = open('/tmp/fill', 'wb')\n"
        "try:\n    [f.write(b'x' * (1 << 20)) for _ in range(100)]; f.flush()\n"
        "except OSError as e: print(e.errno)"
    )
    result = await run_py(box, code)
    assert result.stdout == b"28\n"  # ENOSPC at the 8 MiB tmpfs


async def test_fill_workspace_hits_file_size_limit(box: Box) -> None:
    code = (
        "import signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "f = open('big', 'wb')\n"
        "try:\n    [f.write(b'x' * (1 << 20)) for _ in range(100)]; f.flush()\n"
        "except OSError as e: print(e.errno)"
    )
    result = await run_py(box, code)
    assert result.stdout == b"27\n"  # EFBIG at RLIMIT_FSIZE (64 MiB)
    assert (await box.list_files())[0].size <= 64 << 20


async def test_symlink_escape_via_workspace_file_api_is_refused(box: Box) -> None:
    await run_py(box, "import os; os.symlink('/etc/passwd', 'link'); os.symlink('/etc', 'dir')")
    with pytest.raises(PathEscapeError):
        await box.read_file("link")
    with pytest.raises(PathEscapeError):
        await box.read_file("dir/passwd")
    with pytest.raises(PathEscapeError):
        await box.write_file("dir/polybox-pwned", b"x")
    assert not await asyncio.to_thread(os.path.exists, "/etc/polybox-pwned")


async def test_dotdot_in_workspace_file_api_is_refused(box: Box) -> None:
    with pytest.raises(PathEscapeError):
        await box.read_file("../logs/box.log")
    with pytest.raises(PathEscapeError):
        await box.write_file("/etc/x", b"")


async def test_workspace_is_owned_by_the_sandbox_uid_not_root(box: Box) -> None:
    await box.write_file("f.txt", b"x")
    result = await run_py(box, "import os; print(os.stat('f.txt').st_uid == os.getuid() != 0)")
    assert result.stdout == b"True\n"
