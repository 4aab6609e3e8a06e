"""Access and refresh tokens of the authorization server: opaque, stored as SHA-256 only.

A grant (one consent) starts a family; every token issued for it carries the family id. A refresh
token works once: refreshing marks it used and issues the next pair in the family. A used refresh
token or authorization code presented again means it was copied, so the whole family is revoked
(RFC 9700 section 4.14). Revocation (RFC 7009) also ends the whole family.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mcp.shared.auth import OAuthToken
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from polybox.auth.oauth.endpoints import OAuthConfig
from polybox.auth.opaque import digest, new_token
from polybox.store.enums import OAuthTokenKind
from polybox.store.models import OAuthToken as TokenRow

ACCESS_PREFIX = "pbo_"
REFRESH_PREFIX = "pbr_"


@dataclass(frozen=True)
class Grant:
    """What tokens of one family are for: client, consenting user, scopes and resource."""

    client_pk: int
    subject_id: int
    family_id: str
    scopes: list[str]
    resource: str


async def issue_pair(
    session: AsyncSession, config: OAuthConfig, grant: Grant, at: datetime
) -> OAuthToken:
    """A new access token and refresh token of the grant's family (the caller commits)."""
    access, refresh = new_token(ACCESS_PREFIX), new_token(REFRESH_PREFIX)
    for kind, token, ttl in (
        (OAuthTokenKind.ACCESS, access, config.access_ttl),
        (OAuthTokenKind.REFRESH, refresh, config.refresh_ttl),
    ):
        session.add(
            TokenRow(
                kind=kind,
                token_hash=digest(token),
                client_pk=grant.client_pk,
                subject_id=grant.subject_id,
                family_id=grant.family_id,
                scopes=grant.scopes,
                resource=grant.resource,
                expires_at=at + ttl,
            )
        )
    await session.flush()
    return OAuthToken(
        access_token=access,
        token_type="Bearer",  # noqa: S106 - the scheme name
        expires_in=int(config.access_ttl.total_seconds()),
        scope=" ".join(grant.scopes),
        refresh_token=refresh,
    )


async def find_token(session: AsyncSession, token: str, kind: OAuthTokenKind) -> TokenRow | None:
    """The stored token of that kind, with its client and subject, revoked or not."""
    return await session.scalar(
        select(TokenRow)
        .where(TokenRow.token_hash == digest(token), TokenRow.kind == kind)
        .options(joinedload(TokenRow.client), joinedload(TokenRow.subject))
    )


def grant_of(row: TokenRow, scopes: list[str] | None = None) -> Grant:
    """The grant a token belongs to, optionally narrowed to `scopes` (a refresh may narrow)."""
    return Grant(
        client_pk=row.client_pk,
        subject_id=row.subject_id,
        family_id=row.family_id,
        scopes=list(row.scopes) if scopes is None else scopes,
        resource=row.resource,
    )
