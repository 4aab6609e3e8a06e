"""Bearer tokens on `/mcp`: OAuth access tokens and admin-issued API tokens, one verifier.

Both become the SDK's `AccessToken`, bound to this server's resource, so the SDK's bearer
middleware (with `resource_server_url`) refuses a token issued for any other audience. What the
MCP surface may rely on (client id, subject, scopes, claims) is written down in `OAuthConfig`'s
docs: `claims["token_kind"]` is `oauth` or `api_token`.
"""

from __future__ import annotations

from mcp.server.auth.provider import AccessToken
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.auth.api_tokens import TOKEN_PREFIX, authenticate_api_token
from polybox.auth.oauth.provider import StoreProvider
from polybox.forge.unit import transaction


class McpTokenVerifier:
    """The SDK `TokenVerifier` for `/mcp`; None for anything unknown, expired or revoked."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], provider: StoreProvider) -> None:
        self.sessions = sessions
        self.provider = provider

    async def verify_token(self, token: str) -> AccessToken | None:
        if not token.startswith(TOKEN_PREFIX):
            return await self.provider.load_access_token(token)
        async with transaction(self.sessions, None) as session:  # records last use
            principal = await authenticate_api_token(session, token)
            if principal is None:
                return None
        config, expiry = self.provider.config, principal.expires_at
        return AccessToken(
            token=token,
            client_id=f"api-token:{principal.token_id}",
            scopes=sorted(principal.scopes),
            expires_at=None if expiry is None else int(expiry.timestamp()),
            resource=config.resource,
            subject=principal.created_by,
            claims={"iss": config.issuer, "token_kind": "api_token", "client_name": principal.name},
        )
