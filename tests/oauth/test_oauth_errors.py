"""The token endpoint and /mcp refuse what they must, with the status and header the specs name."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from oauth.oauth_flow import RemoteServer, approved_code, pkce_pair, redeem, register
from polybox.auth.api_tokens import create_api_token
from polybox.auth.schemas import ApiTokenIn
from polybox.forge.actors import admin
from polybox.store.enums import OAuthTokenKind
from polybox.store.models import OAuthToken
from polybox.store.types import utcnow

pytestmark = pytest.mark.anyio
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


async def _tokens(http: httpx.AsyncClient, remote: RemoteServer) -> dict[str, str]:
    client_id = await register(http)
    verifier, challenge = pkce_pair()
    code = await approved_code(http, remote.base, client_id, challenge)
    answer = await redeem(http, client_id, code, verifier)
    assert answer.status_code == 200, answer.text
    body: dict[str, str] = answer.json()
    return body


async def test_mcp_without_a_token_is_401_naming_the_resource_metadata(
    remote: RemoteServer,
) -> None:
    async with httpx.AsyncClient(base_url=remote.base) as http:
        answer = await http.post("/mcp", json=PING)
        metadata = await http.get("/.well-known/oauth-protected-resource/mcp")
        server = await http.get("/.well-known/oauth-authorization-server")
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert (
        f'resource_metadata="{remote.base}/.well-known/oauth-protected-resource/mcp"' in challenge
    )
    assert metadata.json()["resource"] == f"{remote.base}/mcp"
    assert metadata.json()["authorization_servers"] == [server.json()["issuer"]]
    assert server.json()["code_challenge_methods_supported"] == ["S256"]


async def test_wrong_pkce_verifier_is_invalid_grant(remote: RemoteServer) -> None:
    async with httpx.AsyncClient(base_url=remote.base) as http:
        client_id = await register(http)
        _, challenge = pkce_pair()
        code = await approved_code(http, remote.base, client_id, challenge)
        wrong_verifier, _ = pkce_pair()
        answer = await redeem(http, client_id, code, wrong_verifier)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


async def test_wrong_redirect_uri_at_the_token_endpoint_is_invalid_request(
    remote: RemoteServer,
) -> None:
    async with httpx.AsyncClient(base_url=remote.base) as http:
        client_id = await register(http)
        verifier, challenge = pkce_pair()
        code = await approved_code(http, remote.base, client_id, challenge)
        answer = await redeem(
            http, client_id, code, verifier, redirect_uri="http://127.0.0.1:9/elsewhere"
        )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


async def test_expired_access_token_is_401_with_www_authenticate(remote: RemoteServer) -> None:
    async with httpx.AsyncClient(base_url=remote.base) as http:
        tokens = await _tokens(http, remote)
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        accepted = await http.post("/mcp", json=PING, headers=bearer)
        async with remote.instance.sessions.begin() as session:
            await session.execute(
                update(OAuthToken)
                .where(OAuthToken.kind == OAuthTokenKind.ACCESS)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        refused = await http.post("/mcp", json=PING, headers=bearer)
    assert accepted.status_code != 401
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_admin_api_token_is_accepted_as_a_bearer_token(remote: RemoteServer) -> None:
    async with remote.instance.sessions.begin() as session:
        created = await create_api_token(
            session, 1, admin("alice"), ApiTokenIn(name="ci", scopes=["tools:call"])
        )
    async with httpx.AsyncClient(base_url=remote.base) as http:
        answer = await http.post(
            "/mcp",
            json=PING,
            headers={
                "Authorization": f"Bearer {created.token}",
                "Accept": "application/json, text/event-stream",
            },
        )
    assert answer.status_code != 401, answer.text
