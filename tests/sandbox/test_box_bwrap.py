"""The Box API on the real bwrap backend: exec, start, spawn, files, forward, destroy, limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from polybox.config import Settings
from polybox.sandbox.backends import create_backend
from polybox.sandbox.box import Box, BoxBackend, BoxClosedError, BoxSpec, Limits
from polybox.sandbox.capabilities import bwrap_config, bwrap_layers, check_host
from polybox.sandbox.local import LocalBackend

pytestmark = pytest.mark.anyio


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[BoxBackend]:
    created = create_backend(Settings(data_dir=tmp_path))
    yield created
    await created.close()


@pytest.fixture
async def box(backend: BoxBackend) -> Box:
    return await backend.create(BoxSpec(limits=Limits(memory_mb=256, open_files=64)))


async def test_auto_picks_bwrap_when_the_host_supports_it(backend: BoxBackend) -> None:
    assert backend.name == "bwrap"


def test_unsafe_local_is_only_used_when_chosen(tmp_path: Path) -> None:
    chosen = create_backend(Settings(data_dir=tmp_path, sandbox="unsafe-local"))
    assert isinstance(chosen, LocalBackend)


def test_missing_sandbox_user_refuses_and_names_the_setting(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sandbox_user="polybox-no-such-user")
    with pytest.raises(Exception, match="POLYBOX_SANDBOX=unsafe-local") as info:
        create_backend(settings)
    assert "polybox doctor --fix" in str(info.value)


def test_capabilities_report_every_layer_with_fixes(tmp_path: Path) -> None:
    checks = {check.name: check for check in check_host(Settings(data_dir=tmp_path))}
    assert checks["bubblewrap"].ok
    assert checks["user namespaces"].ok
    assert checks["seccomp"].ok
    assert not checks["docker"].ok
    assert checks["docker"].fix
    layers = bwrap_layers(bwrap_config(Settings(data_dir=tmp_path)))
    assert "seccomp" in layers


async def test_exec_passes_stdin_and_only_the_given_env(box: Box) -> None:
    code = "import os, sys; print(sys.stdin.read(), sorted(os.environ))"
    result = await box.exec(["python3", "-c", code], stdin=b"in", env={"A": "1"}, timeout=10)
    assert result.stdout == b"in ['A', 'HOME', 'LANG', 'PATH', 'PWD']\n"
    assert result.ok


async def test_exec_timeout_kills_on_time(box: Box) -> None:
    result = await box.exec(["python3", "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert result.timed_out
    assert result.duration < 3


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


async def test_start_gives_a_piped_long_lived_process(box: Box) -> None:
    code = "import sys\nfor line in sys.stdin: print(line.strip()[::-1], flush=True)"
    process = await box.start(["python3", "-u", "-c", code])
    process.stdin.write(b"abc\n")
    await process.stdin.drain()
    assert await process.stdout.readline() == b"cba\n"
    process.kill()
    assert await process.wait() < 0


async def test_files_round_trip_and_list(box: Box) -> None:
    await box.write_file("dir/a.txt", b"hello")
    result = await box.exec(["cat", "/workspace/dir/a.txt"], timeout=10)
    assert result.stdout == b"hello"
    assert [info.path for info in await box.list_files("dir")] == ["dir/a.txt"]
    assert await box.read_file("dir/a.txt") == b"hello"


async def _wait_for_log(process_tail: object, needle: bytes) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if needle in await process_tail():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{needle!r} never logged")


async def test_forward_reaches_an_http_server_spawned_in_the_box(box: Box) -> None:
    await box.write_file("site/index.html", b"from the box")
    server = await box.spawn(
        ["python3", "-u", "-m", "http.server", "-b", "127.0.0.1", "8080", "-d", "site"], name="web"
    )
    await _wait_for_log(server.tail, b"Serving HTTP")
    forward = await box.forward(8080)
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{forward.host_port}/index.html")
    assert response.text == "from the box"
    assert b"GET /index.html" in await server.tail()
    await forward.close()


async def test_destroy_kills_everything_and_removes_the_workspace(box: Box) -> None:
    process = await box.start(["python3", "-c", "import time; time.sleep(60)"])
    assert isinstance(box.spec, BoxSpec)
    await box.destroy()
    assert process.returncode is not None
    with pytest.raises(BoxClosedError):
        await box.exec(["true"], timeout=5)
    await box.destroy()  # idempotent


async def test_cold_exec_is_fast(box: Box) -> None:
    durations = [
        (await box.exec(["python3", "-I", "-S", "-c", "pass"], timeout=10)).duration
        for _ in range(5)
    ]
    assert min(durations) < 0.2  # sanity bound only; bench/ measures properly
