"""A prepared .NET data dir and a `DotnetRuntime` on the real bwrap sandbox, once per session.

`polybox dotnet prepare` takes minutes on a new machine, so the data dir is a stable one
(POLYBOX_TEST_DOTNET_DIR, default /var/tmp/polybox-dotnet-tests): later sessions find the
toolchains current and skip the builds; `make pytest` prepares it before the tests start
(`make dotnet-test-prepare`). Without the .NET SDK every test using it is skipped with a loud
reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.config import Settings
from polybox.sandbox.backends import create_backend
from polybox.sandbox.dotnet import DOTNET_VERSIONS, DotnetConfig, DotnetRuntime
from polybox.sandbox.dotnet.toolchains import (
    compiler_ready,
    dotnet_layout,
    load_toolchain,
    prepare,
)

DATA_DIR = Path(os.environ.get("POLYBOX_TEST_DOTNET_DIR", "/var/tmp/polybox-dotnet-tests"))
OUTPUT_LIMIT = 65536
HELLO = 'Console.WriteLine("hello");'


def _prepared() -> bool:
    if shutil.which("dotnet") is None:
        return False
    layout = dotnet_layout(DATA_DIR)
    return compiler_ready(layout) and all(load_toolchain(layout, v) for v in DOTNET_VERSIONS)


PREPARE_TIMEOUT = 120 if _prepared() else 900
"""pytest-timeout for .NET tests: the suite's own when the data dir is prepared (each test takes
seconds), else long enough for the first one to wait for `prepare`."""


def dotnet_settings() -> Settings:
    """Settings of the test runtime: every version, small limits, nothing pre-warmed."""
    return Settings(
        data_dir=DATA_DIR,
        dotnet_prewarm_versions=[],
        dotnet_output_limit_bytes=OUTPUT_LIMIT,
        dotnet_snippet_memory_mb=512,
        dotnet_snippet_tmp_size_mb=16,
    )


async def prepared_dotnet_settings() -> Settings:
    """`dotnet_settings()`, once every version is prepared (once per machine); skips loudly
    without the .NET SDK."""
    if shutil.which("dotnet") is None:
        pytest.skip("NO .NET SDK (`dotnet` not on PATH): the .NET snippet tests did NOT run")
    settings = dotnet_settings()
    await prepare(settings.data_dir, DOTNET_VERSIONS)
    return settings


@pytest.fixture(scope="session")
async def dotnet() -> AsyncIterator[DotnetRuntime]:
    """The session's runtime; its toolchains are prepared (once per machine) first."""
    settings = await prepared_dotnet_settings()
    backend = create_backend(settings)
    runtime = DotnetRuntime(backend, DotnetConfig.from_settings(settings))
    await runtime.start()
    yield runtime
    await runtime.close()
    await backend.close()


def runner_processes() -> list[int]:
    """Host pids of snippet runners still alive (their exe as seen inside their Box)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                exe = os.readlink(entry / "exe")
            except OSError:
                continue
            if exe.endswith("/polybox/runtime/Polybox.Runner"):
                found.append(int(entry.name))
    return found
