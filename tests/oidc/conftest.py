"""The test provider and a remote-mode polybox that trusts it, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from oidc.flow import Servers, serve_with_provider
from oidc.idp import TestProvider


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[Servers]:
    async with serve_with_provider(tmp_path, TestProvider()) as started:
        yield started


@pytest.fixture
async def browser(servers: Servers) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=servers.base) as client:
        yield client
