"""polybox in remote mode with the test provider configured, and the browser's steps through
the consent page, the provider and back, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import anyio
import httpx
import uvicorn
from starlette.types import ASGIApp

from oauth.oauth_flow import authorization_url, pkce_pair, register
from oidc.idp import CLIENT_ID, CLIENT_SECRET, TestProvider
from polybox.app import create_app
from polybox.config import load_settings
from polybox.instance import Instance

DISPLAY_NAME = "Test IdP"
START_LINK = re.compile(r'href="(/oauth/oidc/start\?request=[^"]+)"')


@dataclass(frozen=True)
class Servers:
    base: str
    instance: Instance
    idp: TestProvider


@asynccontextmanager
async def listening(app: ASGIApp) -> AsyncIterator[str]:
    """Serve `app` on a free 127.0.0.1 port (bound before the app is built); yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve, [sock])
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        server.should_exit = True
    sock.close()


@asynccontextmanager
async def serve_with_provider(tmp_path: Path, idp: TestProvider) -> AsyncIterator[Servers]:
    """The provider, then polybox (remote mode, plain HTTP by the test switch) trusting it."""
    async with listening(idp.app()) as idp_base:
        idp.base = idp_base
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = load_settings(
            data_dir=tmp_path / "data",
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'polybox.db'}",
            mode="remote",
            public_url=base,
            allow_insecure_remote=True,
            oidc_issuer_url=idp_base,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
            oidc_display_name=DISPLAY_NAME,
            oidc_allowed_email_domains=["example.com"],
        )
        async with Instance.running(settings, run_tools=False) as instance:
            server = uvicorn.Server(uvicorn.Config(create_app(instance), log_config=None))
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(server.serve, [sock])
                yield Servers(base, instance, idp)
                server.should_exit = True
        sock.close()


@dataclass(frozen=True)
class ConsentPage:
    client_id: str
    verifier: str
    page: httpx.Response

    @property
    def start_link(self) -> str:
        found = START_LINK.search(self.page.text)
        assert found is not None, f"no sign-in link on the consent page: {self.page.text[:400]}"
        return unescape(found.group(1))


async def open_consent(browser: httpx.AsyncClient, base: str) -> ConsentPage:
    """A client registers and sends the person to the consent page (which sets its cookie)."""
    client_id = await register(browser)
    verifier, challenge = pkce_pair()
    to_consent = await browser.get(authorization_url(base, client_id, challenge))
    assert to_consent.status_code == 302, to_consent.text
    page = await browser.get(to_consent.headers["location"])
    assert page.status_code == 200, page.text
    return ConsentPage(client_id, verifier, page)


async def to_callback(browser: httpx.AsyncClient, start_link: str) -> str:
    """Follow the sign-in link to the provider; the callback URL the provider sends back to."""
    started = await browser.get(start_link)
    assert started.status_code == 303, started.text
    at_provider = await browser.get(started.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    location: str = at_provider.headers["location"]
    return location


async def sign_in(browser: httpx.AsyncClient, base: str) -> tuple[ConsentPage, httpx.Response]:
    """The whole round trip; the consent page and polybox's answer to the callback."""
    consent = await open_consent(browser, base)
    callback = await browser.get(await to_callback(browser, consent.start_link))
    return consent, callback
