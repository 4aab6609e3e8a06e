"""What isolation this host offers, checked for real (bwrap is actually started).

`polybox doctor` and the health endpoint show `check_host()`; `bwrap_config()` turns the same
facts into the configuration of the bwrap backend or refuses with the fix.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from polybox.config import Settings
from polybox.sandbox import seccomp
from polybox.sandbox.accounts import Account, find_sandbox_user
from polybox.sandbox.box import SandboxUnavailableError
from polybox.sandbox.bwrap import BwrapConfig
from polybox.sandbox.cgroups import detect_layout
from polybox.sandbox.preexec import untraced
from polybox.sandbox.python.landlock import landlock_abi

_DISABLE_USERNS_SINCE = (0, 8)


@dataclass(frozen=True)
class Check:
    """One fact about the host: ok or not, what was found, and how to fix it when not ok.

    A `warning` check works but deserves the operator's attention (e.g. tool code unisolated).
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False


def _bwrap_version(bwrap: str) -> tuple[int, ...] | None:
    result = subprocess.run([bwrap, "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", result.stdout)
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def _try_bwrap(bwrap: str, account: Account | None) -> tuple[bool, str]:
    """Start a minimal bwrap sandbox as the sandbox uid: proves user namespaces work here."""

    def drop() -> None:
        if account is not None:
            os.setgroups([])
            os.setresgid(account.gid, account.gid, account.gid)
            os.setresuid(account.uid, account.uid, account.uid)

    argv = [bwrap, "--unshare-user", "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/"]
    result = subprocess.run(
        [*argv, "--", "/bin/true"],
        capture_output=True,
        text=True,
        check=False,
        env={},
        preexec_fn=untraced(drop),
        timeout=10,
    )
    return result.returncode == 0, result.stderr.strip()


def _account(settings: Settings) -> tuple[Account | None, Check]:
    if os.geteuid() != 0:
        return None, Check("sandbox user", True, f"unprivileged: Boxes run as uid {os.geteuid()}")
    account = find_sandbox_user(settings.sandbox_user)
    if account is None:
        return None, Check(
            "sandbox user",
            False,
            f"{settings.sandbox_user!r} does not exist",
            "polybox doctor --fix",
        )
    return account, Check("sandbox user", True, f"{account.name} (uid {account.uid})")


def check_host(settings: Settings) -> list[Check]:
    """Every isolation fact polybox relies on, each with its fix."""
    checks = []
    account, account_check = _account(settings)
    checks.append(account_check)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        checks.append(Check("bubblewrap", False, "bwrap not found", "apt-get install bubblewrap"))
    else:
        version = _bwrap_version(bwrap)
        shown = ".".join(map(str, version)) if version else "unknown version"
        checks.append(Check("bubblewrap", True, f"{bwrap} {shown}"))
        if account_check.ok:
            works, error = _try_bwrap(bwrap, account)
            checks.append(
                Check(
                    "user namespaces",
                    works,
                    "bwrap starts as the sandbox user" if works else error,
                    ""
                    if works
                    else "sysctl kernel.unprivileged_userns_clone=1 "
                    "(and user.max_user_namespaces > 0; on Ubuntu also "
                    "kernel.apparmor_restrict_unprivileged_userns=0)",
                )
            )
    seccomp_ok, seccomp_error = seccomp.available()
    checks.append(
        Check("seccomp", seccomp_ok, "filter compiles" if seccomp_ok else seccomp_error,
              "" if seccomp_ok else "apt-get install libseccomp2")
    )  # fmt: skip
    layout, reason = detect_layout()
    checks.append(
        Check(
            "cgroups",
            layout is not None,
            (f"cgroup v{2 if layout.v2 else 1} under {layout.parents[0]}" if layout else reason),
            "" if layout else "run polybox as root or in a unit with Delegate=yes",
        )
    )
    abi = landlock_abi()
    detail = f"ABI {abi}, applied by bwrap Boxes' Python workers" if abi else "not available"
    fix = "" if abi else "a kernel >= 5.13 with CONFIG_SECURITY_LANDLOCK (workers run without it)"
    checks.append(Check("landlock", abi > 0, detail, fix))
    checks.append(_docker_check())
    return checks


def _docker_check() -> Check:
    """Whether a Docker engine answers on DOCKER_HOST or the default unix socket."""
    fix = "start the Docker engine, or keep POLYBOX_SANDBOX=bwrap"
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return Check("docker", False, f"DOCKER_HOST={host} is not checked (unix sockets only)", fix)
    path = host.removeprefix("unix://")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect(path)
            sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            answer = sock.recv(64)
        except OSError as exc:
            return Check("docker", False, f"engine not reachable at {path} ({exc.strerror})", fix)
    if b" 200 " not in answer:
        return Check("docker", False, f"engine at {path} did not answer /_ping", fix)
    return Check("docker", True, f"engine reachable at {path}")


def bwrap_config(settings: Settings) -> BwrapConfig:
    """The bwrap backend's configuration for this host, or the reason it cannot run."""
    account, account_check = _account(settings)
    bwrap = shutil.which("bwrap")
    problems = []
    if not account_check.ok:
        problems.append(f"{account_check.detail} (fix: {account_check.fix})")
    if bwrap is None:
        problems.append("bubblewrap is not installed (fix: apt-get install bubblewrap)")
    elif account_check.ok:
        works, error = _try_bwrap(bwrap, account)
        if not works:
            problems.append(f"bwrap cannot create user namespaces: {error}")
    if problems or bwrap is None:
        raise SandboxUnavailableError("; ".join(problems))
    seccomp_ok, _ = seccomp.available()
    version = _bwrap_version(bwrap) or (0,)
    return BwrapConfig(
        bwrap=Path(bwrap),
        python=settings.sandbox_python,
        account=account,
        seccomp=seccomp_ok,
        disable_userns=version >= _DISABLE_USERNS_SINCE,
        cgroups=detect_layout()[0],
        landlock_abi=landlock_abi(),
    )
