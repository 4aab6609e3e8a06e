"""Installing approved third-party packages into the packages dir that Boxes see read-only.

An admin action: `pip install --only-binary :all: --target <packages dir> <requirement>`. Wheels
only, so installing never runs a package's build code on the host. The Box interpreter and the
supervisor are both CPython 3.11, so wheels pip picks here import inside the Box. Running
workers see a package as soon as the install returns: their Boxes bind the directory itself,
and each call's imports look at its current contents.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from polybox.sandbox.hostdirs import sandbox_dir

# A PEP 508 name with an optional version constraint; no URLs, paths, extras or options.
_REQUIREMENT = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._-]*(\s*(==|>=|<=|~=|!=|>|<)\s*[A-Za-z0-9.*+!_-]+)?"
)
_OUTPUT_TAIL = 4000


class PackageInstallError(Exception):
    """pip refused or failed; the message carries the end of its output."""


def packages_dir_of(data_dir: Path) -> Path:
    """The packages dir of this data dir; it exists when this returns.

    As root it is outside the data dir (`hostdirs.sandbox_dir`), root-owned, mode 0755: the
    sandbox uid can read and import from it but not change it.
    """
    return sandbox_dir(data_dir, "packages", privileged=os.geteuid() == 0, mode=0o755)


async def install_package(
    requirement: str,
    packages_dir: Path,
    *,
    find_links: Path | None = None,
    time_limit: float = 300.0,
) -> str:
    """Install `requirement` (e.g. `requests==2.32.3`) and its dependencies as wheels.

    `find_links` installs from that folder of wheels only (offline, and in tests). Returns pip's
    output; raises PackageInstallError with pip's own explanation when it fails.
    """
    if not _REQUIREMENT.fullmatch(requirement.strip()):
        raise PackageInstallError(
            f"{requirement!r} is not a package name with an optional version (e.g. name==1.2)"
        )
    argv = [sys.executable, "-m", "pip", "install", "--only-binary", ":all:", "--no-input"]
    argv += ["--disable-pip-version-check", "--upgrade", "--target", str(packages_dir)]
    if find_links is not None:
        argv += ["--no-index", "--find-links", str(find_links)]
    process = await asyncio.create_subprocess_exec(
        *argv,
        requirement.strip(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        umask=0o022,  # files the sandbox uid can read, whatever polybox's own umask is
    )
    try:
        async with asyncio.timeout(time_limit):
            output, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise PackageInstallError(f"pip did not finish within {time_limit:g} s") from None
    text = output.decode("utf-8", "replace")
    if process.returncode != 0:
        raise PackageInstallError(f"pip could not install {requirement}: {text[-_OUTPUT_TAIL:]}")
    return text
