"""A real app in remote mode on 127.0.0.1 (uvicorn), on a store of each backend, with an admin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from oauth.oauth_flow import RemoteServer, serve_remote


@pytest.fixture
async def remote(db_url: URL, tmp_path: Path) -> AsyncIterator[RemoteServer]:
    async with serve_remote(tmp_path / "data", db_url=db_url) as server:
        yield server
