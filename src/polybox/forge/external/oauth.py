"""OAuth 2.1 for external sources: tokens kept encrypted in the source row, refreshed by the SDK.

The SDK's `OAuthClientProvider` does the protocol (metadata discovery, dynamic client
registration, PKCE, token exchange, refresh). `SourceTokens` is its `TokenStorage`: the client
registration and the tokens live in `external_sources.oauth_state_ciphertext`, encrypted with the
instance's SecretBox and bound to the source (a blob copied to another row does not decrypt).
Calls use a provider without redirect or callback handlers: a source whose tokens are missing or
can no longer be refreshed fails with a message asking an admin to connect it again
(the interactive authorisation, started from the admin UI, is not built yet).
"""

from __future__ import annotations

import json

from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.crypto import SecretBox
from polybox.forge.external.targets import RemoteTarget
from polybox.store.models import ExternalSource

CALLBACK_PATH = "/api/external-sources/oauth/callback"


def callback_url(settings: Settings) -> str:
    """Where the source's authorization server sends the admin's browser back to."""
    return settings.public_base_url.rstrip("/") + CALLBACK_PATH


def _aad_key(source_id: int) -> str:
    return f"oauth-source:{source_id}"


class SourceTokens:
    """The SDK's TokenStorage over one source's encrypted OAuth state column."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], box: SecretBox, target: RemoteTarget
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._source_id = target.source_id
        self._server_id = target.server_id

    async def get_tokens(self) -> OAuthToken | None:
        raw = (await self._load()).get("tokens")
        return None if raw is None else OAuthToken.model_validate(raw)

    async def set_tokens(self, tokens: OAuthToken) -> None:
        await self._store("tokens", tokens.model_dump(mode="json", exclude_none=True))

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        raw = (await self._load()).get("client_info")
        return None if raw is None else OAuthClientInformationFull.model_validate(raw)

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        await self._store("client_info", client_info.model_dump(mode="json", exclude_none=True))

    async def _load(self) -> dict[str, object]:
        async with self._sessions() as session:
            blob = await session.scalar(
                select(ExternalSource.oauth_state_ciphertext).where(
                    ExternalSource.id == self._source_id
                )
            )
        return self._decrypt(blob)

    async def _store(self, part: str, value: object) -> None:
        async with self._sessions.begin() as session:
            blob = await session.scalar(
                select(ExternalSource.oauth_state_ciphertext)
                .where(ExternalSource.id == self._source_id)
                .with_for_update()
            )
            state = self._decrypt(blob) | {part: value}
            sealed = self._box.encrypt(
                json.dumps(state), server_id=self._server_id, key=_aad_key(self._source_id)
            )
            await session.execute(
                update(ExternalSource)
                .where(ExternalSource.id == self._source_id)
                .values(oauth_state_ciphertext=sealed)
            )

    def _decrypt(self, blob: bytes | None) -> dict[str, object]:
        if blob is None:
            return {}
        text = self._box.decrypt(blob, server_id=self._server_id, key=_aad_key(self._source_id))
        loaded = json.loads(text)
        return loaded if isinstance(loaded, dict) else {}


def client_metadata(settings: Settings) -> OAuthClientMetadata:
    """How polybox registers itself at a source's authorization server (a public client)."""
    return OAuthClientMetadata(
        client_name="polybox",
        redirect_uris=[AnyUrl(callback_url(settings))],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",  # noqa: S106 (a method name)
    )


def oauth_provider(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    settings: Settings,
    target: RemoteTarget,
) -> OAuthClientProvider:
    """The provider calls use: sends and refreshes stored tokens, never asks a person."""
    return OAuthClientProvider(
        server_url=target.url,
        client_metadata=client_metadata(settings),
        storage=SourceTokens(sessions, box, target),
    )
