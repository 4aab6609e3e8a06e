"""Which polybox account an upstream sign-in is: linked by (issuer, subject), created on first use.

The provider's subject is the only claim OpenID Connect promises to be stable and unique per
issuer, so a returning person is recognised by it alone; an email change at the provider keeps
the account, and a reused address never reaches someone else's. A first sign-in creates an
account of role `mcp` (it may approve MCP clients, not administer polybox) when the provider
marks the email verified and its domain is allowed (`oidc_allowed_email_domains`, `*` for any).
The account has an unusable random password: it signs in through the provider only. An admin
can disable it like any other account, which refuses its next sign-in.
"""

from __future__ import annotations

import re
import secrets

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.auth.admins import USERNAME_PATTERN
from polybox.auth.oidc.provider import Identity, OidcError
from polybox.auth.passwords import hash_password
from polybox.forge.actors import SYSTEM
from polybox.forge.unit import record_activity
from polybox.store.enums import AdminRole
from polybox.store.models import AdminUser, OidcIdentity
from polybox.store.types import utcnow

ANY_DOMAIN = "*"
_NOT_IN_USERNAME = re.compile(r"[^a-z0-9_.-]+")
_USERNAME_LENGTH = 40  # leaves room for a "-<n>" suffix within the 48 the pattern allows


async def account_for(
    session: AsyncSession, identity: Identity, allowed_domains: list[str]
) -> AdminUser:
    """The enabled account of this identity, created if it is new and allowed; OidcError if not."""
    link = await session.scalar(
        select(OidcIdentity).where(
            OidcIdentity.issuer == identity.issuer, OidcIdentity.subject == identity.subject
        )
    )
    if link is None:
        link = await _provision(session, identity, allowed_domains)
    account = await session.get(AdminUser, link.admin_id)
    if account is None or account.disabled:
        raise OidcError("your polybox account is disabled; ask an administrator")
    link.email = identity.email
    link.last_login_at = account.last_login_at = utcnow()
    return account


async def _provision(
    session: AsyncSession, identity: Identity, allowed_domains: list[str]
) -> OidcIdentity:
    email = identity.email
    if email is None or not identity.email_verified:
        raise OidcError(
            "the identity provider did not confirm a verified email address, which a first "
            "sign-in needs; ask an administrator"
        )
    domain = email.rpartition("@")[2]
    if ANY_DOMAIN not in allowed_domains and domain not in allowed_domains:
        raise OidcError(f"accounts for {domain} are not allowed on this polybox server")
    username = await _free_username(session, email.partition("@")[0])
    unusable = await anyio.to_thread.run_sync(hash_password, secrets.token_urlsafe(32))
    account = AdminUser(username=username, password_hash=unusable, role=AdminRole.MCP)
    session.add(account)
    await session.flush()
    link = OidcIdentity(
        issuer=identity.issuer, subject=identity.subject, admin_id=account.id, email=email
    )
    session.add(link)
    record_activity(
        session,
        SYSTEM,
        "auth.oidc_account_created",
        target_kind="admin",
        target_id=account.id,
        details={"username": username, "email": email, "issuer": identity.issuer},
    )
    return link


async def _free_username(session: AsyncSession, local_part: str) -> str:
    """A valid, unused username from the email's local part: `ada`, then `ada-2`, `ada-3`, ..."""
    base = _NOT_IN_USERNAME.sub("-", local_part.lower()).strip("-._")[:_USERNAME_LENGTH]
    if not USERNAME_PATTERN.fullmatch(base):
        base = f"user-{base}".rstrip("-")[:_USERNAME_LENGTH]
    taken = set(
        await session.scalars(select(AdminUser.username).where(AdminUser.username.like(f"{base}%")))
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate
