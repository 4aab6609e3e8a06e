"""Where the authorization server and the protected resource live, and what tokens may do.

The issuer is the public base URL; the one protected resource is `<issuer>/mcp`. Every token is
bound to that resource (its audience), so a token minted for another server is refused here and
ours is useless elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from mcp.server.auth.routes import build_resource_metadata_url
from pydantic import AnyHttpUrl

from polybox.config import Settings

SCOPES = ("tools:call", "forge:write", "admin")
DEFAULT_SCOPES = ("tools:call", "forge:write")
SCOPE_DESCRIPTIONS = {
    "tools:call": "call the approved tools",
    "forge:write": "create and change servers and tools (they still need an admin's approval)",
    "admin": "act as an administrator: approve tools, manage secrets and settings",
}
CONSENT_PATH = "/oauth/consent"
# A browser has this long to finish the consent page, a client this long to redeem its code.
PENDING_TTL = timedelta(minutes=10)
CODE_TTL = timedelta(minutes=2)


@dataclass(frozen=True)
class OAuthConfig:
    """The authorization server's URLs and token lifetimes, from the settings."""

    issuer: str
    resource: str
    access_ttl: timedelta
    refresh_ttl: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> OAuthConfig:
        base = settings.public_base_url
        return cls(
            issuer=base,
            resource=f"{base}/mcp",
            access_ttl=timedelta(seconds=settings.oauth_access_token_ttl_seconds),
            refresh_ttl=timedelta(seconds=settings.oauth_refresh_token_ttl_seconds),
        )

    @property
    def resource_metadata_url(self) -> AnyHttpUrl:
        """The RFC 9728 metadata URL named in every 401's `WWW-Authenticate`."""
        return build_resource_metadata_url(AnyHttpUrl(self.resource))

    def consent_url(self, pending_id: str) -> str:
        return f"{self.issuer}{CONSENT_PATH}?{urlencode({'request': pending_id})}"

    def is_our_resource(self, resource: str | None) -> bool:
        """Whether a requested resource indicator names `/mcp` (a trailing slash aside)."""
        return resource is None or resource.rstrip("/") == self.resource
