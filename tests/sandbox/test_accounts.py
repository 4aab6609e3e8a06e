"""The sandbox account, created on first start by whichever process gets there first."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ProcessPoolExecutor

import pytest

from polybox.sandbox.accounts import Account, ensure_sandbox_user, find_sandbox_user

NAME = f"pbx-race-{os.getpid() % 100000}"


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a system user needs root")
def test_processes_creating_the_account_at_once_all_get_it() -> None:
    """Two xdist workers (or replicas) starting on a bare machine both create the account;
    the one whose useradd finds it already made must still succeed."""
    assert find_sandbox_user(NAME) is None
    try:
        with ProcessPoolExecutor(6) as pool:
            accounts: list[Account] = list(pool.map(ensure_sandbox_user, [NAME] * 6))
        assert len({(account.uid, account.gid) for account in accounts}) == 1, accounts
    finally:
        for _ in range(6):  # without the lock, useradd could have added the name more than once
            if find_sandbox_user(NAME) is None:
                break
            subprocess.run(["userdel", NAME], check=False, capture_output=True)
