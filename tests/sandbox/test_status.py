"""What `open_backend` reports to /readyz and doctor: isolated, unsafe, or unavailable and why."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from polybox.config import Settings
from polybox.sandbox.accounts import find_sandbox_user
from polybox.sandbox.status import open_backend

pytestmark = pytest.mark.anyio


@pytest.fixture
def fresh_account_name() -> Iterator[str]:
    """A sandbox account name that does not exist yet; removed again afterwards."""
    name = f"pbx-t{uuid.uuid4().hex[:8]}"
    yield name
    if find_sandbox_user(name) is not None:
        subprocess.run(["userdel", name], check=True, capture_output=True)


async def test_open_backend_as_root_creates_the_missing_sandbox_account(
    tmp_path: Path, fresh_account_name: str
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root creates the sandbox account")
    assert find_sandbox_user(fresh_account_name) is None
    backend, status = open_backend(Settings(data_dir=tmp_path, sandbox_user=fresh_account_name))
    assert backend is not None
    await backend.close()
    account = find_sandbox_user(fresh_account_name)
    assert account is not None
    assert status.usable
    assert status.isolated
    assert f"runs as uid {account.uid}" in status.layers


async def test_unsafe_local_is_usable_but_flagged(tmp_path: Path) -> None:
    backend, status = open_backend(Settings(data_dir=tmp_path, sandbox="unsafe-local"))
    assert backend is not None
    await backend.close()
    assert (status.usable, status.isolated) == (True, False)
    assert status.as_dict()["detail"] == "UNSAFE: tool code runs without a sandbox"


def test_without_bubblewrap_there_is_no_backend_and_the_reason_names_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap to be found
    backend, status = open_backend(Settings(data_dir=tmp_path))
    assert backend is None
    assert not status.usable
    assert status.problem is not None
    assert "POLYBOX_SANDBOX=unsafe-local" in status.problem
    assert "apt-get install bubblewrap" in status.problem
