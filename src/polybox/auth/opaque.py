"""Opaque bearer secrets (refresh tokens, API tokens): 256 random bits, stored as SHA-256 only.

A SHA-256 of a 256-bit random value cannot be reversed or guessed, so the store can look a token up
by its digest (an indexed equality match): a timing difference in that lookup reveals at most
something about a digest, never a usable token, and a stolen database yields no tokens.

Refresh tokens (admin sessions, OAuth grants) rotate: each is used once, and presenting a used one
again means it leaked, so its whole family (every token descended from the same login) ends.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.store.models import AdminSession, OAuthToken

# The stores of rotating refresh tokens: each row has `id`, `family_id`, `used_at`, `revoked_at`.
RotatingTokens = type[AdminSession] | type[OAuthToken]

TOKEN_BYTES = 32


def new_token(prefix: str = "") -> str:
    """A fresh random token, URL-safe, with `prefix` in front."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """The hex SHA-256 the store keeps in place of `token`."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def claim_once(
    session: AsyncSession, table: RotatingTokens, row_id: int, at: datetime
) -> bool:
    """Mark a refresh token used; False when it already was (also under concurrent refreshes)."""
    claimed = await session.execute(
        update(table)
        .where(table.id == row_id, table.used_at.is_(None), table.revoked_at.is_(None))
        .values(used_at=at)
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of UPDATE


async def revoke_family(
    session: AsyncSession, table: RotatingTokens, family_id: str, at: datetime
) -> None:
    """End every token of the family that is still live."""
    await session.execute(
        update(table)
        .where(table.family_id == family_id, table.revoked_at.is_(None))
        .values(revoked_at=at)
    )
