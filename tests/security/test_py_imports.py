"""Import tricks: every way to reach a module off the allowed list gets a clear ImportError."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.python import PythonPool
from sandbox.python.pools import bwrap_pool, run

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path, size=1) as started:
        yield started


async def refused(pool: PythonPool, code: str, module: str) -> None:
    result = await run(pool, code + "\ndef main():\n    return 'imported'\n")
    assert result.error is not None, result
    assert result.error.type == "ImportError"
    assert f"module {module!r} is not on this server's allowed-module list" in result.error.message
    assert "polybox_request_module" in result.error.message


async def test_dunder_import_of_os_is_refused(pool: PythonPool) -> None:
    await refused(pool, "__import__('os')", "os")


async def test_importlib_is_refused(pool: PythonPool) -> None:
    await refused(pool, "import importlib", "importlib")


async def test_import_of_the_builtins_module_is_refused(pool: PythonPool) -> None:
    await refused(pool, "import builtins", "builtins")


async def test_import_of_sys_for_sys_modules_is_refused(pool: PythonPool) -> None:
    await refused(pool, "import sys", "sys")


async def test_dunder_builtins_import_is_the_guarded_one(pool: PythonPool) -> None:
    await refused(pool, "__builtins__['__import__']('subprocess')", "subprocess")


async def test_from_package_import_of_a_forbidden_submodule_is_refused(pool: PythonPool) -> None:
    await refused(pool, "from os import path", "os.path")


async def test_a_module_not_on_the_list_names_itself_and_the_request_tool(pool: PythonPool) -> None:
    await refused(pool, "import sqlite3", "sqlite3")


async def test_socket_import_is_refused(pool: PythonPool) -> None:
    await refused(pool, "import socket", "socket")


async def test_ctypes_import_is_refused(pool: PythonPool) -> None:
    await refused(pool, "import ctypes", "ctypes")


async def test_relative_import_is_refused(pool: PythonPool) -> None:
    result = await run(pool, "from . import x\ndef main():\n    return 1\n")
    assert result.error is not None
    assert "relative imports do not work" in result.error.message
