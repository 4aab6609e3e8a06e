"""GET /api/auth/status: how a UI learns, before anyone logs in, that setup is still needed."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery"


async def test_status_says_setup_is_required_until_the_first_admin_exists(
    api: httpx.AsyncClient,
) -> None:
    before = await api.get("/api/auth/status")
    created = await api.post("/api/auth/setup", json={"username": "root", "password": PASSWORD})
    after = await api.get("/api/auth/status")

    assert before.status_code == 200
    assert before.json() == {"setup_required": True}
    assert created.status_code == 201
    assert after.json() == {"setup_required": False}
