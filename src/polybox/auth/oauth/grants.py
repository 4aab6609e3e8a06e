"""Authorization requests waiting for consent, and the authorization codes consent produces.

Both live in the store, not in memory, so the consent page and the token endpoint may be served
by different replicas. A pending request is deleted when it is decided; a code works once
(`claim_code`) and only for `CODE_TTL`. Expired rows are swept whenever a new request arrives.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from mcp.server.auth.provider import AuthorizationParams
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from polybox.auth.oauth.endpoints import CODE_TTL, PENDING_TTL
from polybox.auth.opaque import digest, new_token
from polybox.store.models import OAuthCode, OAuthPendingRequest

CODE_PREFIX = "pbc_"


async def create_pending(
    session: AsyncSession,
    client_pk: int,
    params: AuthorizationParams,
    *,
    scopes: list[str],
    resource: str,
    at: datetime,
) -> str:
    """Store an authorization request for the consent page; its id names it there."""
    await _sweep(session, at)
    pending_id = secrets.token_urlsafe(24)
    session.add(
        OAuthPendingRequest(
            id=pending_id,
            client_pk=client_pk,
            state=params.state,
            scopes=scopes,
            code_challenge=params.code_challenge,
            redirect_uri=str(params.redirect_uri),
            redirect_uri_explicit=params.redirect_uri_provided_explicitly,
            resource=resource,
            expires_at=at + PENDING_TTL,
        )
    )
    await session.flush()
    return pending_id


async def find_pending(
    session: AsyncSession, pending_id: str, at: datetime
) -> OAuthPendingRequest | None:
    """The live pending request with its client, or None (unknown, decided or expired)."""
    row = await session.scalar(
        select(OAuthPendingRequest)
        .where(OAuthPendingRequest.id == pending_id)
        .options(joinedload(OAuthPendingRequest.client))
    )
    return None if row is None or row.expires_at <= at else row


async def issue_code(
    session: AsyncSession, pending: OAuthPendingRequest, subject_id: int, at: datetime
) -> str:
    """Turn an approved request into a code for its client; the request is used up."""
    code = new_token(CODE_PREFIX)
    session.add(
        OAuthCode(
            code_hash=digest(code),
            client_pk=pending.client_pk,
            subject_id=subject_id,
            family_id=uuid.uuid4().hex,
            scopes=pending.scopes,
            code_challenge=pending.code_challenge,
            redirect_uri=pending.redirect_uri,
            redirect_uri_explicit=pending.redirect_uri_explicit,
            resource=pending.resource,
            expires_at=at + CODE_TTL,
        )
    )
    await session.delete(pending)
    await session.flush()
    return code


async def find_code(session: AsyncSession, code: str) -> OAuthCode | None:
    """The stored code, used or not (a used one presented again is a replay)."""
    return await session.scalar(select(OAuthCode).where(OAuthCode.code_hash == digest(code)))


async def claim_code(session: AsyncSession, row_id: int, at: datetime) -> bool:
    """Mark a code used; False when it already was (also under concurrent exchanges)."""
    claimed = await session.execute(
        update(OAuthCode)
        .where(OAuthCode.id == row_id, OAuthCode.used_at.is_(None))
        .values(used_at=at)
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of UPDATE


async def _sweep(session: AsyncSession, at: datetime) -> None:
    await session.execute(delete(OAuthPendingRequest).where(OAuthPendingRequest.expires_at <= at))
    # Used codes are kept until they expire, so a replay within that time is still recognised.
    await session.execute(delete(OAuthCode).where(OAuthCode.expires_at <= at))
