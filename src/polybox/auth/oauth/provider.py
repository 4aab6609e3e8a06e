"""The SDK's `OAuthAuthorizationServerProvider` over the store.

The SDK's handlers parse and validate requests (PKCE S256 only, redirect URI and client checks,
code expiry); this provider stores and looks up, binds every grant to the one resource `/mcp`,
detects replays of codes and refresh tokens (revoking the family) and refuses grants of disabled
accounts. `authorize` does not decide: it parks the request and sends the browser to the consent
page (`consent.py`), which completes it.
"""

from __future__ import annotations

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    IdentityAssertionParams,
    RefreshToken,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.auth.oauth import clients, grants, tokens
from polybox.auth.oauth.endpoints import DEFAULT_SCOPES, OAuthConfig
from polybox.auth.opaque import claim_once, revoke_family
from polybox.crypto import SecretBox
from polybox.forge.actors import SYSTEM
from polybox.forge.unit import record_activity, transaction
from polybox.store.enums import OAuthTokenKind
from polybox.store.models import AdminUser
from polybox.store.models import OAuthToken as TokenRow
from polybox.store.types import utcnow


class StoredCode(AuthorizationCode):
    """A code as loaded from the store: its row and the grant family it starts."""

    row_id: int
    client_pk: int
    subject_id: int
    family_id: str


class StoredRefreshToken(RefreshToken):
    row_id: int
    family_id: str


class StoredAccessToken(AccessToken):
    family_id: str


