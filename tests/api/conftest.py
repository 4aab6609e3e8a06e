"""Fixtures for API tests: the real app on a store of each backend, and admin credentials.

`api` is an httpx client on the whole ASGI app (base URL http://polybox), so paths start with
/api; the app's lifespan is not entered (the MCP session manager is not needed here).
`admin_headers` carries a valid access token of a freshly created admin `alice`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

from polybox.api.deps import signing_key
from polybox.app import create_app
from polybox.auth.access import issue_access_token
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


@pytest.fixture
async def admin_headers(instance: Instance) -> dict[str, str]:
    async with instance.sessions.begin() as session:
        user = await create_admin(session, "alice", ADMIN_PASSWORD)
        admin_id = user.id
    token, _ = issue_access_token(
        signing_key(instance), admin_id=admin_id, username="alice", session_id="test-session"
    )
    return {"Authorization": f"Bearer {token}"}
