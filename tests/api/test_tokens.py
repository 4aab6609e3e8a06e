"""API tokens for MCP clients: shown once, stored hashed, listed, revoked, last use recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from polybox.auth.api_tokens import authenticate_api_token
from polybox.auth.opaque import digest
from polybox.instance import Instance
from polybox.store.models import ActivityLog, ApiToken
from polybox.store.types import utcnow

pytestmark = pytest.mark.anyio


async def _create(api: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "laptop claude", "scopes": ["tools:call"], **fields}
    response = await api.post("/api/tokens", headers=headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_created_token_is_shown_once_and_stored_only_as_a_hash(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    created = await _create(api, admin_headers, expires_in_days=30, scopes=["admin", "tools:call"])

    token = created["token"]
    assert token.startswith("pbx_")
    assert created["api_token"]["prefix"] == token[:12]
    assert created["api_token"]["scopes"] == ["admin", "tools:call"]
    assert created["api_token"]["created_by"] == "alice"
    listed = (await api.get("/api/tokens", headers=admin_headers)).json()
    assert listed["items"] == [created["api_token"]]
    assert token not in str(listed)
    async with instance.sessions() as session:
        row = await session.scalar(select(ApiToken))
        audit = await session.scalar(select(ActivityLog).where(ActivityLog.action.like("api_%")))
    assert row is not None
    assert row.token_hash == digest(token)
    assert token not in (row.token_hash, row.prefix)
    assert audit is not None
    assert (audit.actor_name, audit.action) == ("alice", "api_token.created")


async def test_authenticating_a_token_names_its_scopes_and_records_last_use(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    created = await _create(api, admin_headers, scopes=["forge:write", "tools:call"])

    async with instance.sessions.begin() as session:
        principal = await authenticate_api_token(session, created["token"])
        wrong = await authenticate_api_token(session, created["token"] + "x")
        not_ours = await authenticate_api_token(session, "ghp_something")

    assert principal is not None
    assert principal.scopes == frozenset({"forge:write", "tools:call"})
    assert (principal.name, principal.created_by) == ("laptop claude", "alice")
    assert wrong is None
    assert not_ours is None
    listed = (await api.get("/api/tokens", headers=admin_headers)).json()
    assert listed["items"][0]["last_used_at"] is not None


async def test_revoked_and_expired_tokens_authenticate_no_one(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    revoked = await _create(api, admin_headers, name="old")
    expiring = await _create(api, admin_headers, name="short", expires_in_days=1)

    response = await api.post(
        f"/api/tokens/{revoked['api_token']['id']}/revoke", headers=admin_headers
    )

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    async with instance.sessions.begin() as session:
        assert await authenticate_api_token(session, revoked["token"]) is None
        later = utcnow() + timedelta(days=1, seconds=1)
        assert await authenticate_api_token(session, expiring["token"], now=later) is None
        assert await authenticate_api_token(session, expiring["token"]) is not None
    only_revoked = await api.get("/api/tokens", headers=admin_headers, params={"revoked": True})
    assert [item["name"] for item in only_revoked.json()["items"]] == ["old"]


async def test_tokens_of_a_disabled_admin_authenticate_no_one(
    api: httpx.AsyncClient, instance: Instance, admin_headers: dict[str, str]
) -> None:
    bob = await api.post(
        "/api/admins",
        headers=admin_headers,
        json={"username": "bob", "password": "correct horse battery"},
    )
    bob_login = await api.post(
        "/api/auth/login", json={"username": "bob", "password": "correct horse battery"}
    )
    bob_headers = {"Authorization": f"Bearer {bob_login.json()['access_token']}"}
    created = await _create(api, bob_headers)

    await api.post(f"/api/admins/{bob.json()['id']}/disable", headers=admin_headers)

    async with instance.sessions.begin() as session:
        assert await authenticate_api_token(session, created["token"]) is None


async def test_bad_scopes_lifetimes_and_ids_are_refused(
    api: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    bad_scope = await api.post(
        "/api/tokens", headers=admin_headers, json={"name": "x", "scopes": ["root"]}
    )
    no_scope = await api.post(
        "/api/tokens", headers=admin_headers, json={"name": "x", "scopes": []}
    )
    forever = await api.post(
        "/api/tokens",
        headers=admin_headers,
        json={"name": "x", "scopes": ["admin"], "expires_in_days": 10_000},
    )
    unknown = await api.post("/api/tokens/9999/revoke", headers=admin_headers)

    assert [r.status_code for r in (bad_scope, no_scope, forever)] == [422, 422, 422]
    assert bad_scope.json()["error"]["details"][0]["field"].startswith("body.scopes")
    assert unknown.status_code == 404
