"""`/oauth/oidc/start` and `/oauth/oidc/callback`: approve a pending MCP authorization request by
signing in at the upstream OpenID Connect provider instead of with a polybox password.

The consent page shows "Sign in with <provider> and approve" under the request's details (client,
redirect URI, scopes); following it is the approval, as pressing Approve after a password is.
The person can still deny on the page. The flow:

1. `start?request=<pending id>` runs only as a navigation from the consent page itself: the
   consent page's cookie (SameSite=Strict, so a cross-site link or redirect never carries it) must
   be present, and a browser's `Sec-Fetch-Site` must say same-origin. Otherwise a site could send
   a signed-in person through start and have their identity provider session, which usually
   answers without a prompt, approve an attacker's client.
2. It stores the sign-in's state, nonce, PKCE verifier and pending id in a cookie signed with an
   instance key (no server-side state, so any replica can take the callback) and redirects to the
   provider.
3. `callback` checks the signature and age of that cookie and that `state` matches it, exchanges
   the code with the verifier, verifies the ID token (`provider.py`), finds or creates the account
   (`accounts.py`) and completes the consent as that account; the browser goes back to the MCP
   client with a code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import quote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from polybox.auth.oauth.consent import COOKIE as CONSENT_COOKIE
from polybox.auth.oauth.consent import ConsentError, ConsentUser, complete_consent
from polybox.auth.oauth.page import CONSENT_CSP, render_message
from polybox.auth.oidc.accounts import account_for
from polybox.auth.oidc.provider import Challenge, OidcClient, OidcError
from polybox.config import Settings
from polybox.forge.unit import transaction
from polybox.instance import Instance

START_PATH = "/oauth/oidc/start"
CALLBACK_PATH = "/oauth/oidc/callback"
FLOW_COOKIE = "polybox_oidc"
FLOW_PURPOSE = "polybox oidc sign-in flow v1"
FLOW_SECONDS = 600


def oidc_login(instance: Instance) -> OidcLogin | None:
    """The instance's upstream sign-in, or None when no provider is configured."""
    client = OidcClient.from_settings(instance.settings)
    if client is None:
        return None
    key = instance.secret_box.derive(FLOW_PURPOSE)
    return OidcLogin(instance.settings, instance.sessions, key, client)


class OidcLogin:
    """The two routes and the consent page's sign-in link for one configured provider."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        key: bytes,
        client: OidcClient,
    ) -> None:
        self.client = client
        self.sessions = sessions
        self._key = key
        self._allowed = settings.oidc_allowed_email_domains
        self._redirect_uri = settings.public_base_url + CALLBACK_PATH
        self.name = settings.oidc_display_name or urlsplit(client.issuer).hostname or "SSO"

    def sign_in_links(self, pending_id: str) -> list[tuple[str, str]]:
        """The consent page's link for this request (H4's `sign_in_links` hook)."""
        return [
            (f"Sign in with {self.name} and approve", f"{START_PATH}?request={quote(pending_id)}")
        ]

    def routes(self) -> list[Route]:
        return [
            Route(START_PATH, self.start, methods=["GET"]),
            Route(CALLBACK_PATH, self.callback, methods=["GET"]),
        ]

    async def start(self, request: Request) -> Response:
        pending_id = request.query_params.get("request", "")
        fetch_site = request.headers.get("sec-fetch-site", "same-origin")
        if not request.cookies.get(CONSENT_COOKIE) or fetch_site != "same-origin":
            return _page(
                "Request refused",
                "Sign-in with an identity provider starts from the consent page. Go back to your "
                "MCP client and start the connection again.",
                403,
            )
        challenge = Challenge.new()
        try:
            target = await self.client.authorization_url(challenge, self._redirect_uri)
        except OidcError as exc:
            return _page("Sign-in unavailable", str(exc), 502)
        response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
        flow: dict[str, str | int] = {
            "state": challenge.state,
            "nonce": challenge.nonce,
            "verifier": challenge.verifier,
            "request": pending_id,
            "exp": int(time.time()) + FLOW_SECONDS,
        }
        response.set_cookie(
            FLOW_COOKIE,
            self._seal(flow),
            max_age=FLOW_SECONDS,
            path=CALLBACK_PATH,
            httponly=True,
            samesite="lax",  # the provider's redirect back is a cross-site top-level navigation
            secure=request.url.scheme == "https",
        )
        return response

    async def callback(self, request: Request) -> Response:
        response = await self._finish(request)
        response.delete_cookie(FLOW_COOKIE, path=CALLBACK_PATH)
        return response

    async def _finish(self, request: Request) -> Response:
        flow = self._open(request.cookies.get(FLOW_COOKIE, ""))
        if flow is None:
            return _page(
                "Sign-in expired",
                "This sign-in expired or was started in another browser. Start again from your "
                "MCP client.",
                400,
            )
        params = request.query_params
        if "error" in params:
            reason = params.get("error_description") or params["error"]
            return _page("Sign-in refused", f"The identity provider refused: {reason}", 400)
        if not hmac.compare_digest(params.get("state", ""), flow["state"]):
            return _page(
                "Sign-in refused",
                "The answer does not belong to this sign-in (state mismatch). Start again from "
                "your MCP client.",
                400,
            )
        challenge = Challenge(flow["state"], flow["nonce"], flow["verifier"])
        try:
            identity = await self.client.sign_in(
                params.get("code", ""), challenge, self._redirect_uri
            )
            async with transaction(self.sessions, None) as session:
                account = await account_for(session, identity, self._allowed)
                user = ConsentUser.of(account)
            target = await complete_consent(self.sessions, flow["request"], user, approve=True)
        except (OidcError, ConsentError) as exc:
            return _page("Sign-in refused", str(exc), 400)
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})

    def _seal(self, flow: dict[str, str | int]) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(flow).encode()).decode()
        return f"{payload}.{self._mac(payload)}"

    def _open(self, sealed: str) -> dict[str, str] | None:
        """The flow of a cookie this instance signed and that has not expired; else None."""
        payload, _, mac = sealed.partition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        flow = json.loads(base64.urlsafe_b64decode(payload))
        if int(flow["exp"]) < time.time():
            return None
        return {k: str(v) for k, v in flow.items()}

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()


def _page(title: str, message: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        render_message(title, message),
        status_code=status,
        headers={"Content-Security-Policy": CONSENT_CSP, "Cache-Control": "no-store"},
    )
