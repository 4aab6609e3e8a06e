"""A real bwrap pool per test (two workers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from polybox.sandbox.python import PythonPool
from sandbox.python.pools import bwrap_pool


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[PythonPool]:
    async with bwrap_pool(tmp_path) as started:
        yield started
