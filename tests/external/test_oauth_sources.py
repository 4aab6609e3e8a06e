"""OAuth sources end to end: polybox A connects to polybox B (remote mode) as an admin would.

B is real (uvicorn on 127.0.0.1, its OAuth authorization server, a real sandbox running its
approved tool `net__ping`); A is the `instance` on each backend, its admin API in process and its
MCP endpoint served over HTTP for the official client. The test plays A's admin and their browser:
start, B's consent page (login, approve), back to A's callback.
"""

from __future__ import annotations

import httpx
import pytest
from mcp_types import TextContent
from sqlalchemy import select, update

from external.conftest import ADMIN
from external.oauth_upstream import SOURCE, connect_source, local_path
from mcp_clients import client_for, serving
from oauth.oauth_flow import RemoteServer
from polybox.app import create_app
from polybox.forge import approvals
from polybox.forge.external.oauth import SourceTokens
from polybox.forge.external.targets import RemoteTarget
from polybox.forge.unit import transaction
from polybox.instance import Instance
from polybox.store.enums import OAuthTokenKind
from polybox.store.models import ExternalOAuthFlow, ExternalSource
from polybox.store.models import OAuthToken as TokenRow
from polybox.store.types import utcnow

pytestmark = pytest.mark.anyio


async def stored_tokens(instance: Instance) -> SourceTokens:
    async with instance.sessions() as session:
        row = await session.scalar(select(ExternalSource).where(ExternalSource.name == "b"))
        assert row is not None
        return SourceTokens(instance.sessions, instance.secret_box, RemoteTarget.of(row, ""))


async def test_an_admin_connects_an_oauth_source_then_calls_refresh_and_revocation_show(
    instance: Instance, api: httpx.AsyncClient, oauth_source: RemoteServer
) -> None:
    b = oauth_source
    back_to = await connect_source(api, SOURCE)
    assert back_to.startswith(f"{instance.settings.public_base_url}/api/external-oauth/callback?")
    async with httpx.AsyncClient(  # the browser: no admin token
        transport=httpx.ASGITransport(app=create_app(instance)), base_url="http://polybox"
    ) as browser:
        page = await browser.get(local_path(back_to))
    assert page.status_code == 200, page.text
    assert "External source connected" in page.text
    assert (await api.get(SOURCE)).json()["oauth_connected"] is True

    discovered = await api.get(f"{SOURCE}/tools")
    assert "net__ping" in [tool["remote_name"] for tool in discovered.json()["tools"]]
    imported = await api.post(f"{SOURCE}/import", json={"tools": ["net__ping"]})
    (tool,) = imported.json()["tools"]
    async with transaction(instance.sessions, instance.events) as session:
        await approvals.approve_tool(session, ADMIN, "hub", tool["name"])

    storage = await stored_tokens(instance)
    async with serving(create_app(instance), "127.0.0.1") as url:
        client, _ = client_for(url)
        async with client:
            first = await client.call_tool(f"hub__{tool['name']}", {})
            assert not first.is_error, first.content
            assert first.structured_content == {"pong": True}

            # The access token expires at B, and A knows it (A restarted: no pooled session).
            before = await storage.get_tokens()
            assert before is not None
            async with b.instance.sessions.begin() as session:
                await session.execute(
                    update(TokenRow)
                    .where(TokenRow.kind == OAuthTokenKind.ACCESS)
                    .values(expires_at=utcnow())
                )
            await storage.set_tokens(before.model_copy(update={"expires_in": 0}))
            source_id = (await api.get(SOURCE)).json()["id"]
            await instance.runner.external.pool.discard(source_id)
            refreshed = await client.call_tool(f"hub__{tool['name']}", {})
            assert not refreshed.is_error, refreshed.content
            after = await storage.get_tokens()
            assert after is not None
            assert after.access_token != before.access_token
            assert after.refresh_token != before.refresh_token

            # B's admin ends the grant: A's next call fails in plain words; health says so.
            async with httpx.AsyncClient(base_url=b.base) as raw:
                client_info = await storage.get_client_info()
                assert client_info is not None
                revoked = await raw.post(
                    "/revoke",
                    data={
                        "token": after.access_token,
                        "client_id": client_info.client_id,
                        "client_secret": "",
                    },
                )
                assert revoked.status_code == 200
            refused = await client.call_tool(f"hub__{tool['name']}", {})

    assert refused.is_error
    (message,) = [block.text for block in refused.content if isinstance(block, TextContent)]
    assert "no longer accepts polybox's OAuth tokens" in message
    assert "connects it again" in message
    health = (await api.get(SOURCE)).json()
    assert health["health"] == "unhealthy"
    assert "connects it again" in health["last_error"]


async def test_a_forged_or_replayed_state_is_refused_and_stores_nothing(
    instance: Instance, api: httpx.AsyncClient, oauth_source: RemoteServer
) -> None:
    back_to = await connect_source(api, SOURCE)
    forged = back_to.replace("state=", "state=x")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(instance)), base_url="http://polybox"
    ) as browser:
        refused = await browser.get(local_path(forged))
        not_connected = (await api.get(SOURCE)).json()["oauth_connected"]
        accepted = await browser.get(local_path(back_to))
        storage = await stored_tokens(instance)
        tokens = await storage.get_tokens()
        replayed = await browser.get(local_path(back_to))

    assert refused.status_code == 400
    assert "unknown, already used or expired" in refused.text
    assert not_connected is False
    assert accepted.status_code == 200, accepted.text
    assert replayed.status_code == 400
    assert "unknown, already used or expired" in replayed.text
    assert await storage.get_tokens() == tokens  # the replay changed nothing
    async with instance.sessions() as session:
        assert (await session.scalars(select(ExternalOAuthFlow))).all() == []
