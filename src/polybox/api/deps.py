"""FastAPI dependencies: the instance, a transaction, and the authenticated admin.

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
from polybox.auth.ratelimit import LoginLimiter
from polybox.auth.sessions import ClientInfo, session_admin
from polybox.forge.actors import Actor, admin
from polybox.forge.unit import transaction
from polybox.instance import Instance

# Row ids are 32-bit integers in both stores; larger values would overflow the query (a 500) on
# PostgreSQL instead of being a 422.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The row's id")]
# Execution and activity logs have 64-bit ids.
BigRowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The log row's id")]

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/auth/login")


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
    """The admin behind a request."""

    id: int
    username: str
    session_id: str

    @property
    def actor(self) -> Actor:
        return admin(self.username)


async def current_admin(
    instance: InstanceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AdminPrincipal:
    """The admin of a valid access token whose session is live and account enabled; else 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("missing bearer token; log in at /api/auth/login")
    claims = verify_access_token(signing_key(instance), credentials.credentials)
    async with instance.sessions() as session:
        found = await session_admin(session, claims.admin_id, claims.session_id)
    if found is None:
        raise AuthError("the session ended (logout, password change or disabled account); log in")
    return AdminPrincipal(found.id, found.username, claims.session_id)


AdminDep = Annotated[AdminPrincipal, Depends(current_admin)]
