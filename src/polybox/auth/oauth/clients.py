"""Dynamically registered OAuth clients (RFC 7591), kept in the store.

Registration is open, as the MCP authorization spec expects: a client gets an id (and a secret if
it asked for a confidential registration), nothing more; every grant still needs a person's
consent. Redirect URIs must be HTTPS, loopback HTTP (native apps, RFC 8252) or a private-use
scheme, so a code is never sent in clear text over the network or to a script URL.

The SDK's token endpoint compares a confidential client's secret itself, so the secret is stored
encrypted (AES-256-GCM under a key derived from the instance key, bound to the client id), not
hashed.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from mcp.server.auth.provider import RegistrationError
from mcp.shared.auth import OAuthClientInformationFull
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from polybox.crypto import SecretBox
from polybox.forge.actors import SYSTEM
from polybox.forge.unit import record_activity
from polybox.store.models import OAuthClient

SECRET_PURPOSE = "polybox oauth client secrets v1"  # noqa: S105 - a KDF label
_NONCE_BYTES = 12
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_REFUSED_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "blob", "about"})


class ClientSecrets:
    """Encrypts client secrets at rest; a secret only decrypts for the client it was made for."""

    def __init__(self, secret_box: SecretBox) -> None:
        self._aead = AESGCM(secret_box.derive(SECRET_PURPOSE))

    def seal(self, client_id: str, secret: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), client_id.encode())

    def open(self, client_id: str, blob: bytes) -> str | None:
        """The secret, or None when the blob was altered or moved (the client cannot log in)."""
        try:
            plain = self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], client_id.encode())
        except InvalidTag:
            return None
        return plain.decode()


def check_redirect_uri(uri: str) -> None:
    """Refuse redirect URIs a code must not travel to; RegistrationError says which and why."""
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme == "https" or (scheme == "http" and parsed.hostname in _LOOPBACK_HOSTS):
        return
    if scheme == "http":
        reason = "plain http is allowed only for loopback (127.0.0.1, localhost, [::1])"
    elif scheme in _REFUSED_SCHEMES or not scheme:
        reason = f"the {scheme or 'missing'} scheme cannot receive a code"
    else:
        return  # a native app's private-use scheme (RFC 8252 section 7.1), e.g. cursor://oauth
    raise RegistrationError("invalid_redirect_uri", f"redirect URI {uri!r} refused: {reason}")


async def register_client(
    session: AsyncSession, sealer: ClientSecrets, info: OAuthClientInformationFull
) -> None:
    """Store a client the SDK validated; its redirect URIs are checked here (RegistrationError)."""
    for uri in info.redirect_uris or []:
        check_redirect_uri(str(uri))
    client_id = info.client_id or ""
    stored = info.model_dump(mode="json", exclude={"client_secret"}, exclude_none=True)
    row = OAuthClient(
        client_id=client_id,
        client_name=(info.client_name or "")[:200] or None,
        info=stored,
        secret_ciphertext=(
            sealer.seal(client_id, info.client_secret) if info.client_secret else None
        ),
    )
    session.add(row)
    await session.flush()
    record_activity(
        session,
        SYSTEM,
        "oauth.client_registered",
        target_kind="oauth_client",
        target_id=client_id,
        details={"client_name": row.client_name, "redirect_uris": stored.get("redirect_uris")},
    )


async def find_client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    return await session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


def client_info(row: OAuthClient, sealer: ClientSecrets) -> OAuthClientInformationFull:
    """The SDK's view of a stored client, secret included (the token endpoint compares it)."""
    secret = None
    if row.secret_ciphertext is not None:
        secret = sealer.open(row.client_id, row.secret_ciphertext)
    return OAuthClientInformationFull.model_validate({**row.info, "client_secret": secret})
