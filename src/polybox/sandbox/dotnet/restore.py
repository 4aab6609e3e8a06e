"""The restore broker: NuGet packages for snippets, restored on the host from projects it writes.

Only validated `Name` / `Name@version` items reach the generated project (and are XML-escaped
besides), restore runs in a fresh directory with package build files never imported, and
nothing is built: the assets file NuGet writes says which files to compile against and load at
run time. Packages land in the shared package folder that Boxes mount read-only. `Name` alone
means the highest stable version the feed has (NuGet's floating `*`), resolved once per process
and reported; a set already restored is answered from memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from polybox.sandbox.dotnet.model import (
    PACKAGE_ID,
    PACKAGE_VERSION,
    Diagnostic,
    InvalidPackageRefError,
    PackageRef,
)
from polybox.sandbox.dotnet.msbuild import parse_diagnostics
from polybox.sandbox.dotnet.toolchains import DotnetLayout, run_dotnet

_RESTORE_TIMEOUT = 300.0
_PROJECT_FILE = "packages.csproj"
_RUNTIME_RIDS = ("linux-x64", "linux", "unix")  # most specific last wins


@dataclass(frozen=True)
class PackageSet:
    """Restored packages: the versions used and their files (relative to the package folder)."""

    packages: tuple[tuple[str, str], ...]
    compile: tuple[str, ...]
    runtime: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


class RestoreFailed(Exception):
    """NuGet could not restore the set; `diagnostics` says why (NU1101, NU1102, ...)."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        super().__init__("; ".join(f"{d.code}: {d.message}" for d in diagnostics))
        self.diagnostics = diagnostics


EMPTY = PackageSet((), (), ())


def project_xml(version: str, packages: Sequence[PackageRef], source: str | None) -> str:
    """The generated restore project; raises InvalidPackageRefError for anything unvalidated."""
    items = []
    for ref in packages:
        if not PACKAGE_ID.fullmatch(ref.name) or (
            ref.version is not None and not PACKAGE_VERSION.fullmatch(ref.version)
        ):
            raise InvalidPackageRefError(f"{str(ref)[:120]!r} is not a valid package reference")
        wanted = "*" if ref.version is None else f"[{ref.version}]"
        items.append(
            f"    <PackageReference Include={quoteattr(ref.name)} Version={quoteattr(wanted)} />"
        )
    sources = f"\n    <RestoreSources>{_escape(source)}</RestoreSources>" if source else ""
    return (
        '<Project Sdk="Microsoft.NET.Sdk">\n'
        "  <PropertyGroup>\n"
        f"    <TargetFramework>net{version}.0</TargetFramework>\n"
        "    <ImportProjectExtensionProps>false</ImportProjectExtensionProps>\n"
        "    <ImportProjectExtensionTargets>false</ImportProjectExtensionTargets>\n"
        f"    <NuGetAudit>false</NuGetAudit>{sources}\n"
        "  </PropertyGroup>\n"
        "  <ItemGroup>\n" + "\n".join(items) + "\n  </ItemGroup>\n"
        "</Project>\n"
    )


def _escape(text: str) -> str:
    return quoteattr(text)[1:-1]


def read_assets(assets: dict[str, Any], wanted: Sequence[PackageRef]) -> PackageSet:
    """The files and versions a `project.assets.json` resolved for `wanted`."""
    target_name = next(iter(assets["targets"]))
    target: dict[str, Any] = assets["targets"][target_name]
    libraries: dict[str, Any] = assets["libraries"]
    compile: list[str] = []
    runtime: dict[str, str] = {}
    resolved: dict[str, tuple[str, str]] = {}
    for key, entry in target.items():
        if entry.get("type") != "package":
            continue
        name, _, version = key.partition("/")
        resolved[name.lower()] = (name, version)
        base = libraries[key]["path"]
        compile += [
            f"{base}/{path}" for path in entry.get("compile", {}) if not path.endswith("_._")
        ]
        for path in entry.get("runtime", {}):
            if not path.endswith("_._"):
                runtime[Path(path).name] = f"{base}/{path}"
        for path in entry.get("native", {}):
            runtime[Path(path).name] = f"{base}/{path}"
        by_rid = sorted(
            (
                (_RUNTIME_RIDS.index(info.get("rid")), path)
                for path, info in entry.get("runtimeTargets", {}).items()
                if info.get("rid") in _RUNTIME_RIDS
            ),
            reverse=True,
        )
        for _, path in by_rid:
            runtime[Path(path).name] = f"{base}/{path}"
    used = tuple(resolved[ref.name.lower()] for ref in wanted if ref.name.lower() in resolved)
    return PackageSet(used, tuple(compile), tuple(runtime.values()))


class RestoreBroker:
    """Restores package sets for one data dir; concurrent requests for one set share a restore."""

    def __init__(self, layout: DotnetLayout, source: str | None) -> None:
        self.layout = layout
        self.source = source
        self._done: dict[tuple[str, tuple[PackageRef, ...]], PackageSet] = {}
        self._locks: dict[tuple[str, tuple[PackageRef, ...]], asyncio.Lock] = {}

    async def restore(self, version: str, packages: Sequence[PackageRef]) -> PackageSet:
        """The restored set for `version` (TFM net<version>.0); raises RestoreFailed."""
        if not packages:
            return EMPTY
        key = (version, tuple(sorted(set(packages), key=lambda ref: (ref.name.lower(), str(ref)))))
        if key in self._done:
            return self._done[key]
        async with self._locks.setdefault(key, asyncio.Lock()):
            if key not in self._done:
                result = await self._restore(version, key[1])
                self._done[key] = result
                pinned = [PackageRef(name, version_) for name, version_ in result.packages]
                self._done[
                    (version, tuple(sorted(pinned, key=lambda r: (r.name.lower(), str(r)))))
                ] = result
        return self._done[key]

    async def _restore(self, version: str, packages: tuple[PackageRef, ...]) -> PackageSet:
        text = project_xml(version, packages, self.source)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        project_dir = self.layout.private / "restore" / digest
        await asyncio.to_thread(shutil.rmtree, project_dir, True)
        project_dir.mkdir(parents=True)
        (project_dir / _PROJECT_FILE).write_text(text)
        code, output = await run_dotnet(
            ["restore", _PROJECT_FILE, "--packages", str(self.layout.packages), "-nologo",
             "-v:q", "--disable-build-servers"],
            cwd=project_dir,
            timeout=_RESTORE_TIMEOUT,
        )  # fmt: skip
        diagnostics = parse_diagnostics(output, file="packages")
        if code != 0:
            if not any(d.severity == "error" for d in diagnostics):
                diagnostics += (
                    Diagnostic("packages", 0, 0, "NU1000", "error", output.strip()[-2000:]),
                )
            raise RestoreFailed(diagnostics)
        assets = json.loads((project_dir / "obj" / "project.assets.json").read_text())
        result = read_assets(assets, packages)
        return PackageSet(result.packages, result.compile, result.runtime, diagnostics)
