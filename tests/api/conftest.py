"""Fixtures for API tests: the real app on a store of each backend, and admin credentials.

`api` is an httpx client on the whole ASGI app (base URL http://polybox), so paths start with
/api; the app's lifespan is not entered (the MCP session manager is not needed here).
`admin_headers` carries a valid access token of a freshly created admin `alice`, obtained by
logging in through the API (`log_in`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import URL

from polybox.app import create_app
from polybox.auth.admins import create_admin
from polybox.config import load_settings
from polybox.instance import Instance

ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture
async def instance(db_url: URL, tmp_path: Path) -> AsyncIterator[Instance]:
    settings = load_settings(
        data_dir=tmp_path / "data", database_url=db_url.render_as_string(False)
    )
    async with Instance.running(settings, run_tools=False) as running:
        yield running


@pytest.fixture
async def api(instance: Instance) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(instance))
    async with httpx.AsyncClient(transport=transport, base_url="http://polybox") as client:
        yield client


LogIn = Callable[[str, str], Awaitable[dict[str, Any]]]


@pytest.fixture
def log_in(api: httpx.AsyncClient) -> LogIn:
    """Log in through POST /api/auth/login; the answer's body (access and refresh token)."""

    async def log_in(username: str, password: str) -> dict[str, Any]:
        response = await api.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return log_in


@pytest.fixture
async def admin_headers(instance: Instance, log_in: LogIn) -> dict[str, str]:
    async with instance.sessions.begin() as session:
        await create_admin(session, "alice", ADMIN_PASSWORD)
    tokens = await log_in("alice", ADMIN_PASSWORD)
    return {"Authorization": f"Bearer {tokens['access_token']}"}
