"""OAuth 2.1 for external sources: tokens kept encrypted in the source row, refreshed by the SDK.

An admin connects a source once (`oauth_flow.py`: authorisation in the admin's browser). What
that yields lives in `external_sources.oauth_state_ciphertext`, encrypted with the instance's
SecretBox and bound to the source (a blob copied to another row does not decrypt): the client
registration, the tokens and the discovered server metadata. `SourceTokens` is the SDK's
`TokenStorage` over it. Calls use the SDK's `OAuthClientProvider` with that storage and metadata:
it sends the access token and refreshes it (at the token endpoint the metadata names). It never
asks a person: a source not connected yet, or whose authorization server no longer accepts the
tokens, fails with a message asking an admin to connect it (again). The state is read from the
store when a call builds its provider (one primary-key read).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Never, TypeVar

from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import (
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthMetadata,
    OAuthToken,
    ProtectedResourceMetadata,
)
from mcp.shared.auth_utils import calculate_token_expiry
from pydantic import AnyUrl, BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.config import Settings
from polybox.crypto import SecretBox
from polybox.forge.errors import UnavailableError
from polybox.forge.external.targets import RemoteTarget
from polybox.store.models import ExternalSource

CALLBACK_PATH = "/api/external-oauth/callback"


def callback_url(settings: Settings) -> str:
    """Where the source's authorization server sends the admin's browser back to."""
    return settings.public_base_url.rstrip("/") + CALLBACK_PATH


def _aad_key(source_id: int) -> str:
    return f"oauth-source:{source_id}"


class ReconnectNeeded(Exception):
    """The source's authorization server wants a person again; an admin must reconnect it."""


@dataclass(frozen=True)
class Connection:
    """What connecting a source yields, and what calls read back of it."""

    client_info: OAuthClientInformationFull | None
    tokens: OAuthToken | None
    oauth_metadata: OAuthMetadata | None
    resource_metadata: ProtectedResourceMetadata | None
    expires_at: float | None = None  # when the access token expires (epoch seconds), if known


class SourceTokens:
    """The SDK's TokenStorage over one source's encrypted OAuth state column.

    Tokens are stored with the time their access token expires: the SDK keeps that time only in
    memory, and a provider without it would send an expired token instead of refreshing it.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], box: SecretBox, target: RemoteTarget
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._source_id = target.source_id
        self._server_id = target.server_id

    async def get_tokens(self) -> OAuthToken | None:
        return (await self.connection()).tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        await self._store(_token_parts(tokens))

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return (await self.connection()).client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        await self._store({"client_info": client_info.model_dump(mode="json", exclude_none=True)})

    async def connection(self) -> Connection:
        """Everything stored, in one read."""
        state = await self._load()
        expires_at = state.get("expires_at")
        return Connection(
            client_info=_parsed(OAuthClientInformationFull, state.get("client_info")),
            tokens=_parsed(OAuthToken, state.get("tokens")),
            oauth_metadata=_parsed(OAuthMetadata, state.get("oauth_metadata")),
            resource_metadata=_parsed(ProtectedResourceMetadata, state.get("resource_metadata")),
            expires_at=float(expires_at) if isinstance(expires_at, int | float) else None,
        )

    async def connect(self, connection: Connection) -> None:
        """Replace the whole state with a fresh connection (older tokens and metadata go)."""
        parts = {
            "client_info": connection.client_info,
            "oauth_metadata": connection.oauth_metadata,
            "resource_metadata": connection.resource_metadata,
        }
        state: dict[str, object] = {
            name: part.model_dump(mode="json", exclude_none=True)
            for name, part in parts.items()
            if part is not None
        }
        if connection.tokens is not None:
            state |= _token_parts(connection.tokens)
        await self._write(state)

    async def _load(self) -> dict[str, object]:
        async with self._sessions() as session:
            blob = await session.scalar(
                select(ExternalSource.oauth_state_ciphertext).where(
                    ExternalSource.id == self._source_id
                )
            )
        return self._decrypt(blob)

    async def _store(self, parts: dict[str, object]) -> None:
        async with self._sessions.begin() as session:
            blob = await session.scalar(
                select(ExternalSource.oauth_state_ciphertext)
                .where(ExternalSource.id == self._source_id)
                .with_for_update()
            )
            await self._seal(session, self._decrypt(blob) | parts)

    async def _write(self, state: dict[str, object]) -> None:
        async with self._sessions.begin() as session:
            await self._seal(session, state)

    async def _seal(self, session: AsyncSession, state: dict[str, object]) -> None:
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


M = TypeVar("M", bound=BaseModel)


def _parsed(model: type[M], raw: object) -> M | None:
    return None if raw is None else model.model_validate(raw)


def _token_parts(tokens: OAuthToken) -> dict[str, object]:
    return {
        "tokens": tokens.model_dump(mode="json", exclude_none=True),
        "expires_at": calculate_token_expiry(tokens.expires_in),
    }


def client_metadata(settings: Settings) -> OAuthClientMetadata:
    """How polybox registers itself at a source's authorization server (a public client)."""
    return OAuthClientMetadata(
        client_name="polybox",
        redirect_uris=[AnyUrl(callback_url(settings))],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",  # noqa: S106 (a method name)
    )


async def oauth_provider(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    settings: Settings,
    target: RemoteTarget,
    on_reconnect_needed: Callable[[str], None],
) -> OAuthClientProvider:
    """The provider calls use: sends and refreshes stored tokens, never asks a person.

    When the source wants a person again (its tokens revoked, the refresh refused), the
    provider calls `on_reconnect_needed` with a message for the admin and fails the request
    (the SDK's transport reports only that the connection closed). Raises UnavailableError
    when the source was never connected (asking it would only register polybox again and again).
    """
    storage = SourceTokens(sessions, box, target)
    stored = await storage.connection()
    if stored.tokens is None:
        raise UnavailableError(
            f"external source {target.source!r} uses OAuth and is not connected yet; an admin "
            "connects it on the server's External sources tab"
        )
    message = (
        f"external source {target.source!r} no longer accepts polybox's OAuth tokens (revoked "
        "or expired); an admin connects it again on the server's External sources tab"
    )

    async def person_needed(*_: object) -> Never:
        on_reconnect_needed(message)
        raise ReconnectNeeded(message)

    provider = OAuthClientProvider(
        server_url=target.url,
        client_metadata=client_metadata(settings),
        storage=storage,
        redirect_handler=person_needed,
        callback_handler=person_needed,
    )
    provider.context.oauth_metadata = stored.oauth_metadata  # the token endpoint to refresh at
    provider.context.protected_resource_metadata = stored.resource_metadata
    provider.context.token_expiry_time = stored.expires_at
    return provider
