"""The consent step: a person logs in and approves or denies a parked authorization request.

Who may approve: an enabled account of role `admin`, or of role `mcp` for grants without the
`admin` scope. `complete_consent` is the one way a pending request ends, for the password form
here and for other login methods (upstream OpenID Connect) alike: it returns where the browser
goes next, the client's redirect URI with a code, or with `error=access_denied`.

The form is protected against cross-site requests by a token bound to the pending request and to
a random cookie of this browser (HMAC under an instance key), so it needs no server-side state
and works across replicas. Password attempts share the admin API's login rate limiter.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
from mcp.server.auth.provider import construct_redirect_uri
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from polybox.auth.oauth import grants
from polybox.auth.oauth.page import CONSENT_CSP, ConsentView, render_consent, render_message
from polybox.auth.passwords import hash_password, verify_password
from polybox.auth.ratelimit import LoginLimiter, RateLimitedError
from polybox.errors import PolyboxError
from polybox.forge.actors import admin
from polybox.forge.unit import record_activity, transaction
from polybox.store.enums import AdminRole
from polybox.store.models import AdminUser
from polybox.store.types import utcnow

CSRF_PURPOSE = "polybox oauth consent csrf v1"
COOKIE = "polybox_consent"
SignInLinks = Callable[[str], Sequence[tuple[str, str]]]


class ConsentError(PolyboxError):
    """The request cannot be decided as asked; the message is shown on the page."""


@dataclass(frozen=True)
class ConsentUser:
    """The person deciding: an enabled account that has just proved who it is."""

    id: int
    username: str
    role: AdminRole

    @classmethod
    def of(cls, row: AdminUser) -> ConsentUser:
        return cls(row.id, row.username, row.role)


async def complete_consent(
    sessions: async_sessionmaker[AsyncSession], pending_id: str, user: ConsentUser, *, approve: bool
) -> str:
    """Decide a pending request; the URL to send the browser to. ConsentError if it can't be."""
    at = utcnow()
    async with transaction(sessions, None) as session:
        pending = await grants.find_pending(session, pending_id, at)
        if pending is None:
            raise ConsentError("this authorization request is unknown or expired; start again")
        if approve and "admin" in pending.scopes and user.role != AdminRole.ADMIN:
            raise ConsentError(
                f"{user.username} may not grant the admin scope; an administrator must approve"
            )
        client_id, redirect, state = pending.client.client_id, pending.redirect_uri, pending.state
        details = {"client_id": client_id, "scopes": pending.scopes}
        if approve:
            code = await grants.issue_code(session, pending, user.id, at)
            params = {"code": code, "state": state}
        else:
            await session.delete(pending)
            params = {"error": "access_denied", "state": state}
        action = "oauth.consent_granted" if approve else "oauth.consent_denied"
        record_activity(
            session,
            admin(user.username),
            action,
            target_kind="oauth_client",
            target_id=client_id,
            details=details,
        )
    return construct_redirect_uri(redirect, **params)


@functools.cache
def _dummy_hash() -> str:
    """Unknown usernames verify against this, so they cost as much as wrong passwords."""
    return hash_password(secrets.token_urlsafe(16))


async def check_credentials(
    session: AsyncSession, username: str, password: str
) -> AdminUser | None:
    """The enabled `admin` or `mcp` account with that password; None for anything else."""
    user = await session.scalar(select(AdminUser).where(AdminUser.username == username))
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = await anyio.to_thread.run_sync(verify_password, stored, password)
    if user is None or not matches or user.disabled:
        return None
    return user


class ConsentEndpoint:
    """`GET /oauth/consent?request=<id>` shows the form; `POST` logs in and decides."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        key: bytes,
        limiter: LoginLimiter,
        sign_in_links: SignInLinks | None = None,
    ) -> None:
        self.sessions = sessions
        self._key = key
        self.limiter = limiter
        self.sign_in_links = sign_in_links

    async def handle(self, request: Request) -> Response:
        if request.method == "POST":
            return await self._post(request)
        pending_id = request.query_params.get("request", "")
        nonce = request.cookies.get(COOKIE) or secrets.token_urlsafe(24)
        response = await self._form(pending_id, nonce)
        response.set_cookie(
            COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            path="/oauth",
            secure=request.url.scheme == "https",
        )
        return response

    async def _form(
        self, pending_id: str, nonce: str, *, error: str | None = None, username: str = ""
    ) -> Response:
        async with self.sessions() as session:
            pending = await grants.find_pending(session, pending_id, utcnow())
        if pending is None:
            return _page(
                render_message(
                    "Request expired",
                    "This authorization request is "
                    "unknown or expired. Start again from your MCP client.",
                ),
                400,
            )
        view = ConsentView(
            pending_id=pending_id,
            client_name=pending.client.client_name or pending.client.client_id,
            redirect_uri=pending.redirect_uri,
            scopes=pending.scopes,
            csrf=self.csrf_token(pending_id, nonce),
            sign_in_links=self.sign_in_links(pending_id) if self.sign_in_links else (),
            error=error,
            username=username,
        )
        return _page(render_consent(view), 400 if error else 200)

    def csrf_token(self, pending_id: str, nonce: str) -> str:
        """The form token for this request in the browser holding cookie `nonce`."""
        message = f"{pending_id}\n{nonce}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    async def _post(self, request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        pending_id, nonce = fields.get("request", ""), request.cookies.get(COOKIE, "")
        expected = self.csrf_token(pending_id, nonce)
        if not nonce or not hmac.compare_digest(fields.get("csrf", ""), expected):
            message = "The form's security token is missing or wrong. Reload the page and retry."
            return _page(render_message("Request refused", message), 403)
        approve = fields.get("decision") == "approve"
        username = fields.get("username", "")
        try:
            user = (
                await self._user(request, username, fields.get("password", "")) if approve else None
            )
            decider = user or ConsentUser(0, username or "anonymous", AdminRole.MCP)
            target = await complete_consent(self.sessions, pending_id, decider, approve=approve)
        except RateLimitedError as exc:
            response = _page(render_message("Too many attempts", str(exc)), 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except ConsentError as exc:
            return await self._form(pending_id, nonce, error=str(exc), username=username)
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})

    async def _user(self, request: Request, username: str, password: str) -> ConsentUser:
        ip = request.client.host if request.client else None
        self.limiter.reserve(ip, username)
        async with self.sessions() as session:
            row = await check_credentials(session, username, password)
        if row is None:
            raise ConsentError("invalid username or password")
        self.limiter.forgive(ip, username)
        return ConsentUser.of(row)


def _page(html: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        html,
        status_code=status,
        headers={"Content-Security-Policy": CONSENT_CSP, "Cache-Control": "no-store"},
    )
