"""Talking to the upstream OpenID Connect provider: discovery, the authorization URL, the code
exchange and the ID token's verification.

Only what the authorization code flow with PKCE needs (OpenID Connect Core §3.1). The ID token
is trusted only after every check of Core §3.1.3.7 that applies to a confidential or public
client receiving it straight from the token endpoint over TLS: signature by a key in the
provider's JWKS with an asymmetric algorithm (never `none` or HMAC, so a public client id can't
become a signing key), issuer, audience (and `azp` when there are several), expiry, issue time
and the nonce of this sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx
import jwt

from polybox.config import Settings
from polybox.errors import PolyboxError

DISCOVERY_PATH = "/.well-known/openid-configuration"
SCOPES = "openid email profile"
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
CLOCK_SKEW_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10.0


class OidcError(PolyboxError):
    """The sign-in cannot go on; the message is shown to the person signing in."""


@dataclass(frozen=True)
class ProviderMetadata:
    """The endpoints of the provider's discovery document that polybox uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, from a verified ID token."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool


@dataclass(frozen=True)
class Challenge:
    """The per-sign-in secrets: `state` (CSRF), `nonce` (ID token replay), PKCE `verifier`."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> Challenge:
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48))

    @property
    def code_challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    """polybox as a relying party of one provider. Discovery is fetched once, then kept."""

    def __init__(self, issuer: str, client_id: str, client_secret: str | None) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._secret = client_secret
        self._metadata: ProviderMetadata | None = None
        self._jwks: jwt.PyJWKClient | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcClient | None:
        """The configured provider's client, or None when no provider is configured."""
        if not (settings.oidc_issuer_url and settings.oidc_client_id):
            return None
        secret = settings.oidc_client_secret
        return cls(
            settings.oidc_issuer_url,
            settings.oidc_client_id,
            secret.get_secret_value() if secret else None,
        )

    async def metadata(self) -> ProviderMetadata:
        """The discovery document; OidcError when it can't be read or names another issuer."""
        if self._metadata is None:
            document = await self._request("GET", self.issuer + DISCOVERY_PATH)
            try:
                metadata = ProviderMetadata(
                    issuer=str(document["issuer"]),
                    authorization_endpoint=str(document["authorization_endpoint"]),
                    token_endpoint=str(document["token_endpoint"]),
                    jwks_uri=str(document["jwks_uri"]),
                )
            except KeyError as exc:
                raise OidcError(f"the provider's discovery document lacks {exc}") from None
            if metadata.issuer.rstrip("/") != self.issuer:  # OpenID Connect Discovery §4.3
                raise OidcError(
                    f"the provider at {self.issuer} calls itself {metadata.issuer}; "
                    "set POLYBOX_OIDC_ISSUER_URL to the issuer it names"
                )
            self._metadata = metadata
            self._jwks = jwt.PyJWKClient(metadata.jwks_uri, timeout=int(HTTP_TIMEOUT_SECONDS))
        return self._metadata

    async def authorization_url(self, challenge: Challenge, redirect_uri: str) -> str:
        """Where to send the browser to sign in at the provider."""
        metadata = await self.metadata()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": challenge.state,
            "nonce": challenge.nonce,
            "code_challenge": challenge.code_challenge,
            "code_challenge_method": "S256",
        }
        separator = "&" if "?" in metadata.authorization_endpoint else "?"
        return metadata.authorization_endpoint + separator + urlencode(query)

    async def sign_in(self, code: str, challenge: Challenge, redirect_uri: str) -> Identity:
        """Exchange the code for tokens and verify the ID token against this sign-in."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": challenge.verifier,
        }
        auth = None
        if self._secret is None:
            form["client_id"] = self.client_id
        else:
            auth = httpx.BasicAuth(self.client_id, self._secret)
        answer = await self._request("POST", metadata.token_endpoint, data=form, auth=auth)
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the provider's token response has no ID token")
        return await self.verify_id_token(id_token, challenge.nonce)

    async def verify_id_token(self, id_token: str, nonce: str) -> Identity:
        """The identity in a valid ID token for this client and sign-in; OidcError otherwise."""
        metadata = await self.metadata()
        assert self._jwks is not None  # noqa: S101 - set with the metadata
        try:
            key = await anyio.to_thread.run_sync(self._jwks.get_signing_key_from_jwt, id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=list(SIGNING_ALGORITHMS),
                audience=self.client_id,
                issuer=metadata.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise OidcError("the provider's ID token has expired; sign in again") from None
        except jwt.InvalidAudienceError:
            raise OidcError(
                f"the ID token was issued for another client, not {self.client_id!r}"
            ) from None
        except jwt.InvalidIssuerError:
            raise OidcError(f"the ID token was not issued by {metadata.issuer}") from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise OidcError(f"the provider's ID token is not valid: {exc}") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise OidcError("the ID token names several audiences but not this client as `azp`")
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcError(
                "the ID token does not belong to this sign-in (nonce mismatch); start again"
            )
        email = claims.get("email")
        return Identity(
            issuer=metadata.issuer,
            subject=str(claims["sub"]),
            email=str(email).lower() if email else None,
            email_verified=claims.get("email_verified") is True,
        )

    async def _request(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
                response = await client.request(
                    method, url, headers={"Accept": "application/json"}, **kwargs
                )
        except httpx.HTTPError as exc:
            raise OidcError(f"the identity provider is unreachable ({url}): {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            reason = body.get("error_description") or body.get("error") if body else None
            raise OidcError(
                f"the identity provider answered {response.status_code} at {url}"
                + (f": {reason}" if reason else "")
            )
        return body
