"""The browser side of the OAuth flow for tests: a person on the consent page, over real HTTP.

`ConsentBrowser` is the official MCP client's `redirect_handler`/`callback_handler` pair: it opens
the authorization URL, follows it to the consent page, logs in and approves (or denies), and hands
the code from the final redirect back to the client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import httpx
from mcp.client.auth.oauth2 import TokenStorage
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthToken

from polybox.instance import Instance

ADMIN = "alice"
ADMIN_PASSWORD = "correct horse battery"
REDIRECT_URI = "http://127.0.0.1:9/callback"


@dataclass(frozen=True)
class RemoteServer:
    """polybox in remote mode at `base` (also its public URL), and its instance."""

    base: str
    instance: Instance

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp"


class MemoryStorage(TokenStorage):
    """The client's tokens and registration, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


def hidden_field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, f"no {name} field in the page: {page[:300]}"
    return found.group(1)


@dataclass
class ConsentBrowser:
    """Plays the person at the consent page; records every authorization it completes."""

    username: str = ADMIN
    password: str = ADMIN_PASSWORD
    decision: str = "approve"
    authorizations: list[str] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)

    async def open(self, authorization_url: str) -> None:
        self.authorizations.append(authorization_url)
        async with httpx.AsyncClient() as browser:
            location = await consent(
                browser, authorization_url, self.username, self.password, self.decision
            )
        self.redirects.append(location)

    async def callback(self) -> AuthorizationCodeResult:
        query = parse_qs(urlparse(self.redirects[-1]).query)
        return AuthorizationCodeResult(code=query["code"][0], state=query["state"][0])


async def consent(
    browser: httpx.AsyncClient,
    authorization_url: str,
    username: str,
    password: str,
    decision: str = "approve",
) -> str:
    """Follow /authorize to the consent page, submit it; the final redirect's Location."""
    to_consent = await browser.get(authorization_url)
    assert to_consent.status_code == 302, to_consent.text
    page = await browser.get(to_consent.headers["location"])
    assert page.status_code == 200, page.text
    form = {
        "request": hidden_field(page.text, "request"),
        "csrf": hidden_field(page.text, "csrf"),
        "username": username,
        "password": password,
        "decision": decision,
    }
    submitted = await browser.post(str(page.url.copy_with(query=None)), data=form)
    assert submitted.status_code == 303, submitted.text
    return submitted.headers["location"]
