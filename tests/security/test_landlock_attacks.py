"""Attacks that the Box's mounts and file modes allow but the worker's Landlock rules refuse.

Each attack runs as tool code through a real bwrap pool (one worker) and asserts the error it
gets and that nothing changed. A control then runs the same action in a plain process of the
same Box (started by the supervisor, so outside the worker's Landlock domain) and shows it works:
the refusal is Landlock's, not the mount's.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from polybox.sandbox.bwrap import BwrapBox
from polybox.sandbox.python import PythonPool
from polybox.sandbox.python.landlock import landlock_abi
from sandbox.python.pools import bwrap_pool, returned, run
from security.box_attacks import run_py

ABI = landlock_abi()
pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(ABI < 1, reason="this kernel has no Landlock"),
]
since_abi_4 = pytest.mark.skipif(ABI < 4, reason="TCP rules need Landlock ABI 4")
since_abi_6 = pytest.mark.skipif(ABI < 6, reason="scoping needs Landlock ABI 6")
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="only as root do a Box's processes share one network namespace"
)

EACCES = "PermissionError 13"  # Landlock's refusal of file and TCP access
EPERM = "PermissionError 1"  # Landlock's refusal across its scope (unix sockets, signals)

# `{action}` is a Python expression; the outcome is "ok <repr of its value>" or the error.
_PROBE = """
os, socket, fcntl, signal, array = map(print.__self__.__import__,
                                       ["os", "socket", "fcntl", "signal", "array"])
def outcome():
    try:
        return "ok " + repr({action})
    except OSError as exc:
        return f"{{type(exc).__name__}} {{exc.errno}}"
"""

# A listener in a plain process of the Box: prints where it listens, then the first message.
_LISTENER = """
import socket, sys
if sys.argv[1] == "tcp":
    server = socket.create_server(("127.0.0.1", 0))
    print(server.getsockname()[1], flush=True)
else:
    server = socket.socket(socket.AF_UNIX)
    server.bind("\\0" + sys.argv[1])
    server.listen()
    print(sys.argv[1], flush=True)
connection, _ = server.accept()
print(connection.recv(64).decode(), flush=True)
"""


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1) as started:
        yield started


@pytest.fixture
def box(pool: PythonPool) -> BwrapBox:
    """The Box of the pool's only worker."""
    (worker,) = pool._idle
    assert isinstance(worker.box, BwrapBox)
    return worker.box


async def as_tool(pool: PythonPool, action: str) -> str:
    """The outcome of `action` run as tool code in the worker (under Landlock)."""
    code = _PROBE.format(action=action) + "def main():\n    return outcome()\n"
    return str(returned(await run(pool, code)))


async def as_plain_process(box: BwrapBox, action: str) -> str:
    """The outcome of `action` in a plain process of the same Box (no Landlock)."""
    result = await run_py(box, _PROBE.format(action=action) + "print(outcome())\n")
    assert result.ok, result.stderr
    return result.stdout.decode().strip()


@asynccontextmanager
async def listener(box: BwrapBox, kind: str) -> AsyncIterator[tuple[str, asyncio.StreamReader]]:
    """A listener (`tcp`, or an abstract unix socket name) in a plain process of `box`."""
    process = await box.start(["python3", "-I", "-c", _LISTENER, kind])
    try:
        address = (await process.stdout.readline()).decode().strip()
        yield address, process.stdout
    finally:
        process.kill()
        await process.wait()


async def test_creating_a_file_in_the_writable_dev_tmpfs_is_refused(
    pool: PythonPool, box: BwrapBox
) -> None:
    plant = "open('/dev/planted', 'w').write('x')"
    assert await as_tool(pool, plant) == EACCES
    assert await as_tool(pool, "os.path.exists('/dev/planted')") == "ok False"
    assert await as_plain_process(box, plant) == "ok 1"  # bwrap's /dev is a writable tmpfs


async def test_planting_a_socket_in_the_forward_relay_dir_is_refused(
    pool: PythonPool, box: BwrapBox
) -> None:
    plant = "socket.socket(socket.AF_UNIX).bind('/run/polybox/forward-8080.sock')"
    assert await as_tool(pool, plant) == EACCES
    assert list(box.run_dir.iterdir()) == []
    assert await as_plain_process(box, plant) == "ok None"  # the bind mount is writable
    assert [path.name for path in box.run_dir.iterdir()] == ["forward-8080.sock"]