class StoreProvider:
    """Implements the SDK provider protocol; one per app, safe to share between requests."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        secret_box: SecretBox,
        config: OAuthConfig,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.sealer = clients.ClientSecrets(secret_box)

    # --- clients ---------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        async with self.sessions() as session:
            row = await clients.find_client(session, client_id)
        return None if row is None else clients.client_info(row, self.sealer)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        async with transaction(self.sessions, None) as session:
            await clients.register_client(session, self.sealer, client_info)

    # --- authorization ---------------------------------------------------------------------

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        """Park the request and return the consent page's URL (AuthorizeError if unservable)."""
        if not self.config.is_our_resource(params.resource):
            raise AuthorizeError(
                "invalid_target", f"this server issues tokens only for {self.config.resource}"
            )
        scopes = params.scopes or list(DEFAULT_SCOPES)
        async with transaction(self.sessions, None) as session:
            row = await clients.find_client(session, client.client_id or "")
            if row is None:
                raise AuthorizeError("unauthorized_client", "the client is not registered")
            pending_id = await grants.create_pending(
                session, row.id, params, scopes=scopes, resource=self.config.resource, at=utcnow()
            )
        return self.config.consent_url(pending_id)

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> StoredCode | None:
        """The unused code; a used one presented again revokes the tokens it produced."""
        async with transaction(self.sessions, None) as session:
            row = await grants.find_code(session, authorization_code)
            if row is None:
                return None
            if row.used_at is not None:
                await self._replayed(session, "oauth.code_reused", row.family_id, row.subject_id)
                return None
            owner = await clients.find_client(session, client.client_id or "")
            if owner is None or owner.id != row.client_pk:
                return None
        return StoredCode(
            code=authorization_code,
            scopes=list(row.scopes),
            expires_at=row.expires_at.timestamp(),
            client_id=client.client_id or "",
            code_challenge=row.code_challenge,
            redirect_uri=AnyUrl(row.redirect_uri),
            redirect_uri_provided_explicitly=row.redirect_uri_explicit,
            resource=row.resource,
            subject=str(row.subject_id),
            row_id=row.id,
            client_pk=row.client_pk,
            subject_id=row.subject_id,
            family_id=row.family_id,
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: StoredCode
    ) -> OAuthToken:
        at = utcnow()
        code = authorization_code
        async with transaction(self.sessions, None) as session:
            claimed = await grants.claim_code(session, code.row_id, at)
            if claimed and await _subject_enabled(session, code.subject_id):
                grant = tokens.Grant(
                    code.client_pk,
                    code.subject_id,
                    code.family_id,
                    code.scopes,
                    self.config.resource,
                )
                return await tokens.issue_pair(session, self.config, grant, at)
            if not claimed:
                await self._replayed(session, "oauth.code_reused", code.family_id, code.subject_id)
        raise TokenError("invalid_grant", "the authorization code was already used or is void")

    # --- refresh ---------------------------------------------------------------------------

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> StoredRefreshToken | None:
        """The live refresh token of this client; a used one presented again revokes its family."""
        async with transaction(self.sessions, None) as session:
            row = await tokens.find_token(session, refresh_token, OAuthTokenKind.REFRESH)
            if row is None or row.revoked_at is not None:
                return None
            if row.client.client_id != client.client_id:
                return None
            if row.used_at is not None:
                await self._replayed(session, "oauth.refresh_reused", row.family_id, row.subject_id)
                return None
        return StoredRefreshToken(
            token=refresh_token,
            client_id=row.client.client_id,
            scopes=list(row.scopes),
            expires_at=int(row.expires_at.timestamp()),
            resource=row.resource,
            subject=str(row.subject_id),
            row_id=row.id,
            family_id=row.family_id,
        )

    async def exchange_refresh_token(
        self,
        client: OAuthClientInformationFull,
        refresh_token: StoredRefreshToken,
        scopes: list[str],
    ) -> OAuthToken:
        """The next pair of the family; the presented refresh token is used up (rotation)."""
        at = utcnow()
        async with transaction(self.sessions, None) as session:
            row = await session.get(TokenRow, refresh_token.row_id)
            claimed = row is not None and await claim_once(session, TokenRow, row.id, at)
            if row is not None and claimed and await _subject_enabled(session, row.subject_id):
                return await tokens.issue_pair(
                    session, self.config, tokens.grant_of(row, scopes), at
                )
            if row is not None and not claimed:
                await self._replayed(session, "oauth.refresh_reused", row.family_id, row.subject_id)
        raise TokenError("invalid_grant", "the refresh token was already used or is void")

    # --- access and revocation -------------------------------------------------------------

    async def load_access_token(self, token: str) -> StoredAccessToken | None:
        """A live access token: unrevoked, unexpired, its user enabled; None otherwise."""
        async with self.sessions() as session:
            row = await tokens.find_token(session, token, OAuthTokenKind.ACCESS)
        if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
            return None
        if row.subject.disabled:
            return None
        return StoredAccessToken(
            token=token,
            client_id=row.client.client_id,
            scopes=list(row.scopes),
            expires_at=int(row.expires_at.timestamp()),
            resource=row.resource,
            subject=row.subject.username,
            claims={
                "iss": self.config.issuer,
                "token_kind": "oauth",
                "client_name": row.client.client_name,
                "admin_id": row.subject_id,
            },
            family_id=row.family_id,
        )

    async def revoke_token(self, token: StoredAccessToken | StoredRefreshToken) -> None:
        """End the whole grant the token belongs to (RFC 7009: access and refresh alike)."""
        async with transaction(self.sessions, None) as session:
            await revoke_family(session, TokenRow, token.family_id, utcnow())
            record_activity(
                session,
                SYSTEM,
                "oauth.token_revoked",
                target_kind="oauth_client",
                target_id=token.client_id,
                details={"family": token.family_id},
            )

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        """Not offered: grants come only from a person's consent (the metadata does not list it)."""
        raise TokenError("unsupported_grant_type", "this server issues tokens only after consent")

    async def _replayed(
        self, session: AsyncSession, action: str, family_id: str, subject_id: int
    ) -> None:
        await revoke_family(session, TokenRow, family_id, utcnow())
        record_activity(
            session,
            SYSTEM,
            action,
            target_kind="admin",
            target_id=subject_id,
            details={"family": family_id},
        )


async def _subject_enabled(session: AsyncSession, subject_id: int) -> bool:
    user = await session.get(AdminUser, subject_id)
    return user is not None and not user.disabled
