"""Attacks on installing approved packages: pip must never run a package's code on the host.

The index is tests/fake_package_index.py on loopback, serving files this test writes.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from fake_package_index import fake_package_index
from polybox.sandbox.python.packages import PackageInstallError, install_package
from wheels import build_polytiny

pytestmark = pytest.mark.anyio


def write_sdist(folder: Path, marker: Path) -> None:
    """`polyevil-1.0.tar.gz`: a source distribution with its own in-tree build backend (no
    build dependency to fetch), which writes `marker` as soon as a build imports it."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "pyproject.toml": (
            '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
        ),
        "backend.py": f"open({str(marker)!r}, 'w').write('ran')\n",
        "PKG-INFO": "Metadata-Version: 2.1\nName: polyevil\nVersion: 1.0\n",
    }
    with tarfile.open(folder / "polyevil-1.0.tar.gz", "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"polyevil-1.0/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


async def test_a_package_offered_only_as_an_sdist_is_refused_and_its_build_code_never_runs(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "setup-py-ran"
    write_sdist(tmp_path / "index", marker)
    async with fake_package_index(tmp_path / "index") as url:
        with pytest.raises(PackageInstallError, match="No matching distribution found"):
            await install_package("polyevil", tmp_path / "packages", index_url=f"{url}/simple/")
    assert not marker.exists()


async def test_pip_environment_variables_cannot_point_the_install_at_another_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_polytiny(tmp_path / "elsewhere")
    (tmp_path / "index").mkdir()
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_ONLY_BINARY", ":none:")
    async with fake_package_index(tmp_path / "index") as url:
        with pytest.raises(PackageInstallError, match="No matching distribution found"):
            await install_package("polytiny", tmp_path / "packages", index_url=f"{url}/simple/")
    assert not (tmp_path / "packages" / "polytiny").exists()
