"""Landlock in the workers: what tool code can still do under it, and that it is never claimed
without being in force. Real bwrap pools; the attacks it stops are in
tests/security/test_landlock_attacks.py."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from polybox.config import Settings
from polybox.sandbox.box import BoxError
from polybox.sandbox.bwrap import BwrapBackend, boxes_dir
from polybox.sandbox.capabilities import bwrap_config
from polybox.sandbox.python import PoolConfig, PythonPool
from polybox.sandbox.python.landlock import landlock_abi
from polybox.sandbox.python.packages import install_package, packages_dir_of
from sandbox.python.pools import bwrap_pool, returned, run
from sandbox.python.test_packages import use_polytiny
from wheels import build_polytiny

pytestmark = pytest.mark.anyio

KERNEL_ABI = landlock_abi()
needs_landlock = pytest.mark.skipif(KERNEL_ABI < 1, reason="this kernel has no Landlock")

EVERYDAY_WORK = """
imp = print.__self__.__import__
def main():
    os, shutil, subprocess, tempfile = map(imp, ["os", "shutil", "subprocess", "tempfile"])
    message = imp("email.message", fromlist=["_"])  # read from /usr/lib now, not preloaded
    stdlib = open(message.__file__).read(64)
    os.makedirs("/workspace/a", exist_ok=True)
    os.makedirs("/workspace/b", exist_ok=True)
    with open("/workspace/a/data.txt", "w") as f:
        f.write("kept")
    os.rename("/workspace/a/data.txt", "/workspace/b/data.txt")
    os.link("/workspace/b/data.txt", "/workspace/a/again.txt")
    os.truncate("/workspace/a/again.txt", 2)
    with tempfile.NamedTemporaryFile("w", dir="/tmp", delete=False) as f:
        f.write("scratch")
    shutil.move(f.name, "/dev/shm/moved")
    with open("/dev/null", "w") as devnull:
        devnull.write("discarded")
    echo = subprocess.run(["/bin/echo", "runs"], capture_output=True, text=True).stdout
    return [stdlib.startswith("# Copyright"), open("/workspace/b/data.txt").read(),
            open("/dev/shm/moved").read(), len(os.urandom(8)), echo.strip()]
"""


@asynccontextmanager
async def pool_claiming_landlock_abi(tmp_path: Path, abi: int) -> AsyncIterator[PythonPool]:
    """An unstarted one-worker pool whose bwrap backend lists Landlock ABI `abi`."""
    settings = Settings(data_dir=tmp_path, sandbox="bwrap")
    config = dataclasses.replace(bwrap_config(settings), landlock_abi=abi)
    backend = BwrapBackend(boxes_dir(tmp_path, config.account), config)
    pool = PythonPool(backend, dataclasses.replace(PoolConfig.from_settings(settings), size=1))
    try:
        yield pool
    finally:
        await pool.close()
        await backend.close()


@needs_landlock
async def test_every_worker_reports_the_kernels_landlock_abi_in_its_ready_frame(
    tmp_path: Path,
) -> None:
    async with bwrap_pool(tmp_path, size=2) as pool:
        assert [worker.landlock_abi for worker in pool._idle] == [KERNEL_ABI, KERNEL_ABI]
        assert f"landlock ABI {KERNEL_ABI} (Python workers)" in pool.backend.isolation_layers()


async def test_tool_code_under_landlock_reads_the_stdlib_writes_workspace_tmp_and_shm(
    tmp_path: Path,
) -> None:
    async with bwrap_pool(tmp_path, size=1) as pool:
        assert returned(await run(pool, EVERYDAY_WORK)) == [True, "ke", "scratch", 8, "runs"]


async def test_an_approved_package_imports_under_landlock(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    packages = packages_dir_of(data_dir)  # as root: outside the data dir, removed below
    build_polytiny(tmp_path / "wheels")
    try:
        await install_package("polytiny==1.0", packages, find_links=tmp_path / "wheels")
        async with bwrap_pool(data_dir, size=1) as pool:
            assert pool._idle[0].landlock_abi == KERNEL_ABI
            assert (await use_polytiny(pool)).result == "HI!"
    finally:
        if not packages.is_relative_to(data_dir):
            shutil.rmtree(packages.parent)


async def test_without_landlock_the_backend_lists_no_such_layer_and_workers_report_zero(
    tmp_path: Path,
) -> None:
    """The degraded path (a kernel without Landlock), taken here by a config that says ABI 0."""
    async with pool_claiming_landlock_abi(tmp_path, 0) as pool:
        assert not any("landlock" in layer for layer in pool.backend.isolation_layers())
        await pool.start()
        assert pool._idle[0].landlock_abi == 0
        listing = (
            "imp = print.__self__.__import__\ndef main():\n    return imp('os').listdir('/')\n"
        )
        assert "workspace" in returned(await run(pool, listing))  # no Landlock: / is listable


@needs_landlock
async def test_a_worker_whose_landlock_differs_from_the_listed_layer_is_refused(
    tmp_path: Path,
) -> None:
    claimed = KERNEL_ABI + 1  # the backend claims an ABI the worker cannot have applied
    async with pool_claiming_landlock_abi(tmp_path, claimed) as pool:
        with pytest.raises(BoxError) as info:
            await pool.start()
    assert str(info.value) == (
        f"no Python worker could start: BoxError: the worker runs under Landlock ABI "
        f"{KERNEL_ABI}, but the bwrap backend lists ABI {claimed} as a layer; refusing it rather "
        "than claiming a layer that is not in force (check `polybox doctor`)"
    )
