"""A disk quota on a host Box's /workspace: a loop-mounted ext4 image as root, else a `du` check.

As root with loop devices, the workspace directory becomes the mount point of a sparse ext4
image of the quota's size (`mkfs.ext4 -q`, `mount -o loop`; about 0.1 s): a write beyond it fails
with ENOSPC inside the Box, whatever wrote it. Without root, `used_bytes` is a walk of the tree
and the caller refuses further work once it is over the quota (and says so). `HostBox.destroy`
unmounts the image before it removes the Box directory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from polybox.sandbox.box import BoxError

if TYPE_CHECKING:
    from polybox.sandbox.hostbox import HostBox

_MB = 1024 * 1024
_IMAGE = "workspace.img"


def image_quota_available() -> bool:
    """Whether this host can give workspaces an image quota (root, loop devices, mkfs.ext4)."""
    return (
        os.geteuid() == 0
        and Path("/dev/loop-control").exists()
        and shutil.which("mkfs.ext4") is not None
        and shutil.which("mount") is not None
    )


def _tree_bytes(root: Path) -> int:
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                continue
    return total


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise BoxError(f"{argv[0]} failed: {done.stderr.strip()[:500]}")


class DiskQuota:
    """The quota of one Box's workspace; `mode` is "image" or "du"."""

    def __init__(self, box: HostBox, size_mb: int, mode: str) -> None:
        self.box = box
        self.size_mb = size_mb
        self.mode = mode

    @classmethod
    async def attach(cls, box: HostBox, size_mb: int) -> DiskQuota:
        """Put the quota on `box`'s (still empty) workspace: an image where possible."""
        quota = cls(box, size_mb, "image" if image_quota_available() else "du")
        if quota.mode == "image":
            await asyncio.to_thread(quota._mount)
        return quota

    def _mount(self) -> None:
        root = self.box.workspace.root
        info = os.stat(root)
        image = self.box.dir / _IMAGE
        with image.open("xb") as handle:
            handle.truncate(self.size_mb * _MB)
        os.chmod(image, 0o600)
        _run(["mkfs.ext4", "-q", "-F", "-m", "0",
              "-E", f"root_owner={info.st_uid}:{info.st_gid}", str(image)])  # fmt: skip
        _run(["mount", "-o", "loop,nosuid,nodev", str(image), str(root)])
        os.chmod(root, 0o700)
        (root / "lost+found").rmdir()

    async def used_bytes(self) -> int:
        """Bytes the workspace uses now."""
        root = self.box.workspace.root
        if self.mode == "image":
            stat = await asyncio.to_thread(os.statvfs, root)
            return (stat.f_blocks - stat.f_bfree) * stat.f_frsize
        return await asyncio.to_thread(_tree_bytes, root)

    async def over(self) -> bool:
        """Whether the workspace uses its whole quota (in `du` mode the caller then refuses
        more work; an image cannot pass it)."""
        return await self.used_bytes() >= self.size_mb * _MB


def unmount_workspace(box_dir: Path) -> None:
    """Unmount a Box's disk image, if it has one (blocking; its processes must be dead).

    `HostBox.destroy` calls it, as does the removal of the Boxes a dead process left behind.
    """
    workspace = box_dir / "workspace"
    if os.path.ismount(workspace):
        _run(["umount", "--lazy", str(workspace)])
