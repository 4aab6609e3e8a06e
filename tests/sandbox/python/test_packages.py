"""Approved packages: installed as wheels into the packages dir, importable by allowed tools."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from polybox.sandbox.python import DEFAULT_ALLOWED_MODULES
from polybox.sandbox.python.packages import PackageInstallError, install_package
from sandbox.python.pools import NO_EGRESS, bwrap_pool

pytestmark = pytest.mark.anyio


def build_wheel(directory: Path) -> Path:
    """A minimal pure-Python wheel `polytiny` 1.0, written by hand (no build tool, no network)."""
    wheel = directory / "polytiny-1.0-py3-none-any.whl"
    files = {
        "polytiny/__init__.py": "def shout(text):\n    return text.upper() + '!'\n",
        "polytiny-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: polytiny\nVersion: 1.0\n",
        "polytiny-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(f"{name},,\n" for name in files) + "polytiny-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr("polytiny-1.0.dist-info/RECORD", record)
    return wheel


@pytest.fixture
def packages_dir() -> Iterator[Path]:
    """Outside the 0700 pytest tmp tree: the sandbox user must be able to reach the bind source."""
    with tempfile.TemporaryDirectory(prefix="polybox-packages-") as name:
        path = Path(name)
        path.chmod(0o755)
        yield path / "packages"


async def test_an_installed_wheel_is_importable_by_a_tool_allowed_to_use_it(
    tmp_path: Path, packages_dir: Path
) -> None:
    build_wheel(tmp_path)
    await install_package("polytiny==1.0", packages_dir, find_links=tmp_path)
    assert (packages_dir / "polytiny" / "__init__.py").is_file()
    async with bwrap_pool(tmp_path / "data", size=1, packages_dir=packages_dir) as pool:
        code = "import polytiny\ndef main():\n    return polytiny.shout('hi')\n"
        allowed = DEFAULT_ALLOWED_MODULES | {"polytiny"}
        result = await pool.run(
            code, {}, scope="s", secrets={}, egress=NO_EGRESS, allowed_modules=allowed
        )
        assert result.result == "HI!"
        refused = await pool.run(code, {}, scope="s", secrets={}, egress=NO_EGRESS)
        assert refused.error is not None
        assert "'polytiny'" in refused.error.message


async def test_a_requirement_that_is_not_a_plain_name_is_refused(tmp_path: Path) -> None:
    for bad in ("--index-url=http://evil/ x", "git+https://x/y.git", "../local", "x; rm -rf /"):
        with pytest.raises(PackageInstallError, match="not a package name"):
            await install_package(bad, tmp_path)


async def test_a_missing_package_fails_with_pips_reason(tmp_path: Path) -> None:
    with pytest.raises(PackageInstallError, match="No matching distribution"):
        await install_package("polytiny-missing", tmp_path / "p", find_links=tmp_path)
