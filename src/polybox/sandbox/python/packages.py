"""Installing approved third-party packages into the packages dir that Boxes see read-only.

An admin action: `pip install --only-binary :all: --target <packages dir> <requirement>`. Wheels
only, so installing never runs a package's build code on the host (pip only unpacks files), and pip
runs `--isolated` with a minimal environment: no user or site pip configuration, no `PIP_*`
variable can point it at another index or turn source builds back on. The Box interpreter and the
supervisor are both CPython 3.11, so wheels pip picks here import inside the Box. Running
workers see a package as soon as the install returns: their Boxes bind the directory itself,
and each call's imports look at its current contents.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import sys
from importlib import metadata
from pathlib import Path

from polybox.sandbox.hostdirs import sandbox_dir

# A PEP 508 name with an optional version constraint; no URLs, paths, extras or options.
_REQUIREMENT = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._-]*(\s*(==|>=|<=|~=|!=|>|<)\s*[A-Za-z0-9.*+!_-]+)?"
)
_OUTPUT_TAIL = 4000
# What pip may still need from the environment: where programs are, and a proxy or CA bundle.
_PASSED_ENV = ("PATH", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")


class PackageInstallError(Exception):
    """pip refused or failed; the message carries the end of its output."""


def packages_dir_of(data_dir: Path) -> Path:
    """The packages dir of this data dir; it exists when this returns.

    As root it is outside the data dir (`hostdirs.sandbox_dir`), root-owned, mode 0755: the
    sandbox uid can read and import from it but not change it.
    """
    return sandbox_dir(data_dir, "packages", privileged=os.geteuid() == 0, mode=0o755)


def check_requirement(requirement: str) -> str:
    """`requirement` stripped; PackageInstallError unless it is a name with an optional version."""
    if not _REQUIREMENT.fullmatch(requirement.strip()):
        raise PackageInstallError(
            f"{requirement!r} is not a package name with an optional version (e.g. name==1.2)"
        )
    return requirement.strip()


def installed_version(packages_dir: Path, requirement: str) -> str | None:
    """The version of `requirement`'s distribution in the packages dir, None when absent.

    Read from its metadata file: nothing of the package runs on the host.
    """
    wanted = _canonical(re.split(r"[=<>!~\s]", requirement.strip(), maxsplit=1)[0])
    for dist in metadata.distributions(path=[str(packages_dir)]):
        if _canonical(dist.metadata["Name"] or "") == wanted:
            return dist.version
    return None


async def install_package(
    requirement: str,
    packages_dir: Path,
    *,
    index_url: str | None = None,
    find_links: Path | None = None,
    time_limit: float = 300.0,
) -> str:
    """Install `requirement` (e.g. `requests==2.32.3`) and its dependencies as wheels.

    From the PEP 503 index `index_url` (e.g. `https://pypi.org/simple/`), or with `find_links`
    from that folder of wheels only (offline). Returns pip's output; raises PackageInstallError
    with pip's own explanation when it fails.
    """
    requirement = check_requirement(requirement)
    argv = [*_pip(), "install", "--isolated", "--only-binary", ":all:"]
    argv += ["--no-input", "--no-cache-dir", "--disable-pip-version-check", "--upgrade"]
    argv += ["--target", str(packages_dir)]
    if find_links is not None:
        argv += ["--no-index", "--find-links", str(find_links)]
    elif index_url is not None:
        argv += ["--index-url", index_url]
    environment = {key: os.environ[key] for key in _PASSED_ENV if key in os.environ}
    process = await asyncio.create_subprocess_exec(
        *argv,
        requirement,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=environment | {"LC_ALL": "C.UTF-8"},
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
        raise PackageInstallError(f"pip could not install {requirement}: {_reason(text)}")
    return text


def _pip() -> list[str]:
    """pip of polybox's own Python, else of the Python its venv was made from.

    The container image's venv has no pip of its own; its base interpreter (the same CPython,
    so the same wheel tags) has one. `--target` decides where the files go either way.
    """
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    return [getattr(sys, "_base_executable", sys.executable), "-m", "pip"]


def _reason(output: str) -> str:
    """pip's ERROR lines (its explanation), or the end of its output when it printed none."""
    errors = [
        line.removeprefix("ERROR: ") for line in output.splitlines() if line.startswith("ERROR:")
    ]
    return " ".join(errors)[-_OUTPUT_TAIL:] if errors else output[-_OUTPUT_TAIL:]


def _canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them (`Python_Dateutil` is `python-dateutil`)."""
    return re.sub(r"[-_.]+", "-", name).lower()
