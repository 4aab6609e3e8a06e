"""The browser side of the OAuth flow for tests: a person on the consent page, over real HTTP.

`ConsentBrowser` is the official MCP client's `redirect_handler`/`callback_handler` pair: it opens
the authorization URL, follows it to the consent page, logs in and approves (or denies), and hands
the code from the final redirect back to the client.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
from mcp.client.auth.oauth2 import TokenStorage
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthToken
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from mcp_clients import serving
from polybox.app import create_app
from polybox.auth.admins import create_admin
from polybox.config import load_settings
from polybox.forge.unit import transaction
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


Seed = Callable[[AsyncSession], Awaitable[None]]


@asynccontextmanager
async def serve_remote(
    data_dir: Path, *, db_url: URL | None = None, seed: Seed | None = None
) -> AsyncIterator[RemoteServer]:
    """polybox in remote mode on 127.0.0.1 with admin `alice`; plain HTTP via the test switch.

    `db_url` unset: SQLite in `data_dir`. `seed` adds what the test needs in the same transaction
    as the admin; tools run (a real sandbox) only when a seed is given. The socket is bound first so
    `public_url` (issuer and resource) can name its port.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = load_settings(
        data_dir=data_dir,
        mode="remote",
        public_url=base,
        allow_insecure_remote=True,
        pool_size=1,
        database_url=None if db_url is None else db_url.render_as_string(False),
    )
    async with Instance.running(settings, run_tools=seed is not None) as instance:
        async with transaction(instance.sessions, instance.events) as session:
            await create_admin(session, ADMIN, ADMIN_PASSWORD)
            if seed is not None:
                await seed(session)
        async with serving(create_app(instance), "127.0.0.1", sock) as _:
            yield RemoteServer(base, instance)


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


async def register(http: httpx.AsyncClient) -> str:
    """A public client registered over /register; its id."""
    answer = await http.post(
        "/register",
        json={
            "client_name": "attacker's test client",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        },
    )
    assert answer.status_code == 201, answer.text
    client_id: str = answer.json()["client_id"]
    return client_id


def authorization_url(base: str, client_id: str, challenge: str, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s1",
        "resource": f"{base}/mcp",
        **extra,
    }
    return f"{base}/authorize?{urlencode(query)}"


async def approved_code(http: httpx.AsyncClient, base: str, client_id: str, challenge: str) -> str:
    """The code alice's approval yields for a fresh authorization request."""
    location = await consent(
        http, authorization_url(base, client_id, challenge), ADMIN, ADMIN_PASSWORD
    )
    return parse_qs(urlparse(location).query)["code"][0]


async def redeem(
    http: httpx.AsyncClient,
    client_id: str,
    code: str,
    verifier: str,
    redirect_uri: str = REDIRECT_URI,
) -> httpx.Response:
    return await http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
