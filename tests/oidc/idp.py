"""A small OpenID Connect provider for the tests, served on 127.0.0.1.

It is a stand-in for a real identity provider (Keycloak, Entra ID, Google, ...), none of which
can run here. It implements only what polybox's relying-party side uses, and strictly:
discovery, an authorization endpoint that "signs in" `person` at once and redirects back with a
code, a token endpoint that checks the client's credentials, the redirect URI and the PKCE
verifier and issues an RS256 ID token signed with a key made for the test, and the JWKS with the
public half. `overrides` changes the next ID tokens' claims and `signer` their signature, so tests
can play a misbehaving or impersonated provider.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "polybox-test"
CLIENT_SECRET = "test-client-secret-0123456789abcdefghij"
KEY_ID = "test-key-1"


@dataclass
class Person:
    """Who is signed in at the provider."""

    subject: str = "00u-ada-1815"
    email: str | None = "ada@example.com"
    email_verified: bool = True


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class TestProvider:
    """The provider's state; `base` is set once it listens."""

    __test__ = False  # not a pytest test class

    base: str = ""
    person: Person = field(default_factory=Person)
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    overrides: dict[str, Any] = field(default_factory=dict)
    signer: Callable[[dict[str, Any]], str] | None = None
    discovery_issuer: str | None = None  # None: its own base URL
    codes: dict[str, _Grant] = field(default_factory=dict)
    token_requests: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/authorize", self._authorize),
                Route("/token", self._token, methods=["POST"]),
                Route("/jwks", self._jwks),
            ]
        )

    def id_token(self, claims: dict[str, Any]) -> str:
        if self.signer is not None:
            return self.signer(claims)
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KEY_ID})

    async def _discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.discovery_issuer or self.base,
                "authorization_endpoint": f"{self.base}/authorize",
                "token_endpoint": f"{self.base}/token",
                "jwks_uri": f"{self.base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = _Grant(
            CLIENT_ID, query["redirect_uri"], query["nonce"], query["code_challenge"]
        )
        back = urlencode({"code": code, "state": query["state"]})
        return RedirectResponse(f"{query['redirect_uri']}?{back}", status_code=302)

    async def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = await request.form()
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code", "")), None)  # single use
        verifier = str(form.get("code_verifier", ""))
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if challenge != grant.challenge:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "PKCE verifier does not match"},
                status_code=400,
            )
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.base,
            "sub": self.person.subject,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            "email": self.person.email,
            "email_verified": self.person.email_verified,
        }
        claims.update(self.overrides)
        id_token = self.id_token(claims)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "id_token": id_token,
            }
        )

    async def _jwks(self, request: Request) -> Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]})
