"""The disk quota of a Box's /workspace: a loop-mounted ext4 image (root), gone with its Box."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.config import Settings
from polybox.sandbox.box import BoxSpec
from polybox.sandbox.bwrap import BwrapBackend, BwrapBox, boxes_dir
from polybox.sandbox.capabilities import bwrap_config
from polybox.sandbox.diskquota import DiskQuota, image_quota_available

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not image_quota_available(), reason="needs root, loop devices, mkfs.ext4"),
]


@pytest.fixture
async def backends(tmp_path: Path) -> AsyncIterator[tuple[BwrapBackend, BwrapBackend]]:
    config = bwrap_config(Settings(data_dir=tmp_path))
    boxes = boxes_dir(tmp_path, config.account)
    first, second = BwrapBackend(boxes, config), BwrapBackend(boxes, config)
    yield first, second
    await first.close()
    await second.close()


def _mounted(path: Path) -> bool:
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    return any(line.split()[1] == str(path) for line in mounts)


async def test_writes_beyond_the_image_fail_and_the_image_goes_with_its_box(
    backends: tuple[BwrapBackend, BwrapBackend],
) -> None:
    box = await backends[0].create(BoxSpec())
    assert isinstance(box, BwrapBox)
    quota = await DiskQuota.attach(box, 64)
    assert quota.mode == "image"
    assert _mounted(box.workspace.root)
    await box.write_file("kept.txt", b"hello")  # the host's file operations reach the image
    fill = await box.exec(["dd", "if=/dev/zero", "of=fill", "bs=1M", "count=200"], timeout=30)
    assert fill.exit_code != 0
    assert b"No space left on device" in fill.stderr
    assert await quota.used_bytes() <= 64 << 20
    assert await box.read_file("kept.txt") == b"hello"
    await box.destroy()
    assert not _mounted(box.workspace.root)
    assert not box.dir.exists()


async def test_the_image_of_a_dead_runs_box_is_unmounted_at_start_up(
    backends: tuple[BwrapBackend, BwrapBackend],
) -> None:
    first, second = backends
    box = await first.create(BoxSpec())
    assert isinstance(box, BwrapBox)
    await DiskQuota.attach(box, 64)
    first._boxes.clear()  # `first` dies without closing (see test_box_bwrap's leftovers test)
    assert first._run is not None
    first._run.release()
    (second.boxes_dir / f"{box.id.split('-')[0]}.run").touch()
    assert await second.remove_leftovers() == 1
    assert not _mounted(box.workspace.root)
    assert not box.dir.exists()
