"""Approved packages: installed as wheels into the packages dir, importable by allowed tools."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from polybox.sandbox.python import DEFAULT_ALLOWED_MODULES, PythonPool, RunResult
from polybox.sandbox.python.packages import PackageInstallError, install_package, packages_dir_of
from sandbox.python.pools import NO_EGRESS, bwrap_pool
from wheels import build_polytiny

pytestmark = pytest.mark.anyio

USE_POLYTINY = "import polytiny\ndef main():\n    return polytiny.shout('hi')\n"


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data dir under a 0700 parent, as in production (e.g. under /root).

    As root its sandbox-visible dirs live outside it; they are removed afterwards.
    """
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    data = private / "data"
    yield data
    outside = packages_dir_of(data).parent
    if not outside.is_relative_to(data):
        shutil.rmtree(outside)


async def use_polytiny(pool: PythonPool) -> RunResult:
    allowed = DEFAULT_ALLOWED_MODULES | {"polytiny"}
    return await pool.run(
        USE_POLYTINY, {}, scope="s", secrets={}, egress=NO_EGRESS, allowed_modules=allowed
    )


async def test_a_package_installed_in_the_production_location_imports_in_a_box(
    tmp_path: Path, data_dir: Path
) -> None:
    build_polytiny(tmp_path / "wheels")
    packages = packages_dir_of(data_dir)
    if os.geteuid() == 0:  # reachable by the sandbox uid, writable by root only
        assert not packages.is_relative_to(data_dir)
        info = packages.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o755)
    await install_package("polytiny==1.0", packages, find_links=tmp_path / "wheels")
    async with bwrap_pool(data_dir, size=1) as pool:
        assert pool.config.packages_dir == packages
        assert (await use_polytiny(pool)).result == "HI!"
        refused = await pool.run(USE_POLYTINY, {}, scope="s", secrets={}, egress=NO_EGRESS)
        assert refused.error is not None
        assert "'polytiny'" in refused.error.message


async def test_a_package_installed_while_workers_run_is_importable_by_their_next_call(
    tmp_path: Path, data_dir: Path
) -> None:
    wheels = tmp_path / "wheels"
    async with bwrap_pool(data_dir, size=1) as pool:  # one worker: it serves every call
        missing = await use_polytiny(pool)
        assert missing.error is not None
        assert missing.error.type == "ModuleNotFoundError"
        build_polytiny(wheels)
        await install_package("polytiny==1.0", packages_dir_of(data_dir), find_links=wheels)
        assert (await use_polytiny(pool)).result == "HI!"
        build_polytiny(wheels, version="2.0", suffix="!!")
        await install_package("polytiny==2.0", packages_dir_of(data_dir), find_links=wheels)
        assert (await use_polytiny(pool)).result == "HI!!"


async def test_a_requirement_that_is_not_a_plain_name_is_refused(tmp_path: Path) -> None:
    for bad in ("--index-url=http://evil/ x", "git+https://x/y.git", "../local", "x; rm -rf /"):
        with pytest.raises(PackageInstallError, match="not a package name"):
            await install_package(bad, tmp_path)


async def test_a_missing_package_fails_with_pips_reason(tmp_path: Path) -> None:
    with pytest.raises(PackageInstallError, match="No matching distribution"):
        await install_package("polytiny-missing", tmp_path / "p", find_links=tmp_path)
