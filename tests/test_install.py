"""The locks install as they are into a fresh venv with the pip that Python bundles; none is short.

A lock that installed on the day it was made stopped installing when pytest-cov's `coverage[toml]`
extra made the bundled pip resolve on its own and pick a newer coverage than the pinned one. These
tests install the way `make` does (`--no-deps --require-hashes`, then `pip check`), steered only by
pip's own variables, so they run offline from a folder of wheels (`PIP_NO_INDEX=1`,
`PIP_FIND_LINKS=…`) exactly as they run online.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _pins(lock: Path) -> dict[str, str]:
    """Name -> version of every pin in a lock file."""
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_runtime_lock_installs_alone_into_a_fresh_venv_and_serves(tmp_path: Path) -> None:
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    _ok(
        _pip(python, "install", "--quiet", "--no-deps", "--require-hashes", "-r", str(RUNTIME_LOCK))
    )
    _ok(_pip(python, "check"))
    _ok(_pip(python, "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", str(ROOT)))
    assert "No broken requirements" in _ok(_pip(python, "check"))
    # The package starts from this venv alone: no dev tool is needed to serve.
    version = subprocess.run(
        [str(env / "bin" / "polybox"), "version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0, version.stderr
    installed = {canonicalize_name(line.split("==")[0]) for line in _ok(_pip(python, "freeze"))}
    assert not {"mypy", "playwright", "schemathesis", "pytest", "ruff"} & installed


def test_the_dev_lock_is_complete_where_the_tests_run() -> None:
    """`make test` installed the dev lock with --no-deps; `pip check` proves nothing was missing."""
    assert "No broken requirements" in _ok(_pip(Path(sys.executable), "check"))


def test_every_runtime_pin_is_the_dev_pin() -> None:
    runtime, dev = _pins(RUNTIME_LOCK), _pins(DEV_LOCK)
    assert runtime, "the runtime lock pins nothing"
    differing = {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v}
    assert not differing, f"runtime and dev locks disagree; run `make lock`: {differing}"


@pytest.mark.parametrize(
    ("extra", "lock"), [(None, RUNTIME_LOCK), ("build", RUNTIME_LOCK), ("dev", DEV_LOCK)]
)
def test_each_declared_dependency_is_pinned_within_its_range(extra: str | None, lock: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["optional-dependencies"][extra] if extra else project["dependencies"]
    pins = _pins(lock)
    for text in declared:
        requirement = Requirement(text)
        if requirement.name == project["name"]:
            continue
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not in {lock.name}; run `make lock`"
        assert requirement.specifier.contains(pinned, prereleases=True), (
            f"{lock.name} pins {requirement.name}=={pinned}, outside {text!r}; run `make lock`"
        )
