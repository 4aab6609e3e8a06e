"""Where sandbox-visible dirs of a data dir live, and how an entry names its data dir."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from polybox.sandbox.hostdirs import SANDBOX_ROOT, owner_of, sandbox_dir


def test_unprivileged_dirs_stay_in_the_data_dir(tmp_path: Path) -> None:
    path = sandbox_dir(tmp_path, "boxes", privileged=False, mode=0o711)
    assert path == tmp_path / "boxes"
    assert path.stat().st_mode & 0o777 == 0o700


def test_privileged_entry_records_its_data_dir_privately(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the shared sandbox root is used only when polybox runs as root")
    path = sandbox_dir(tmp_path / "data", "packages", privileged=True, mode=0o755)
    try:
        assert path.parent.parent == SANDBOX_ROOT
        assert owner_of(path.parent) == tmp_path / "data"
        owner = path.parent / "data_dir"
        assert owner.stat().st_mode & 0o777 == 0o600
        assert owner.stat().st_uid == 0
    finally:
        shutil.rmtree(path.parent)


def test_an_entry_without_a_record_has_no_owner(tmp_path: Path) -> None:
    assert owner_of(tmp_path) is None
