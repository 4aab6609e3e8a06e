"""Attacks on connecting an OAuth external source: the browser's return to polybox's callback.

The callback cannot carry the admin's credentials, so only the flow's `state` vouches for it.
polybox A is the `instance` (each backend); the source is polybox B in remote mode, served on
127.0.0.1 (tests/external/oauth_upstream.py), whose consent page the test approves as its admin.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select, update

from external.oauth_upstream import SOURCE, connect_source, local_path
from oauth.oauth_flow import RemoteServer
from polybox.app import create_app
from polybox.instance import Instance
from polybox.store.models import ExternalOAuthFlow, ExternalSource
from polybox.store.types import utcnow

pytestmark = pytest.mark.anyio


@pytest.fixture
async def browser(instance: Instance) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at polybox A without any admin credentials."""
    transport = httpx.ASGITransport(app=create_app(instance))
    async with httpx.AsyncClient(transport=transport, base_url="http://polybox") as client:
        yield client


async def _oauth_state(instance: Instance) -> bytes | None:
    async with instance.sessions() as session:
        return await session.scalar(select(ExternalSource.oauth_state_ciphertext))


async def test_external_oauth_callback_with_forged_state_is_refused(
    instance: Instance,
    api: httpx.AsyncClient,
    oauth_source: RemoteServer,
    browser: httpx.AsyncClient,
) -> None:
    # The attacker holds a real code from the source (their own approval) but cannot know the
    # state of the admin's pending flow: a guessed one is refused and nothing is stored.
    back_to = await connect_source(api, SOURCE)
    real_state = back_to.split("state=")[1].split("&")[0]
    forged = back_to.replace(real_state, secrets.token_urlsafe(32))

    refused = await browser.get(local_path(forged))

    assert refused.status_code == 400
    assert "unknown, already used or expired" in refused.text
    assert await _oauth_state(instance) is None
    assert (await api.get(SOURCE)).json()["oauth_connected"] is False
    assert (await browser.get(local_path(back_to))).status_code == 200  # the admin's still works


async def test_external_oauth_callback_replayed_state_is_refused(
    instance: Instance,
    api: httpx.AsyncClient,
    oauth_source: RemoteServer,
    browser: httpx.AsyncClient,
) -> None:
    # A return URL seen in a browser history or a proxy log is used up already.
    back_to = await connect_source(api, SOURCE)
    assert (await browser.get(local_path(back_to))).status_code == 200
    connected = await _oauth_state(instance)

    replayed = await browser.get(local_path(back_to))

    assert replayed.status_code == 400
    assert "unknown, already used or expired" in replayed.text
    assert await _oauth_state(instance) == connected


async def test_external_oauth_callback_with_expired_state_is_refused(
    instance: Instance,
    api: httpx.AsyncClient,
    oauth_source: RemoteServer,
    browser: httpx.AsyncClient,
) -> None:
    # A flow left unfinished does not stay usable: after its lifetime the state is void.
    back_to = await connect_source(api, SOURCE)
    async with instance.sessions.begin() as session:
        await session.execute(update(ExternalOAuthFlow).values(expires_at=utcnow()))

    refused = await browser.get(local_path(back_to))

    assert refused.status_code == 400
    assert "unknown, already used or expired" in refused.text
    assert await _oauth_state(instance) is None
