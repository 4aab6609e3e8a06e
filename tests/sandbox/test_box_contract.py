"""The Box API contract, on every backend that runs here for real: bwrap and unsafe-local.

Each test runs once per backend (ids `[bwrap]`, `[unsafe-local]`): what the layers above the
sandbox may rely on whatever isolates the Box. Backend-specific behaviour lives in
test_box_bwrap.py and test_box_local.py; the docker backend (no engine here) in
test_box_docker.py.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from polybox.config import Settings
from polybox.sandbox.backends import create_backend
from polybox.sandbox.box import (
    Box,
    BoxBackend,
    BoxClosedError,
    BoxError,
    BoxSpec,
    Limits,
    PathEscapeError,
)

pytestmark = pytest.mark.anyio
HOST_ONLY = "POLYBOX_TEST_HOST_ONLY"


@pytest.fixture(params=["bwrap", "unsafe-local"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BoxBackend]:
    created = create_backend(Settings(data_dir=tmp_path, sandbox=request.param))
    assert created.name == request.param
    yield created
    await created.close()


@pytest.fixture
async def box(backend: BoxBackend) -> Box:
    return await backend.create(BoxSpec(limits=Limits(memory_mb=256, open_files=64)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_exec_passes_stdin_and_only_the_given_env(
    box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOST_ONLY, "secret")
    code = "import os, sys; print(sys.stdin.read(), os.environ.get('A'), sorted(os.environ))"
    result = await box.exec(["python3", "-c", code], stdin=b"in", env={"A": "1"}, timeout=10)
    assert result.ok
    text = result.stdout.decode()
    assert text.startswith("in 1 ")
    assert {"'A'", "'HOME'", "'LANG'", "'PATH'"} <= set(text[5:].strip("[]\n").split(", "))
    assert HOST_ONLY not in text


async def test_exec_reports_the_exit_code_and_stderr(box: Box) -> None:
    code = "import sys; sys.stderr.write('bad'); sys.exit(3)"
    result = await box.exec(["python3", "-c", code], timeout=10)
    assert (result.exit_code, result.stderr, result.ok, result.timed_out) == (
        3,
        b"bad",
        False,
        False,
    )


async def test_exec_timeout_kills_the_process_and_its_children(box: Box) -> None:
    code = "import subprocess, time; subprocess.Popen(['sleep', '30']); time.sleep(30)"
    result = await box.exec(["python3", "-c", code], timeout=0.5)
    assert result.timed_out
    assert not result.ok
    assert result.duration < 3  # the child kept no pipe open past the kill


async def test_exec_output_is_capped_and_flagged(box: Box) -> None:
    result = await box.exec(["python3", "-c", "print('x' * 5000)"], timeout=10, output_limit=100)
    assert result.truncated
    assert result.stdout == b"x" * 100


async def test_memory_limit_stops_a_large_allocation(box: Box) -> None:
    result = await box.exec(["python3", "-c", "b = bytearray(400 << 20)"], timeout=10)
    assert b"MemoryError" in result.stderr


async def test_open_files_limit_applies(box: Box) -> None:
    code = "import resource; print(resource.getrlimit(resource.RLIMIT_NOFILE))"
    assert (await box.exec(["python3", "-c", code], timeout=10)).stdout == b"(64, 64)\n"


async def test_start_gives_a_piped_process_whose_stderr_goes_to_the_box_log(box: Box) -> None:
    code = (
        "import sys\nsys.stderr.write('worker up\\n'); sys.stderr.flush()\n"
        "for line in sys.stdin: print(line.strip()[::-1], flush=True)"
    )
    process = await box.start(["python3", "-u", "-c", code])
    process.stdin.write(b"abc\n")
    await process.stdin.drain()
    assert await process.stdout.readline() == b"cba\n"
    assert await box.read_log() == b"worker up\n"
    assert process.returncode is None
    process.kill()
    assert await process.wait() < 0


async def test_spawn_logs_stdout_and_stderr_to_a_file_outside_the_box(box: Box) -> None:
    code = "import sys; print('out'); sys.stderr.write('err')"
    job = await box.spawn(["python3", "-u", "-c", code], name="job")
    assert await job.wait() == 0
    assert job.returncode == 0
    assert sorted((await job.tail()).split()) == [b"err", b"out"]
    listed = [info.path for info in await box.list_files()]
    assert not any("job" in path for path in listed)
    with pytest.raises(BoxError, match="process name"):
        await box.spawn(["true"], name="../escape")


async def test_files_round_trip_and_list(box: Box) -> None:
    await box.write_file("dir/a.txt", b"hello")
    result = await box.exec(["cat", "dir/a.txt"], timeout=10)
    assert result.stdout == b"hello"
    await box.exec(["python3", "-c", "open('dir/b.txt', 'w').write('box')"], timeout=10)
    assert [info.path for info in await box.list_files("dir")] == ["dir/a.txt", "dir/b.txt"]
    assert await box.read_file("dir/b.txt") == b"box"
    assert [(info.path, info.is_dir) for info in await box.list_files()] == [("dir", True)]


async def test_file_paths_that_leave_the_workspace_are_refused(box: Box) -> None:
    await box.exec(["ln", "-s", "/etc", "link"], timeout=10)
    for path in ("/etc/passwd", "../x", "a/../../x", "link/passwd"):
        with pytest.raises(PathEscapeError):
            await box.read_file(path)
        with pytest.raises(PathEscapeError):
            await box.write_file(path, b"x")
    with pytest.raises(FileNotFoundError):
        await box.read_file("missing.txt")


async def test_forward_reaches_an_http_server_spawned_in_the_box(box: Box) -> None:
    port = free_port()
    await box.write_file("site/index.html", b"from the box")
    argv = ["python3", "-u", "-m", "http.server", "-b", "127.0.0.1", str(port), "-d", "site"]
    server = await box.spawn(argv, name="web")
    ready = await box.exec(["python3", "-c", _WAIT_FOR_PORT, str(port)], timeout=10)
    assert ready.ok, ready.stderr
    forward = await box.forward(port)
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{forward.host_port}/index.html")
    assert response.text == "from the box"
    await forward.close()
    server.kill()
    assert b"GET /index.html" in await server.tail()
    with pytest.raises(BoxError, match="not a TCP port"):
        await box.forward(0)


_WAIT_FOR_PORT = """
import socket, sys, time
deadline = time.monotonic() + 9
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.02)
"""


async def test_destroy_kills_everything_and_is_final(box: Box) -> None:
    process = await box.start(["python3", "-c", "import time; time.sleep(60)"])
    await box.write_file("a.txt", b"a")
    await box.destroy()
    assert process.returncode is not None
    for operation in (box.exec(["true"], timeout=5), box.read_file("a.txt"), box.forward(80)):
        with pytest.raises(BoxClosedError):
            await operation
    await box.destroy()  # idempotent


async def test_close_destroys_the_boxes_a_backend_still_owns(backend: BoxBackend) -> None:
    box = await backend.create()
    process = await box.start(["python3", "-c", "import time; time.sleep(60)"])
    await backend.close()
    assert process.returncode is not None
    with pytest.raises(BoxClosedError):
        await box.exec(["true"], timeout=5)
