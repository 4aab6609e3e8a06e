"""Authentication: first-run setup, login, refresh, logout, the current admin, password change.

Status, setup, login and refresh are the deliberate exceptions to "every route needs an admin":
they are how one becomes one. Setup works only while no admin exists.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from polybox.api.deps import (
    AdminDep,
    ClientDep,
    InstanceDep,
    LoginLimiterDep,
    SessionDep,
    signing_key,
)
from polybox.auth import admins, sessions
from polybox.auth.schemas import (
    AdminOut,
    AuthStatus,
    Credentials,
    PasswordChange,
    RefreshIn,
    TokenPair,
)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.get("/status", response_model=AuthStatus)
async def auth_status(session: SessionDep) -> AuthStatus:
    """Whether setup is still needed (no authentication: a UI asks before anyone can log in)."""
    return AuthStatus(setup_required=await admins.setup_required(session))


@router.post("/setup", response_model=AdminOut, status_code=status.HTTP_201_CREATED)
async def setup(credentials: Credentials, session: SessionDep) -> AdminOut:
    """Create the first admin (no authentication: only while no admin exists; 409 after)."""
    return await admins.setup_first_admin(session, credentials)


@router.post("/login", response_model=TokenPair)
async def login(
    credentials: Credentials, instance: InstanceDep, limiter: LoginLimiterDep, client: ClientDep
) -> TokenPair:
    """Start a session: an access token (15 min) and a one-time refresh token (7 days).

    5 attempts a minute per client address and per username, then 429 with Retry-After.
    """
    return await sessions.login(
        instance.sessions, signing_key(instance), limiter, credentials, client
    )


@router.post("/refresh", response_model=TokenPair)
async def refresh(body: RefreshIn, instance: InstanceDep, client: ClientDep) -> TokenPair:
    """Trade a refresh token for new tokens; a refresh token used twice ends the session."""
    return await sessions.refresh(
        instance.sessions, signing_key(instance), body.refresh_token, client
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: AdminDep, session: SessionDep) -> None:
    """End this session: its refresh token and access tokens stop working at once."""
    await sessions.logout(session, principal.id, principal.login_session(), principal.actor)


@router.get("/me", response_model=AdminOut)
async def me(principal: AdminDep, session: SessionDep) -> AdminOut:
    """The admin this access token belongs to."""
    return await admins.get_admin(session, principal.id)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(change: PasswordChange, principal: AdminDep, session: SessionDep) -> None:
    """Change your password (the current one is required); every session of yours ends."""
    principal.login_session()  # not with an API token
    await admins.change_password(session, principal.id, principal.actor, change)
