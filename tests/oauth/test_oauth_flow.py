"""End to end: the official MCP client's OAuth support against polybox's authorization server.

The client discovers the server from the 401, registers, runs authorization code + PKCE (the test
plays the person on the consent page over HTTP), calls a tool, refreshes, and is refused once the
grant is revoked.
"""

from __future__ import annotations

import time

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth.oauth2 import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata
from pydantic import AnyUrl

from oauth.oauth_flow import REDIRECT_URI, ConsentBrowser, MemoryStorage, RemoteServer

pytestmark = pytest.mark.anyio


def oauth_auth(
    server: RemoteServer, browser: ConsentBrowser, storage: MemoryStorage
) -> OAuthClientProvider:
    """The SDK's OAuth support for the official client's HTTP requests."""
    return OAuthClientProvider(
        server_url=server.mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="pytest agent",
            redirect_uris=[AnyUrl(REDIRECT_URI)],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.open,
        callback_handler=browser.callback,
    )


async def test_official_client_registers_consents_calls_refreshes_and_is_refused_after_revocation(
    remote: RemoteServer,
) -> None:
    browser, storage = ConsentBrowser(), MemoryStorage()
    client_auth = oauth_auth(remote, browser, storage)
    async with (
        httpx2.AsyncClient(auth=client_auth) as http,
        Client(streamable_http_client(remote.mcp_url, http_client=http), mode="legacy") as client,
    ):
        created = await client.call_tool("polybox_create_server", {"name": "weather"})
        assert not created.is_error, created
        assert len(browser.authorizations) == 1
        assert storage.client_info is not None
        assert storage.tokens is not None
        assert storage.tokens.scope == "tools:call forge:write"
        first = storage.tokens

        # The client refreshes once it believes its access token expired.
        client_auth.context.token_expiry_time = time.time() - 1
        listed = await client.call_tool("polybox_list_servers", {})
        assert not listed.is_error, listed
        assert "weather" in str(listed.content)
        assert storage.tokens is not None
        assert storage.tokens.access_token != first.access_token
        assert storage.tokens.refresh_token != first.refresh_token
        assert len(browser.authorizations) == 1  # refreshed, not re-authorized

    async with httpx.AsyncClient(base_url=remote.base) as raw:
        bearer = {"Authorization": f"Bearer {storage.tokens.access_token}"}
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        revoked = await raw.post(
            "/revoke",
            data={
                "token": storage.tokens.access_token,
                "client_id": storage.client_info.client_id,
                "client_secret": "",  # the SDK's revocation form wants the field; public client
            },
        )
        assert revoked.status_code == 200
        refused = await raw.post("/mcp", json=ping, headers=bearer)
        assert refused.status_code == 401
        assert "resource_metadata=" in refused.headers["www-authenticate"]
        # Revoking the access token ended the grant: its refresh token is void too.
        refreshed = await raw.post(
            "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": storage.tokens.refresh_token,
                "client_id": storage.client_info.client_id,
            },
        )
        assert refreshed.status_code == 400
        assert refreshed.json()["error"] == "invalid_grant"
