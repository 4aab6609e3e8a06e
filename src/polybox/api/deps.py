"""FastAPI dependencies: the instance, a transaction, and the authenticated admin.

An admin is authenticated by the access token of a login, or by an API token with the `admin`
scope (for scripts: `Authorization: Bearer pbx_…`), which acts for the admin who created it.

Every route except the auth entry points (setup, login, refresh) depends on `current_admin`, so an
unauthenticated route is a visible exception in its router.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.auth.access import SIGNING_PURPOSE, AuthError, verify_access_token
from polybox.auth.api_tokens import TOKEN_PREFIX, authenticate_api_token
from polybox.auth.ratelimit import LoginLimiter
from polybox.auth.sessions import ClientInfo, session_admin
from polybox.forge.actors import Actor, admin
from polybox.forge.errors import ForbiddenError
from polybox.forge.unit import transaction
from polybox.instance import Instance

# Row ids are 32-bit integers in both stores; larger values would overflow the query (a 500) on
# PostgreSQL instead of being a 422.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The row's id")]
# Execution and activity logs have 64-bit ids.
BigRowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The log row's id")]

_bearer = HTTPBearer(
    auto_error=False,
    description="Access token from /api/auth/login, or an API token with the admin scope",
)
ADMIN_SCOPE = "admin"


def signing_key(instance: Instance) -> bytes:
    """The key access tokens are signed with, derived from the instance's secret key."""
    return instance.secret_box.derive(SIGNING_PURPOSE)


def get_instance(request: Request) -> Instance:
    instance: Instance = request.app.state.instance
    return instance


InstanceDep = Annotated[Instance, Depends(get_instance)]


async def get_session(instance: InstanceDep) -> AsyncIterator[AsyncSession]:
    """A session in a transaction that commits when the route returns, then publishes events."""
    async with transaction(instance.sessions, instance.events) as session:
        yield session


# scope="function": the transaction ends when the route function returns, before the response
# is sent, so a 2xx means committed (the client's next request sees the change) and a commit that
# fails is the error response, never a 2xx. FastAPI's default would commit after sending.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_login_limiter(request: Request) -> LoginLimiter:
    limiter: LoginLimiter = request.app.state.login_limiter
    return limiter


LoginLimiterDep = Annotated[LoginLimiter, Depends(get_login_limiter)]


def get_client(request: Request) -> ClientInfo:
    """The TCP peer and user agent of the request (a proxy's own address when behind one)."""
    peer = request.client.host if request.client else None
    return ClientInfo(ip=peer, user_agent=request.headers.get("user-agent"))


ClientDep = Annotated[ClientInfo, Depends(get_client)]


@dataclass(frozen=True)
class AdminPrincipal:
    """The admin behind a request: logged in (a session), or an API token with the `admin`
    scope acting for the admin who created it; the activity log then names the token."""

    id: int
    username: str
    session_id: str | None  # None for an API token: it has no login session
    token: str | None = None  # the API token's name and prefix, when one is used

    @property
    def actor(self) -> Actor:
        if self.token is None:
            return admin(self.username)
        return admin(self.token)

    def login_session(self) -> str:
        """The login session of this request; ForbiddenError for an API token."""
        if self.session_id is None:
            raise ForbiddenError(
                "an API token has no login session: log in at /api/auth/login to log out or "
                "change the password"
            )
        return self.session_id


async def current_admin(
    instance: InstanceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AdminPrincipal:
    """The admin of a valid access token whose session is live and account enabled, or of an
    admin-scoped API token; else 401 (403 for an API token without the `admin` scope)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("missing bearer token; log in at /api/auth/login")
    if credentials.credentials.startswith(TOKEN_PREFIX):
        return await _token_admin(instance, credentials.credentials)
    claims = verify_access_token(signing_key(instance), credentials.credentials)
    async with instance.sessions() as session:
        found = await session_admin(session, claims.admin_id, claims.session_id)
    if found is None:
        raise AuthError("the session ended (logout, password change or disabled account); log in")
    return AdminPrincipal(found.id, found.username, claims.session_id)


async def _token_admin(instance: Instance, token: str) -> AdminPrincipal:
    async with transaction(instance.sessions, None) as session:  # records the token's last use
        found = await authenticate_api_token(session, token)
    if found is None or found.created_by_id is None or found.created_by is None:
        raise AuthError("the API token is unknown, revoked or expired, or its admin is disabled")
    if ADMIN_SCOPE not in found.scopes:
        raise ForbiddenError(
            f"the API token {found.prefix}… has the scopes {', '.join(sorted(found.scopes))}; "
            f"the admin API needs a token with the {ADMIN_SCOPE!r} scope (Settings → API tokens)"
        )
    # Fits the activity log's actor name (100 characters): a token name has up to 100.
    named = f"{found.name[:70]} (API token {found.prefix}…)"
    return AdminPrincipal(found.created_by_id, found.created_by, None, token=named)


AdminDep = Annotated[AdminPrincipal, Depends(current_admin)]
