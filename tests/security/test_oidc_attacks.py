"""Attacks on the upstream OpenID Connect sign-in of the consent page (`auth/oidc/`).

Against polybox in remote mode and the test provider of tests/oidc/idp.py, a stand-in for a real
identity provider (none can run here), over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select

from oidc.flow import Servers, open_consent, serve_with_provider, sign_in, to_callback
from oidc.idp import CLIENT_SECRET, KEY_ID, TestProvider, new_key
from polybox.auth.oidc.login import FLOW_COOKIE
from polybox.store.models import OAuthCode, OidcIdentity

pytestmark = pytest.mark.anyio


async def _count(servers: Servers, model: type[OAuthCode] | type[OidcIdentity]) -> int:
    async with servers.instance.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _refused_by_callback(servers: Servers, browser: httpx.AsyncClient, reason: str) -> None:
    _, callback = await sign_in(browser, servers.base)
    assert callback.status_code == 400, callback.text
    assert reason in callback.text
    assert await _count(servers, OAuthCode) == 0


async def test_consent_csrf_link_to_oidc_start_from_another_site_is_refused(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    consent = await open_consent(browser, servers.base)
    # The attacker's page links straight to start: the victim's browser has no consent cookie
    # for that navigation (SameSite=Strict), as a fresh client has none.
    async with httpx.AsyncClient(base_url=servers.base) as victim:
        answer = await victim.get(consent.start_link)

    assert answer.status_code == 403
    assert "location" not in answer.headers


async def test_consent_csrf_with_cross_site_fetch_metadata_is_refused(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    consent = await open_consent(browser, servers.base)

    answer = await browser.get(consent.start_link, headers={"Sec-Fetch-Site": "cross-site"})

    assert answer.status_code == 403
    assert "location" not in answer.headers


async def test_id_token_alg_confusion_hs256_with_the_client_secret_is_refused(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    def hs256(claims: dict[str, Any]) -> str:
        return jwt.encode(claims, CLIENT_SECRET, algorithm="HS256", headers={"kid": KEY_ID})

    servers.idp.signer = hs256

    await _refused_by_callback(servers, browser, "ID token is not valid")


async def test_id_token_with_alg_none_is_refused(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    def unsigned(claims: dict[str, Any]) -> str:
        def part(value: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

        return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': KEY_ID})}.{part(claims)}."

    servers.idp.signer = unsigned

    await _refused_by_callback(servers, browser, "ID token is not valid")


async def test_id_token_signed_by_another_key_under_the_providers_key_id_is_refused(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    forger = new_key()

    def forged(claims: dict[str, Any]) -> str:
        return jwt.encode(claims, forger, algorithm="RS256", headers={"kid": KEY_ID})

    servers.idp.signer = forged

    await _refused_by_callback(servers, browser, "ID token is not valid")


async def test_replayed_oidc_callback_is_refused_and_yields_no_second_code(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    consent = await open_consent(browser, servers.base)
    callback_url = await to_callback(browser, consent.start_link)
    flow_cookie = browser.cookies.get(FLOW_COOKIE)
    assert flow_cookie
    first = await browser.get(callback_url)
    assert first.status_code == 303

    browser.cookies.set(FLOW_COOKIE, flow_cookie)  # the attacker kept a copy
    replay = await browser.get(callback_url)

    assert replay.status_code == 400
    assert await _count(servers, OAuthCode) == 1


async def test_forged_oidc_flow_cookie_is_refused(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    consent = await open_consent(browser, servers.base)
    callback_url = await to_callback(browser, consent.start_link)
    payload, _, mac = (browser.cookies.get(FLOW_COOKIE) or "").partition(".")
    flow = json.loads(base64.urlsafe_b64decode(payload))
    flow["request"] = "another-pending-request"
    forged = base64.urlsafe_b64encode(json.dumps(flow).encode()).decode()
    browser.cookies.set(FLOW_COOKIE, f"{forged}.{mac}")

    answer = await browser.get(callback_url)

    assert answer.status_code == 400
    assert "Sign-in expired" in answer.text
    assert servers.idp.token_requests == 0


async def test_oidc_mix_up_discovery_naming_another_issuer_is_refused(tmp_path: Path) -> None:
    idp = TestProvider(discovery_issuer="https://login.attacker.test")
    async with (
        serve_with_provider(tmp_path, idp) as servers,
        httpx.AsyncClient(base_url=servers.base) as browser,
    ):
        consent = await open_consent(browser, servers.base)
        answer = await browser.get(consent.start_link)

        assert answer.status_code == 502
        assert "calls itself https://login.attacker.test" in answer.text
        assert await _count(servers, OidcIdentity) == 0
