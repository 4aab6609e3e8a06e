"""Attacks on the OAuth authorization server and on `/mcp`'s bearer authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from oauth.oauth_flow import (
    RemoteServer,
    approved_code,
    authorization_url,
    hidden_field,
    pkce_pair,
    redeem,
    register,
    serve_remote,
)
from polybox.auth.opaque import digest
from polybox.store.enums import OAuthTokenKind
from polybox.store.models import OAuthToken
from polybox.store.types import utcnow

pytestmark = pytest.mark.anyio
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


@pytest.fixture
async def remote(db_url: URL, tmp_path: Path) -> AsyncIterator[RemoteServer]:
    async with serve_remote(tmp_path / "data", db_url=db_url) as server:
        yield server


async def test_authorization_code_replay_is_refused(remote: RemoteServer) -> None:
    """A code works once; its replay is refused and revokes the tokens the first use produced."""
    async with httpx.AsyncClient(base_url=remote.base) as http:
        client_id = await register(http)
        verifier, challenge = pkce_pair()
        code = await approved_code(http, remote.base, client_id, challenge)
        first = await redeem(http, client_id, code, verifier)
        replay = await redeem(http, client_id, code, verifier)
        bearer = {"Authorization": f"Bearer {first.json()['access_token']}"}
        after = await http.post("/mcp", json=PING, headers=bearer)
    assert first.status_code == 200
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert after.status_code == 401


async def test_pkce_plain_method_is_refused(remote: RemoteServer) -> None:
    async with httpx.AsyncClient(base_url=remote.base) as http:
        client_id = await register(http)
        verifier, _ = pkce_pair()
        url = authorization_url(remote.base, client_id, verifier, code_challenge_method="plain")
        answer = await http.get(url)
    assert answer.status_code == 302  # back to the client with the error, never to consent
    assert "error=invalid_request" in answer.headers["location"]
    assert "/oauth/consent" not in answer.headers["location"]


async def test_token_for_other_audience_is_refused(remote: RemoteServer) -> None:
    """A token bound to another resource is refused at /mcp; asking for one is refused too."""
    async with httpx.AsyncClient(base_url=remote.base) as http:
        client_id = await register(http)
        verifier, challenge = pkce_pair()
        code = await approved_code(http, remote.base, client_id, challenge)
        token = (await redeem(http, client_id, code, verifier)).json()["access_token"]
        async with remote.instance.sessions.begin() as session:
            row = await session.scalar(
                select(OAuthToken).where(OAuthToken.token_hash == digest(token))
            )
            assert row is not None
            row.resource = "https://other.example.com/mcp"
        refused = await http.post("/mcp", json=PING, headers={"Authorization": f"Bearer {token}"})
        foreign = authorization_url(
            remote.base, client_id, challenge, resource="https://other.example.com/mcp"
        )
        asked = await http.get(foreign)
    assert refused.status_code == 401
    assert "resource_metadata=" in refused.headers["www-authenticate"]
    assert "error=invalid_target" in asked.headers["location"]


async def test_consent_without_csrf_token_is_refused(remote: RemoteServer) -> None:
    async with httpx.AsyncClient(base_url=remote.base) as http:
        client_id = await register(http)
        _, challenge = pkce_pair()
        to_consent = await http.get(authorization_url(remote.base, client_id, challenge))
        page = await http.get(to_consent.headers["location"])
        form = {
            "request": hidden_field(page.text, "request"),
            "username": "alice",
            "password": "correct horse battery",
            "decision": "approve",
        }
        without = await http.post("/oauth/consent", data=form)
        forged = await http.post("/oauth/consent", data={**form, "csrf": "0" * 64})
    assert without.status_code == 403
    assert forged.status_code == 403
    assert "location" not in without.headers


async def test_refresh_token_replay_revokes_the_grant(remote: RemoteServer) -> None:
    async with httpx.AsyncClient(base_url=remote.base) as http:
        client_id = await register(http)
        verifier, challenge = pkce_pair()
        code = await approved_code(http, remote.base, client_id, challenge)
        first = (await redeem(http, client_id, code, verifier)).json()
        form = {"grant_type": "refresh_token", "client_id": client_id}
        rotated = await http.post("/token", data={**form, "refresh_token": first["refresh_token"]})
        replay = await http.post("/token", data={**form, "refresh_token": first["refresh_token"]})
        newest = rotated.json()["refresh_token"]
        after = await http.post("/token", data={**form, "refresh_token": newest})
    assert rotated.status_code == 200
    assert replay.status_code == 400
    assert after.status_code == 400  # the thief's replay ended the legitimate holder's grant too
    async with remote.instance.sessions() as session:
        live = await session.scalar(
            select(OAuthToken.id).where(
                OAuthToken.kind == OAuthTokenKind.REFRESH,
                OAuthToken.revoked_at.is_(None),
                OAuthToken.expires_at > utcnow() + timedelta(seconds=1),
            )
        )
    assert live is None
