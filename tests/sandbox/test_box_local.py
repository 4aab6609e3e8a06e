"""What only the unsafe-local backend does: a directory and rlimits, no isolation.

The Box API contract it shares with bwrap is in test_box_contract.py.
"""

from __future__ import annotations

import resource
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.box import BoxSpec, Limits
from polybox.sandbox.hostbox import HostBox
from polybox.sandbox.local import LocalBackend

pytestmark = pytest.mark.anyio


@pytest.fixture
async def box(tmp_path: Path) -> AsyncIterator[HostBox]:
    backend = LocalBackend(tmp_path / "boxes")
    created = await backend.create(BoxSpec(limits=Limits(processes=3)))
    assert isinstance(created, HostBox)
    yield created
    await backend.close()


async def test_processes_run_in_the_workspace_directory_with_home_there(box: HostBox) -> None:
    code = "import os; print(os.getcwd()); print(os.environ['HOME'])"
    result = await box.exec(["python3", "-c", code], timeout=10)
    root = str(box.workspace.root)
    assert result.stdout.decode().splitlines() == [root, root]


async def test_the_per_uid_process_limit_is_left_alone(box: HostBox) -> None:
    """RLIMIT_NPROC counts every process of the uid, which a local Box shares with polybox."""
    code = "import resource; print(resource.getrlimit(resource.RLIMIT_NPROC))"
    result = await box.exec(["python3", "-c", code], timeout=10)
    assert result.stdout.decode().strip() == str(resource.getrlimit(resource.RLIMIT_NPROC))


async def test_destroy_removes_the_box_directory(box: HostBox) -> None:
    await box.write_file("a.txt", b"a")
    await box.destroy()
    assert not box.dir.exists()
