"""The unprivileged account bwrap Boxes run as when polybox itself runs as root.

Starting bwrap as root would give Box code a way back to host root (e.g. through
/proc/sys/kernel/core_pattern); a dedicated system account with no home and no login shell
owns every Box process and workspace instead.
"""

from __future__ import annotations

import fcntl
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from polybox.sandbox.box import SandboxUnavailableError


@dataclass(frozen=True)
class Account:
    """The uid/gid Box processes run as."""

    name: str
    uid: int
    gid: int


def find_sandbox_user(name: str) -> Account | None:
    """The account, or None when it does not exist."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return Account(name, entry.pw_uid, entry.pw_gid)


USERADD_LOCK = Path("/run/lock/polybox-useradd.lock")


def ensure_sandbox_user(name: str) -> Account:
    """Create the account if needed (root only): system user, own group, no home, nologin.

    Several processes may start at once (test workers, replicas). `useradd` itself does not make
    that safe: two of them that both find the name free both add it, with two uids. So the check
    and the creation hold one host-wide lock.
    """
    existing = find_sandbox_user(name)
    if existing is not None:
        return existing
    USERADD_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with USERADD_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return find_sandbox_user(name) or _useradd(name)


def _useradd(name: str) -> Account:
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    nologin = shutil.which("nologin") or "/usr/sbin/nologin"
    result = subprocess.run(
        [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", nologin, name],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SandboxUnavailableError(
            f"cannot create sandbox user {name!r}: {result.stderr.strip() or result.returncode}"
        )
    created = find_sandbox_user(name)
    if created is None:
        raise SandboxUnavailableError(f"useradd succeeded but {name!r} is not in passwd")
    return created
