"""Fixtures for the MCP surface: a started instance, served by a real uvicorn on 127.0.0.1.

- `instance`: an `Instance` on a fresh store (SQLite and PostgreSQL, via `db_url`).
- `mcp_url`: `http://127.0.0.1:<port>/mcp` of the app serving that instance; the listening
  socket is bound before the server starts, so clients never race its start-up.
- `connect`: opens an official MCP `Client` against that URL, recording the notifications it
  receives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import Client
from sqlalchemy.engine import URL
from starlette.applications import Starlette

from mcp_clients import Connect, Notifications, client_for, serving
from polybox.app import create_app
from polybox.config import Settings, load_settings
from polybox.instance import Instance


@pytest.fixture
def settings(db_url: URL, tmp_path: Path) -> Settings:
    """Sessions for handshake-era clients on both backends (PostgreSQL would default to
    sessionless); tests/replicas covers sessionless serving."""
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=db_url.render_as_string(False),
        mcp_stateless=False,
    )


@pytest.fixture
async def instance(settings: Settings) -> AsyncIterator[Instance]:
    async with Instance.running(settings) as started:
        yield started


@pytest.fixture
def app(instance: Instance) -> Starlette:
    return create_app(instance)


@pytest.fixture
async def mcp_url(app: Starlette) -> AsyncIterator[str]:
    async with serving(app, "127.0.0.1") as url:
        yield url


@pytest.fixture
def connect(mcp_url: str) -> Connect:
    @asynccontextmanager
    async def open_client(
        *, name: str = "pytest-agent", mode: str = "legacy"
    ) -> AsyncIterator[tuple[Client, Notifications]]:
        client, notifications = client_for(mcp_url, name=name, mode=mode)
        async with client:
            yield client, notifications

    return open_client