async def test_truncating_a_file_outside_the_writable_dirs_is_refused(
    pool: PythonPool, box: BwrapBox
) -> None:
    notes = box.run_dir / "notes.txt"
    notes.write_text("unchanged")
    owner = box.run_dir.stat()
    os.chown(notes, owner.st_uid, owner.st_gid)  # writable by the Box's uid, as far as modes go
    assert await as_tool(pool, "os.truncate('/run/polybox/notes.txt', 0)") == EACCES
    assert await as_tool(pool, "open('/run/polybox/notes.txt', 'w')") == EACCES  # O_TRUNC
    assert notes.read_text() == "unchanged"
    assert await as_plain_process(box, "os.truncate('/run/polybox/notes.txt', 0)") == "ok None"
    assert notes.read_text() == ""


async def test_listing_the_box_root_outside_the_allowed_dirs_is_refused(
    pool: PythonPool, box: BwrapBox
) -> None:
    assert await as_tool(pool, "os.listdir('/')") == EACCES
    assert await as_tool(pool, "os.listdir('/run')") == EACCES
    assert "'workspace'" in await as_plain_process(box, "os.listdir('/')")


async def test_ioctl_on_an_opened_device_is_refused(pool: PythonPool, box: BwrapBox) -> None:
    entropy_count = (  # RNDGETENTCNT: a driver ioctl any uid may call
        "fcntl.ioctl(os.open('/dev/urandom', os.O_RDONLY), 0x80045200, array.array('i', [0]))"
    )
    assert await as_tool(pool, entropy_count) == EACCES
    assert await as_plain_process(box, entropy_count) == "ok 0"


async def test_opening_the_box_init_memory_to_leave_landlock_is_refused(
    pool: PythonPool, box: BwrapBox
) -> None:
    """bwrap's init (pid 1) runs as the same uid outside the worker's domain: writing its memory
    would run code free of Landlock. Landlock forbids ptrace-like access out of its domain."""
    open_mem = "os.open('/proc/1/mem', os.O_RDWR)"
    assert await as_tool(pool, open_mem) == EACCES
    assert await as_tool(pool, "open('/proc/1/environ', 'rb').read()") == EACCES
    assert (await as_plain_process(box, open_mem)).startswith("ok ")


@since_abi_4
async def test_binding_a_tcp_listener_inside_the_box_is_refused(
    pool: PythonPool, box: BwrapBox
) -> None:
    bind = "socket.socket().bind(('127.0.0.1', 0))"
    assert await as_tool(pool, bind) == EACCES
    assert await as_plain_process(box, bind) == "ok None"


@since_abi_4
@needs_root
async def test_tcp_connect_to_a_listener_in_the_box_network_namespace_is_refused(
    pool: PythonPool, box: BwrapBox
) -> None:
    async with listener(box, "tcp") as (port, heard):
        connect = "socket.create_connection(('127.0.0.1', {})).sendall({!r})"
        assert await as_tool(pool, connect.format(port, b"from the tool")) == EACCES
        sent = await as_plain_process(box, connect.format(port, b"from the control"))
        assert sent == "ok None"
        assert await heard.readline() == b"from the control\n"  # the tool's never arrived


@since_abi_6
@needs_root
async def test_connecting_to_an_abstract_unix_socket_outside_the_worker_is_refused(
    pool: PythonPool, box: BwrapBox
) -> None:
    async with listener(box, f"polybox-{secrets.token_hex(4)}") as (name, heard):
        connect = "socket.socket(socket.AF_UNIX).connect('\\0{}') or 'connected'"
        assert await as_tool(pool, connect.format(name)) == EPERM
        control = f"[s := socket.socket(socket.AF_UNIX), s.connect('\\0{name}'), s.send(b'ok')]"
        assert (await as_plain_process(box, control)).startswith("ok ")
        assert await heard.readline() == b"ok\n"  # the tool's connection never arrived


@since_abi_6
async def test_signalling_the_box_init_outside_the_worker_is_refused(
    pool: PythonPool, box: BwrapBox
) -> None:
    assert await as_tool(pool, "os.kill(1, signal.SIGTERM)") == EPERM
    assert await as_plain_process(box, "os.kill(1, 0)") == "ok None"  # same uid: allowed
    assert await as_tool(pool, "'still serving'") == "ok 'still serving'"
