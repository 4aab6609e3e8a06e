"""Admin login sessions: login, refresh-token rotation with reuse detection, logout, revocation.

A login starts a session: a family of refresh tokens whose id is the `sid` of every access token
issued in it. Each refresh token works once: refreshing marks it used and issues the next one. A
used token presented again means it was copied, so the whole family is revoked and both the thief
and the legitimate holder must log in again. Access tokens of a revoked family are refused by
`session_admin`, which the API checks on every request.

`login` and `refresh` commit their own transaction: a failed attempt and a detected reuse are
recorded (and the family stays revoked) although the caller then gets an AuthError.
"""

from __future__ import annotations

import functools
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.auth.access import AuthError, issue_access_token
from polybox.auth.opaque import claim_once, digest, new_token, revoke_family
from polybox.auth.passwords import hash_password, needs_rehash, verify_password
from polybox.auth.ratelimit import LoginLimiter
from polybox.auth.schemas import Credentials, TokenPair
from polybox.forge.actors import SYSTEM, Actor, admin
from polybox.forge.unit import record_activity, transaction
from polybox.store.models import AdminSession, AdminUser
from polybox.store.types import utcnow

REFRESH_TTL = timedelta(days=7)
BAD_CREDENTIALS = "invalid username or password"


@dataclass(frozen=True)
class ClientInfo:
    """Where a login or refresh came from, kept on the session row for the admin's review."""

    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class SessionAdmin:
    """The admin behind a live session."""

    id: int
    username: str


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown usernames, so they cost as much as wrong passwords."""
    return hash_password(secrets.token_urlsafe(16))


async def login(
    sessions: async_sessionmaker[AsyncSession],
    key: bytes,
    limiter: LoginLimiter,
    credentials: Credentials,
    client: ClientInfo,
    *,
    now: datetime | None = None,
) -> TokenPair:
    """Tokens of a new session; AuthError with one message for any wrong username or password.

    Unknown usernames verify against a dummy hash, so neither the answer nor its timing tells an
    attacker which usernames exist. RateLimitedError past 5 attempts a minute per address or name.
    """
    limiter.reserve(client.ip, credentials.username)
    at = now or utcnow()
    async with transaction(sessions, None) as session:
        user = await session.scalar(
            select(AdminUser).where(AdminUser.username == credentials.username)
        )
        stored = user.password_hash if user is not None else _dummy_hash()
        matches = await anyio.to_thread.run_sync(verify_password, stored, credentials.password)
        if user is None or not matches or user.disabled:
            details = {"username": credentials.username, "ip": client.ip}
            record_activity(session, SYSTEM, "auth.login_failed", details=details)
            pair = None
        else:
            limiter.forgive(client.ip, credentials.username)
            if needs_rehash(user.password_hash):
                user.password_hash = await anyio.to_thread.run_sync(
                    hash_password, credentials.password
                )
            user.last_login_at = at
            pair = await _issue(
                session, key, user, family_id=uuid.uuid4().hex, client=client, at=at
            )
            actor = admin(user.username)
            record_activity(session, actor, "auth.login", target_kind="admin", target_id=user.id)
    if pair is None:
        raise AuthError(BAD_CREDENTIALS)
    return pair


async def refresh(
    sessions: async_sessionmaker[AsyncSession],
    key: bytes,
    refresh_token: str,
    client: ClientInfo,
    *,
    now: datetime | None = None,
) -> TokenPair:
    """New tokens for a refresh token, which is used up; its reuse revokes the whole session."""
    at = now or utcnow()
    async with transaction(sessions, None) as session:
        row = await session.scalar(
            select(AdminSession).where(AdminSession.token_hash == digest(refresh_token))
        )
        pair: TokenPair | str = await _rotate(session, key, row, client, at)
    if isinstance(pair, str):
        raise AuthError(pair)
    return pair


async def _rotate(
    session: AsyncSession, key: bytes, row: AdminSession | None, client: ClientInfo, at: datetime
) -> TokenPair | str:
    """The next tokens of the session, or why not (after revoking the family on reuse)."""
    invalid = "the refresh token is not valid; log in again"
    if row is None or row.revoked_at is not None:
        return invalid
    if row.expires_at <= at:
        return "the refresh token expired; log in again"
    if not await claim_once(session, AdminSession, row.id, at):
        await revoke_family(session, AdminSession, row.family_id, at)
        details = {"family": row.family_id, "ip": client.ip}
        record_activity(
            session,
            SYSTEM,
            "auth.refresh_reused",
            target_kind="admin",
            target_id=row.admin_id,
            details=details,
        )
        return "the refresh token was already used; the session is revoked, log in again"
    user = await session.get(AdminUser, row.admin_id)
    if user is None or user.disabled:
        return invalid
    return await _issue(session, key, user, family_id=row.family_id, client=client, at=at)


async def logout(session: AsyncSession, admin_id: int, family_id: str, actor: Actor) -> None:
    """End one session of the admin: its refresh token and access tokens stop working."""
    await session.execute(
        update(AdminSession)
        .where(
            AdminSession.admin_id == admin_id,
            AdminSession.family_id == family_id,
            AdminSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    record_activity(session, actor, "auth.logout", target_kind="admin", target_id=admin_id)


async def revoke_admin_sessions(session: AsyncSession, admin_id: int) -> None:
    """End every session of the admin (password change, account disabled)."""
    await session.execute(
        update(AdminSession)
        .where(AdminSession.admin_id == admin_id, AdminSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def session_admin(
    session: AsyncSession, admin_id: int, family_id: str
) -> SessionAdmin | None:
    """The admin if the session is live and the account enabled; one query on indexed columns."""
    found = (
        await session.execute(
            select(AdminUser.id, AdminUser.username)
            .join(AdminSession, AdminSession.admin_id == AdminUser.id)
            .where(
                AdminUser.id == admin_id,
                AdminUser.disabled.is_(False),
                AdminSession.family_id == family_id,
                AdminSession.revoked_at.is_(None),
            )
            .limit(1)
        )
    ).first()
    return None if found is None else SessionAdmin(found.id, found.username)


async def _issue(
    session: AsyncSession,
    key: bytes,
    user: AdminUser,
    *,
    family_id: str,
    client: ClientInfo,
    at: datetime,
) -> TokenPair:
    refresh_token = new_token()
    refresh_expires = at + REFRESH_TTL
    session.add(
        AdminSession(
            admin_id=user.id,
            family_id=family_id,
            token_hash=digest(refresh_token),
            created_at=at,
            expires_at=refresh_expires,
            user_agent=(client.user_agent or "")[:255] or None,
            ip=client.ip,
        )
    )
    access, expires = issue_access_token(
        key, admin_id=user.id, username=user.username, session_id=family_id, now=at
    )
    return TokenPair(
        access_token=access,
        expires_at=expires,
        refresh_token=refresh_token,
        refresh_expires_at=refresh_expires,
    )
