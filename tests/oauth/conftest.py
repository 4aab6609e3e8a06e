"""A real app in remote mode on 127.0.0.1 (uvicorn), on a store of each backend, with an admin.

The listening socket is bound first so `public_url` (issuer and resource) can name its port.
Remote mode on plain HTTP needs `allow_insecure_remote`, the tests-and-development switch.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
import uvicorn
from sqlalchemy.engine import URL

from oauth.oauth_flow import ADMIN, ADMIN_PASSWORD, RemoteServer
from polybox.app import create_app
from polybox.auth.admins import create_admin
from polybox.config import load_settings
from polybox.instance import Instance


@pytest.fixture
async def remote(db_url: URL, tmp_path: Path) -> AsyncIterator[RemoteServer]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=db_url.render_as_string(False),
        mode="remote",
        public_url=base,
        allow_insecure_remote=True,
    )
    async with Instance.running(settings, run_tools=False) as instance:
        async with instance.sessions.begin() as session:
            await create_admin(session, ADMIN, ADMIN_PASSWORD)
        server = uvicorn.Server(uvicorn.Config(create_app(instance), log_config=None))
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.serve, [sock])
            yield RemoteServer(base, instance)
            server.should_exit = True
    sock.close()
