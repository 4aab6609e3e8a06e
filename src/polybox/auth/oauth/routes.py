"""What the app mounts for remote mode: the authorization server's routes and `/mcp`'s guard.

Routes: RFC 8414 metadata, `/authorize`, `/token`, `/register` (RFC 7591), `/revoke` (RFC 7009)
from the SDK (paths relative to the issuer, as the SDK fixes them), RFC 9728 metadata for `/mcp`,
and the consent page. `protect` puts the SDK's bearer authentication in front of an ASGI app: no
valid token for this resource means 401 with `WWW-Authenticate: Bearer ... resource_metadata=`,
which is how MCP clients discover where to log in. Scopes are checked per tool by the MCP surface.
"""

from __future__ import annotations

from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.routes import create_auth_routes, create_protected_resource_routes
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from pydantic import AnyHttpUrl
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp

from polybox.auth.oauth.consent import CSRF_PURPOSE, ConsentEndpoint, SignInLinks
from polybox.auth.oauth.endpoints import CONSENT_PATH, DEFAULT_SCOPES, SCOPES, OAuthConfig
from polybox.auth.oauth.provider import StoreProvider
from polybox.auth.oauth.verifier import McpTokenVerifier
from polybox.auth.ratelimit import LoginLimiter
from polybox.instance import Instance


class OAuthServer:
    """The authorization server of one instance; build it once per app."""

    def __init__(
        self,
        instance: Instance,
        limiter: LoginLimiter,
        sign_in_links: SignInLinks | None = None,
    ) -> None:
        self.config = OAuthConfig.from_settings(instance.settings)
        self.provider = StoreProvider(instance.sessions, instance.secret_box, self.config)
        self.verifier = McpTokenVerifier(instance.sessions, self.provider)
        self.consent = ConsentEndpoint(
            instance.sessions, instance.secret_box.derive(CSRF_PURPOSE), limiter, sign_in_links
        )

    def routes(self) -> list[Route]:
        issuer = AnyHttpUrl(self.config.issuer)
        routes = create_auth_routes(
            self.provider,
            issuer,
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=list(SCOPES), default_scopes=list(DEFAULT_SCOPES)
            ),
            revocation_options=RevocationOptions(enabled=True),
        )
        routes += create_protected_resource_routes(
            AnyHttpUrl(self.config.resource),
            [issuer],
            # What clients ask for when they don't choose (the SDK client requests exactly
            # these); `admin` is offered by the authorization server's metadata, on request.
            scopes_supported=list(DEFAULT_SCOPES),
            resource_name="polybox",
        )
        routes.append(Route(CONSENT_PATH, self.consent.handle, methods=["GET", "POST"]))
        return routes

    def protect(self, app: ASGIApp) -> ASGIApp:
        """`app` behind bearer authentication for this server's resource."""
        guarded = AuthContextMiddleware(
            RequireAuthMiddleware(app, [], self.config.resource_metadata_url)
        )
        backend = BearerAuthBackend(
            self.verifier, resource_server_url=AnyHttpUrl(self.config.resource)
        )
        return AuthenticationMiddleware(guarded, backend=backend)
