"""API tokens for MCP clients: created by an admin with a name, lifetime and scopes; shown once.

The token is `pbx_` + 256 random bits; the store keeps its SHA-256 (see `auth.opaque`) and the
first characters as `prefix`, which is how the admin UI names it. `authenticate_api_token` is what
the MCP surface calls for a bearer token, and the admin API for a token with the `admin` scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from polybox.auth.opaque import digest, new_token
from polybox.auth.schemas import ApiTokenCreated, ApiTokenIn, ApiTokenOut, Scope
from polybox.forge.actors import Actor
from polybox.forge.errors import NotFoundError
from polybox.forge.pages import DEFAULT_PAGE_SIZE, Page, paginate
from polybox.forge.sorting import ordering
from polybox.forge.unit import record_activity
from polybox.store.models import ApiToken
from polybox.store.types import utcnow

TOKEN_PREFIX = "pbx_"  # noqa: S105 - a public marker, not a secret
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# last_used_at is written at most this often per token, so busy clients don't write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
SORT_FIELDS = {
    "name": ApiToken.name,
    "created_at": ApiToken.created_at,
    "expires_at": ApiToken.expires_at,
    "last_used_at": ApiToken.last_used_at,
}


@dataclass(frozen=True)
class ApiTokenPrincipal:
    """The MCP client behind a valid API token and what it may do."""

    token_id: int
    name: str
    scopes: frozenset[str]
    created_by: str | None
    expires_at: datetime | None = None
    prefix: str = ""  # how the admin UI names the token
    created_by_id: int | None = None


async def create_api_token(
    session: AsyncSession, creator_id: int, actor: Actor, new: ApiTokenIn
) -> ApiTokenCreated:
    """A new token; its value is in the answer and nowhere else, ever."""
    token = new_token(TOKEN_PREFIX)
    row = ApiToken(
        name=new.name,
        token_hash=digest(token),
        prefix=token[:SHOWN_PREFIX_LENGTH],
        scopes=sorted(set(new.scopes)),
        created_by_id=creator_id,
        created_at=utcnow(),
    )
    row.expires_at = row.created_at + timedelta(days=new.expires_in_days)
    session.add(row)
    await session.flush()
    details = {"name": new.name, "prefix": row.prefix, "scopes": row.scopes}
    record_activity(
        session,
        actor,
        "api_token.created",
        target_kind="api_token",
        target_id=row.id,
        details=details,
    )
    return ApiTokenCreated(token=token, api_token=_out(row, actor.name))


async def list_api_tokens(
    session: AsyncSession,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    revoked: bool | None = None,
    sort: str | None = None,
) -> Page[ApiTokenOut]:
    """Tokens (only revoked or only unrevoked ones if `revoked` is given), newest first."""
    order = ordering(sort, SORT_FIELDS, default="-created_at", tiebreak=ApiToken.id)
    query = select(ApiToken).options(selectinload(ApiToken.created_by))
    if revoked is not None:
        query = query.where(
            ApiToken.revoked_at.is_not(None) if revoked else ApiToken.revoked_at.is_(None)
        )
    return await paginate(session, query.order_by(*order), _listed, page=page, page_size=page_size)


async def revoke_api_token(session: AsyncSession, token_id: int, actor: Actor) -> ApiTokenOut:
    """Revoke a token for good (revoking a revoked token changes nothing)."""
    row = await session.scalar(
        select(ApiToken).where(ApiToken.id == token_id).options(selectinload(ApiToken.created_by))
    )
    if row is None:
        raise NotFoundError(f"no API token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record_activity(
            session,
            actor,
            "api_token.revoked",
            target_kind="api_token",
            target_id=row.id,
            details={"name": row.name, "prefix": row.prefix},
        )
    return _listed(row)


async def authenticate_api_token(
    session: AsyncSession, token: str, *, now: datetime | None = None
) -> ApiTokenPrincipal | None:
    """The principal of a valid token: known, unrevoked, unexpired, its creator not disabled.

    Records when it was last used (to the minute); the caller commits.
    """
    if not token.startswith(TOKEN_PREFIX):
        return None
    at = now or utcnow()
    row = await session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == digest(token))
        .options(joinedload(ApiToken.created_by))
    )
    if row is None:
        return None
    creator = row.created_by
    expired = row.expires_at is not None and row.expires_at <= at
    if row.revoked_at is not None or expired or (creator is not None and creator.disabled):
        return None
    if row.last_used_at is None or at - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = at
    return ApiTokenPrincipal(
        token_id=row.id,
        name=row.name,
        scopes=frozenset(row.scopes),
        created_by=None if creator is None else creator.username,
        expires_at=row.expires_at,
        prefix=row.prefix,
        created_by_id=row.created_by_id,
    )


def _listed(row: ApiToken) -> ApiTokenOut:
    return _out(row, None if row.created_by is None else row.created_by.username)


def _out(row: ApiToken, created_by: str | None) -> ApiTokenOut:
    return ApiTokenOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=cast(list[Scope], row.scopes),
        created_by=created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
