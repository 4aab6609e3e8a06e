"""Short-lived access tokens for the admin API: signed JWTs that name the admin and the session.

They are checked without a database round trip (signature, audience, expiry); the session id lets
logout and password changes revoke them before they expire (see `auth.sessions`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from polybox.errors import PolyboxError

ACCESS_TTL = timedelta(minutes=15)
AUDIENCE = "polybox-admin"
ALGORITHM = "HS256"
SIGNING_PURPOSE = "polybox admin access tokens v1"


class AuthError(PolyboxError):
    """Credentials are missing, wrong, expired or revoked (HTTP 401)."""


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says."""

    admin_id: int
    username: str
    session_id: str
    expires_at: datetime


def issue_access_token(
    key: bytes, *, admin_id: int, username: str, session_id: str, now: datetime | None = None
) -> tuple[str, datetime]:
    """A signed token for the admin's session and the moment it expires."""
    issued = now or datetime.now(UTC)
    expires = issued + ACCESS_TTL
    claims = {
        "sub": str(admin_id),
        "name": username,
        "sid": session_id,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": expires,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM), expires


def verify_access_token(key: bytes, token: str) -> AccessClaims:
    """The claims of a valid token; AuthError with the reason otherwise."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "sid", "exp", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("the access token expired; refresh it or log in again") from None
    except jwt.InvalidTokenError:
        raise AuthError("the access token is not valid") from None
    return AccessClaims(
        admin_id=int(claims["sub"]),
        username=str(claims.get("name", "")),
        session_id=str(claims["sid"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )
