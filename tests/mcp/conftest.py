"""Fixtures for the MCP surface: a started instance, served by a real uvicorn on 127.0.0.1.

- `instance`: an `Instance` on a fresh store (SQLite and PostgreSQL, via `db_url`).
- `mcp_url`: `http://127.0.0.1:<port>/mcp` of the app serving that instance; the listening
  socket is bound before the server starts, so clients never race its start-up.
- `connect`: opens an official MCP `Client` against that URL, recording the notifications it
  receives.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
import uvicorn
from mcp import Client
from mcp_clients import Connect, Notifications, client_for
from sqlalchemy.engine import URL

from polybox.app import create_app
from polybox.config import Settings, load_settings
from polybox.instance import Instance


@pytest.fixture
def settings(db_url: URL, tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", database_url=db_url.render_as_string(False))


@pytest.fixture
async def instance(settings: Settings) -> AsyncIterator[Instance]:
    async with Instance.running(settings) as started:
        yield started


@pytest.fixture
async def mcp_url(instance: Instance) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(instance), log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve, [sock])
        yield f"http://127.0.0.1:{port}/mcp"
        server.should_exit = True
    sock.close()


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
