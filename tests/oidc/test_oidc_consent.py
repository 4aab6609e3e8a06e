"""Approving an MCP client by signing in at the upstream OpenID Connect provider."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import select

from oauth.oauth_flow import REDIRECT_URI, redeem
from oidc.flow import DISPLAY_NAME, Servers, open_consent, sign_in, to_callback
from polybox.store.enums import AdminRole
from polybox.store.models import AdminUser, OidcIdentity

pytestmark = pytest.mark.anyio


async def _accounts(servers: Servers) -> list[tuple[AdminUser, OidcIdentity]]:
    async with servers.instance.sessions() as session:
        rows = await session.execute(
            select(AdminUser, OidcIdentity).join(
                OidcIdentity, OidcIdentity.admin_id == AdminUser.id
            )
        )
        return [(user, link) for user, link in rows]


def _refused(answer: httpx.Response, reason: str) -> None:
    assert answer.status_code == 400, answer.text
    assert reason in answer.text
    assert "location" not in answer.headers


async def test_the_consent_page_offers_to_sign_in_with_the_provider(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    consent = await open_consent(browser, servers.base)

    assert f"Sign in with {DISPLAY_NAME} and approve" in consent.page.text
    assert consent.start_link.startswith("/oauth/oidc/start?request=")


async def test_signing_in_at_the_provider_approves_the_client_with_a_new_mcp_account(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    consent, callback = await sign_in(browser, servers.base)

    assert callback.status_code == 303, callback.text
    back = urlparse(callback.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT_URI
    query = parse_qs(back.query)
    assert query["state"] == ["s1"]
    tokens = await redeem(browser, consent.client_id, query["code"][0], consent.verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["access_token"]
    ((user, link),) = await _accounts(servers)
    assert (user.username, user.role) == ("ada", AdminRole.MCP)
    assert (link.issuer, link.subject) == (servers.idp.base, servers.idp.person.subject)


async def test_a_returning_person_keeps_their_account_after_an_email_change(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    await sign_in(browser, servers.base)
    servers.idp.person.email = "ada.lovelace@example.com"

    _, callback = await sign_in(browser, servers.base)

    assert callback.status_code == 303, callback.text
    ((user, link),) = await _accounts(servers)
    assert user.username == "ada"
    assert link.email == "ada.lovelace@example.com"


async def test_a_second_person_with_the_same_name_gets_an_account_of_their_own(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    await sign_in(browser, servers.base)
    servers.idp.person.subject = "00u-another-ada"

    await sign_in(browser, servers.base)

    assert sorted(user.username for user, _ in await _accounts(servers)) == ["ada", "ada-2"]


async def test_an_id_token_with_the_wrong_nonce_is_refused(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    servers.idp.overrides["nonce"] = "a-nonce-of-another-sign-in"

    _, callback = await sign_in(browser, servers.base)

    _refused(callback, "nonce mismatch")
    assert await _accounts(servers) == []


async def test_an_id_token_for_another_audience_is_refused(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    servers.idp.overrides["aud"] = "some-other-client"

    _, callback = await sign_in(browser, servers.base)

    _refused(callback, "issued for another client")


async def test_an_expired_id_token_is_refused(browser: httpx.AsyncClient, servers: Servers) -> None:
    now = int(time.time())
    servers.idp.overrides.update(iat=now - 7200, exp=now - 3600)

    _, callback = await sign_in(browser, servers.base)

    _refused(callback, "ID token has expired")


async def test_an_id_token_from_another_issuer_is_refused(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    servers.idp.overrides["iss"] = "https://evil.test"

    _, callback = await sign_in(browser, servers.base)

    _refused(callback, "was not issued by")


async def test_a_callback_with_a_wrong_state_is_refused_before_the_code_is_used(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    consent = await open_consent(browser, servers.base)
    callback_url = await to_callback(browser, consent.start_link)
    tampered = callback_url.replace("state=", "state=x", 1)

    answer = await browser.get(tampered)

    _refused(answer, "state mismatch")
    assert servers.idp.token_requests == 0


async def test_an_email_domain_that_is_not_allowed_gets_no_account(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    servers.idp.person.email = "mallory@elsewhere.test"

    _, callback = await sign_in(browser, servers.base)

    _refused(callback, "accounts for elsewhere.test are not allowed")
    assert await _accounts(servers) == []


async def test_an_unverified_email_gets_no_account(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    servers.idp.person.email_verified = False

    _, callback = await sign_in(browser, servers.base)

    _refused(callback, "verified email address")


async def test_a_disabled_account_cannot_approve_through_the_provider(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    await sign_in(browser, servers.base)
    async with servers.instance.sessions.begin() as session:
        user = await session.scalar(select(AdminUser).where(AdminUser.username == "ada"))
        assert user is not None
        user.disabled = True

    _, callback = await sign_in(browser, servers.base)

    _refused(callback, "account is disabled")


async def test_the_provider_refusing_the_sign_in_is_shown_as_its_reason(
    browser: httpx.AsyncClient, servers: Servers
) -> None:
    consent = await open_consent(browser, servers.base)
    started = await browser.get(consent.start_link)
    state = parse_qs(urlparse(started.headers["location"]).query)["state"][0]

    answer = await browser.get(
        "/oauth/oidc/callback",
        params={"error": "access_denied", "error_description": "user cancelled", "state": state},
    )

    _refused(answer, "user cancelled")
