"""Real wheels written by the tests (no build tool, no network) for the package install tests."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    files: Mapping[str, str],
    *,
    requires: Iterable[str] = (),
) -> Path:
    """A pure-Python wheel of distribution `name` holding `files` (path -> source)."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{name.replace('-', '_')}-{version}"
    wheel = directory / f"{stem}-py3-none-any.whl"
    info = f"{stem}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    contents = {
        **files,
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(f"{path},,\n" for path in contents) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in contents.items():
            archive.writestr(path, text)
        archive.writestr(f"{info}/RECORD", record)
    return wheel


def build_polytiny(directory: Path, version: str = "1.0", suffix: str = "!") -> Path:
    """`polytiny`: `polytiny.shout(text)` upper-cases `text` and appends `suffix`."""
    code = f"def shout(text):\n    return text.upper() + {suffix!r}\n"
    return build_wheel(directory, "polytiny", version, {"polytiny/__init__.py": code})


# `polydates.days_between(a, b)`: days between two ISO dates, through its dependency `polycore`.
DATES = (
    "import polycore\n\ndef days_between(a, b):\n"
    "    return polycore.ordinal(b) - polycore.ordinal(a)\n"
)
CORE = (
    "import datetime\n\ndef ordinal(text):\n"
    "    return datetime.date.fromisoformat(text).toordinal()\n"
)
USE_DATES = (
    "import polydates\n\nasync def main() -> int:\n"
    "    return polydates.days_between('2024-01-01', '2024-03-01')\n"
)  # a tool using it: returns 60


def build_polydates(folder: Path, distribution: str = "polydates") -> None:
    """Distribution `distribution` 2.1 (module `polydates`), which needs `polycore` (a wheel)."""
    files = {"polydates/__init__.py": DATES}
    build_wheel(folder, distribution, "2.1", files, requires=["polycore>=1"])
    build_wheel(folder, "polycore", "1.0", {"polycore/__init__.py": CORE})
