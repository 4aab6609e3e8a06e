"""What only the bwrap backend does, on the real bwrap sandbox.

The Box API contract shared with the other backends is in test_box_contract.py; attacks on the
isolation are in tests/security/.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.config import Settings
from polybox.sandbox.box import Box, BoxError, BoxSpec, Limits
from polybox.sandbox.bwrap import BwrapBackend, BwrapBox, boxes_dir
from polybox.sandbox.capabilities import bwrap_config
from polybox.sandbox.cgroups import CGROUP_ROOT

pytestmark = pytest.mark.anyio


@pytest.fixture
async def box(tmp_path: Path) -> AsyncIterator[Box]:
    config = bwrap_config(Settings(data_dir=tmp_path))
    backend = BwrapBackend(boxes_dir(tmp_path, config.account), config)
    yield await backend.create(BoxSpec())
    await backend.close()


async def test_processes_see_their_workspace_at_slash_workspace(box: Box) -> None:
    await box.write_file("dir/a.txt", b"hello")
    result = await box.exec(["cat", "/workspace/dir/a.txt"], timeout=10)
    assert result.stdout == b"hello"
    assert (await box.exec(["pwd"], timeout=10)).stdout == b"/workspace\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="the drop to the sandbox user happens as root")
async def test_processes_run_as_the_sandbox_user_not_root(box: Box) -> None:
    uid = (await box.exec(["python3", "-c", "import os; print(os.getuid())"], timeout=10)).stdout
    assert int(uid) not in (0, os.getuid())


async def test_a_sized_workspace_is_a_tmpfs_the_host_file_operations_refuse(tmp_path: Path) -> None:
    config = bwrap_config(Settings(data_dir=tmp_path))
    backend = BwrapBackend(boxes_dir(tmp_path, config.account), config)
    try:
        box = await backend.create(BoxSpec(limits=Limits(workspace_size_mb=1)))
        script = "open('/workspace/big', 'wb').write(b'x' * 2 * 1024 * 1024)"
        result = await box.exec(["python3", "-I", "-S", "-c", script], timeout=10)
        assert b"No space left on device" in result.stderr
        with pytest.raises(BoxError, match="the host cannot reach its files"):
            await box.write_file("a.txt", b"hello")
    finally:
        await backend.close()


async def test_leftovers_of_a_dead_run_are_removed_and_a_live_runs_boxes_are_not(
    tmp_path: Path,
) -> None:
    config = bwrap_config(Settings(data_dir=tmp_path))
    boxes = boxes_dir(tmp_path, config.account)
    first, second = BwrapBackend(boxes, config), BwrapBackend(boxes, config)
    try:
        box = await first.create(BoxSpec())
        assert isinstance(box, BwrapBox)
        assert await second.remove_leftovers() == 0  # `first` is alive (as stdio beside serve)
        assert box.dir.is_dir()
        first._boxes.clear()  # `first` dies without closing: its lock goes with its process
        assert first._run is not None
        first._run.release()
        (boxes / f"{box.id.split('-')[0]}.run").touch()
        assert await second.remove_leftovers() == 1
        assert not box.dir.exists()
        assert box.cgroup is None or not any(path.exists() for path in box.cgroup.dirs)
    finally:
        await first.close()
        await second.close()


async def test_a_box_cgroup_tells_the_cpu_time_and_memory_its_processes_used(box: Box) -> None:
    """What the admin's workspace list shows as CPU and memory now (cgroup v2, or v1 with
    the cpuacct hierarchy, which this host offers when polybox may write there)."""
    assert isinstance(box, BwrapBox)
    if box.cgroup is None:
        pytest.skip("NO Box cgroup on this host: CPU and memory are not measured")
    if not box.cgroup.v2 and not os.access(CGROUP_ROOT / "cpuacct", os.W_OK):
        pytest.skip("NO cpuacct hierarchy writable on this cgroup v1 host: CPU is not measured")
    spin = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass"
    await box.exec(["python3", "-c", spin], timeout=30)
    cpu, memory = box.cgroup.usage()
    assert memory is not None
    assert cpu is not None
    assert cpu >= 0.5
