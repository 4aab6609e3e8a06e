"""An admin connects an OAuth source: the authorisation, split over two HTTP requests.

`start_authorization` discovers the source's authorization server (RFC 9728 protected resource
metadata, RFC 8414 server metadata), registers polybox there as a public client (RFC 7591; a
registration already held for that server is reused) and returns the PKCE authorization URL for
the admin's browser. The browser comes back to `CALLBACK_PATH` without the admin's credentials, so
the `state` is what vouches for the return: 256 random bits kept only as a SHA-256 hash, good for
one use within FLOW_TTL, bound to its source (the flow is encrypted with the source's id and the
hash as associated data). `finish_authorization` redeems the code and stores the registration,
tokens and metadata in the source (`oauth.SourceTokens`); calls then send and refresh the tokens.

The protocol pieces (discovery URLs, metadata and registration handling, issuer checks, PKCE,
token auth and parsing) are the SDK's; its interactive flow is not, because it waits for the
browser inside one request. Every request to the source's servers passes the egress policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urljoin, urlparse

import httpx2
from mcp.client.auth import OAuthFlowError, OAuthRegistrationError, OAuthTokenError
from mcp.client.auth.oauth2 import OAuthContext, PKCEParameters, check_registration_usable
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
    create_client_registration_request,
    create_oauth_metadata_request,
    credentials_match_issuer,
    extract_resource_metadata_from_www_auth,
    get_client_metadata_scopes,
    handle_auth_metadata_response,
    handle_protected_resource_response,
    handle_registration_response,
    handle_token_response_scopes,
    issuers_match,
    validate_authorization_response_iss,
    validate_metadata_issuer,
)
from mcp.shared.auth import (
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthMetadata,
    OAuthToken,
    ProtectedResourceMetadata,
)
from mcp.shared.auth_utils import check_resource_allowed, resource_url_from_server_url
from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from polybox.auth.opaque import digest, new_token
from polybox.crypto import SecretDecryptError
from polybox.events import EventBus, EventKind
from polybox.forge.actors import Actor, admin
from polybox.forge.errors import ConflictError, ForgeError, UnavailableError
from polybox.forge.external.gateway import SourceGateway
from polybox.forge.external.network import checked_client
from polybox.forge.external.oauth import Connection, SourceTokens, callback_url, client_metadata
from polybox.forge.external.schemas import OAuthStartOut
from polybox.forge.external.sources import find_source
from polybox.forge.external.targets import RemoteTarget
from polybox.forge.plans import ServerRun, server_run
from polybox.forge.servers import find_server
from polybox.forge.unit import queue_event, record_activity, transaction
from polybox.sandbox.egress import EgressError
from polybox.store.enums import SourceAuth
from polybox.store.models import ExternalOAuthFlow, ExternalSource, Server
from polybox.store.types import utcnow

FLOW_TTL = timedelta(minutes=10)
_HTTP_ERRORS = (httpx2.HTTPError, EgressError, OAuthFlowError, OAuthRegistrationError, ValueError)


class CallbackRefused(ForgeError):
    """The browser's return cannot complete a connection; the message is for the admin."""


@dataclass(frozen=True)
class Connected:
    """The source a finished authorisation connected."""

    server: str
    source: str


class _Flow(BaseModel):
    """What the callback needs of its start (stored encrypted)."""

    url: str
    redirect_uri: str
    verifier: str
    scope: str | None
    admin: str
    client_info: OAuthClientInformationFull
    oauth_metadata: OAuthMetadata | None
    resource_metadata: ProtectedResourceMetadata | None


async def start_authorization(
    sessions: async_sessionmaker[AsyncSession],
    gateway: SourceGateway,
    actor: Actor,
    server: str | int,
    source: str | int,
) -> OAuthStartOut:
    """The URL to send the admin's browser to; UnavailableError when the source's servers fail."""
    target, run = await _oauth_source(sessions, gateway, server, source)
    storage = SourceTokens(sessions, gateway.secret_box, target)
    metadata = client_metadata(gateway.settings)
    try:
        async with _client(gateway, run) as http:
            resource_metadata, oauth_metadata, issuer = await _discover(http, target.url)
            metadata.scope = get_client_metadata_scopes(
                None, resource_metadata, oauth_metadata, metadata.grant_types
            )
            client_info = await storage.get_client_info()
            if client_info is None or not _reusable(client_info, issuer, metadata.redirect_uris):
                client_info = await _register(http, target.url, oauth_metadata, issuer, metadata)
    except _HTTP_ERRORS as exc:
        raise UnavailableError(
            f"cannot connect external source {target.source!r}: its authorization server could "
            f"not be used ({_reason(exc)})"
        ) from None
    pkce = PKCEParameters.generate()
    flow = _Flow(
        url=target.url,
        redirect_uri=callback_url(gateway.settings),
        verifier=pkce.code_verifier,
        scope=metadata.scope,
        admin=actor.name,
        client_info=client_info,
        oauth_metadata=oauth_metadata,
        resource_metadata=resource_metadata,
    )
    state = new_token()
    query = {
        "response_type": "code",
        "client_id": client_info.client_id or "",
        "redirect_uri": flow.redirect_uri,
        "state": state,
        "code_challenge": pkce.code_challenge,
        "code_challenge_method": "S256",
        "resource": _context(flow, metadata, storage).get_resource_url(),
        **({"scope": flow.scope} if flow.scope else {}),
    }
    endpoint = (
        str(oauth_metadata.authorization_endpoint)
        if oauth_metadata is not None
        else urljoin(_origin(target.url), "/authorize")
    )
    await _park(sessions, gateway, target, state, flow)
    return OAuthStartOut(source=target.source, authorization_url=f"{endpoint}?{urlencode(query)}")


async def finish_authorization(
    sessions: async_sessionmaker[AsyncSession],
    events: EventBus | None,
    gateway: SourceGateway,
    *,
    state: str,
    code: str | None,
    iss: str | None = None,
    error: str | None = None,
) -> Connected:
    """Redeem the browser's code for the source its state names; CallbackRefused otherwise.

    The state is used up first, whatever happens next: a second return with it is refused.
    """
    row = await _claim(sessions, state)
    async with sessions() as session:
        source = await session.get(ExternalSource, row.source_id)
        owner = None if source is None else await session.get(Server, source.server_id)
        if source is None or owner is None:
            raise CallbackRefused("the external source was removed meanwhile; nothing was stored")
        target = RemoteTarget.of(source, remote_name="")
        run = await server_run(session, gateway.secret_box, gateway.settings, owner)
    try:
        flow = _Flow.model_validate_json(
            gateway.secret_box.decrypt(row.ciphertext, server_id=target.server_id, key=_key(row))
        )
    except (SecretDecryptError, ValidationError):
        raise CallbackRefused("this authorisation cannot be read; start connecting again") from None
    if error is not None:
        raise CallbackRefused(
            f"the authorization server of {target.source!r} did not grant access ({error[:100]}); "
            "nothing was stored"
        )
    if flow.url != target.url or target.auth_kind is not SourceAuth.OAUTH:
        raise CallbackRefused(
            f"external source {target.source!r} changed since connecting started; start again"
        )
    storage = SourceTokens(sessions, gateway.secret_box, target)
    context = _context(flow, client_metadata(gateway.settings), storage)
    tokens = await _redeem(gateway, run, target, context, flow, code=code, iss=iss)
    await storage.connect(
        Connection(flow.client_info, tokens, flow.oauth_metadata, flow.resource_metadata)
    )
    async with transaction(sessions, events) as session:
        record_activity(
            session,
            admin(flow.admin),
            "external_source.oauth_connected",
            target_kind="external_source",
            target_id=target.source_id,
            details={"server": owner.name, "source": target.source},
        )
        queue_event(
            session, EventKind.SERVER_CHANGED, {"server_id": owner.id, "server": owner.name}
        )
    await gateway.pool.discard(target.source_id)  # a pooled session holds the old tokens
    return Connected(server=owner.name, source=target.source)


async def _oauth_source(
    sessions: async_sessionmaker[AsyncSession],
    gateway: SourceGateway,
    server: str | int,
    source: str | int,
) -> tuple[RemoteTarget, ServerRun]:
    async with sessions() as session:
        owner = await find_server(session, server)
        row = await find_source(session, owner, source)
        if row.auth_kind is not SourceAuth.OAUTH:
            raise ConflictError(
                f"external source {row.name!r} does not use OAuth (its auth is "
                f"{row.auth_kind.value}); change its auth to oauth first"
            )
        run = await server_run(session, gateway.secret_box, gateway.settings, owner)
        return RemoteTarget.of(row, remote_name=""), run


def _client(gateway: SourceGateway, run: ServerRun) -> httpx2.AsyncClient:
    return checked_client(run.egress, gateway.resolver, timeout=httpx2.Timeout(gateway.timeout))


async def _discover(
    http: httpx2.AsyncClient, url: str
) -> tuple[ProtectedResourceMetadata | None, OAuthMetadata | None, str]:
    """The resource's metadata, its authorization server's metadata and that server's issuer."""
    async with http.stream("GET", url) as probe:  # its 401 may say where the metadata is
        hint = extract_resource_metadata_from_www_auth(probe)
    resource_metadata = None
    for candidate in build_protected_resource_metadata_discovery_urls(hint, url):
        resource_metadata = await handle_protected_resource_response(
            await http.send(create_oauth_metadata_request(candidate))
        )
        if resource_metadata is not None:
            break
    auth_server = None
    if resource_metadata is not None:
        expected = resource_url_from_server_url(url)
        if resource_metadata.resource and not check_resource_allowed(
            requested_resource=expected, configured_resource=str(resource_metadata.resource)
        ):
            raise OAuthFlowError(
                f"the source says it is {resource_metadata.resource}, not {expected}"
            )
        auth_server = str(resource_metadata.authorization_servers[0])
    issuer = auth_server or _origin(url)
    for candidate in build_oauth_authorization_server_metadata_discovery_urls(auth_server, url):
        ok, found = await handle_auth_metadata_response(
            await http.send(create_oauth_metadata_request(candidate))
        )
        if not ok:
            break
        if found is not None:
            if auth_server is None and issuers_match(str(found.issuer), issuer):
                issuer = str(found.issuer)
            validate_metadata_issuer(found, issuer)
            return resource_metadata, found, issuer
    return resource_metadata, None, issuer


def _reusable(client_info: OAuthClientInformationFull, issuer: str, redirect: object) -> bool:
    """A registration from an earlier connection serves if made at this server for our callback."""
    return (
        client_info.issuer is not None
        and credentials_match_issuer(client_info, issuer, None)
        and client_info.redirect_uris == redirect
    )


async def _register(
    http: httpx2.AsyncClient,
    url: str,
    oauth_metadata: OAuthMetadata | None,
    issuer: str,
    metadata: OAuthClientMetadata,
) -> OAuthClientInformationFull:
    """Register polybox at the authorization server (dynamic client registration)."""
    request = create_client_registration_request(oauth_metadata, metadata, _origin(url))
    client_info = await handle_registration_response(await http.send(request))
    check_registration_usable(client_info)
    client_info.issuer = issuer
    return client_info


async def _park(
    sessions: async_sessionmaker[AsyncSession],
    gateway: SourceGateway,
    target: RemoteTarget,
    state: str,
    flow: _Flow,
) -> None:
    """Store the pending flow under its state's hash; expired flows of any source go."""
    now = utcnow()
    async with sessions.begin() as session:
        await session.execute(delete(ExternalOAuthFlow).where(ExternalOAuthFlow.expires_at <= now))
        row = ExternalOAuthFlow(
            source_id=target.source_id,
            state_hash=digest(state),
            ciphertext=b"",
            expires_at=now + FLOW_TTL,
        )
        row.ciphertext = gateway.secret_box.encrypt(
            flow.model_dump_json(), server_id=target.server_id, key=_key(row)
        )
        session.add(row)


async def _claim(sessions: async_sessionmaker[AsyncSession], state: str) -> ExternalOAuthFlow:
    """Take the flow `state` names out of the store (single use); CallbackRefused if none."""
    async with sessions.begin() as session:
        row = await session.scalar(
            select(ExternalOAuthFlow)
            .where(ExternalOAuthFlow.state_hash == digest(state))
            .with_for_update()
        )
        if row is not None:
            await session.delete(row)
    if row is None or row.expires_at <= utcnow():
        raise CallbackRefused(
            "this authorisation link is unknown, already used or expired; start connecting the "
            "source again from its server's External sources tab"
        )
    return row


async def _redeem(
    gateway: SourceGateway,
    run: ServerRun,
    target: RemoteTarget,
    context: OAuthContext,
    flow: _Flow,
    *,
    code: str | None,
    iss: str | None,
) -> OAuthToken:
    """Exchange the code at the token endpoint (with the PKCE verifier)."""
    if not code:
        raise CallbackRefused("the authorization server sent no code back; start again")
    token_url = (
        str(flow.oauth_metadata.token_endpoint)
        if flow.oauth_metadata is not None
        else urljoin(_origin(flow.url), "/token")
    )
    data, headers = context.prepare_token_auth(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.redirect_uri,
            "client_id": flow.client_info.client_id or "",
            "code_verifier": flow.verifier,
            "resource": context.get_resource_url(),
        },
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        validate_authorization_response_iss(iss, flow.oauth_metadata)
        async with _client(gateway, run) as http:
            answer = await http.post(token_url, data=data, headers=headers)
            if answer.status_code not in (200, 201):
                raise OAuthTokenError(f"HTTP {answer.status_code}: {answer.text[:200]}")
            tokens = await handle_token_response_scopes(answer)
    except (*_HTTP_ERRORS, OAuthTokenError) as exc:
        raise CallbackRefused(
            f"the authorization server of {target.source!r} did not give tokens for the code "
            f"({_reason(exc)}); nothing was stored"
        ) from None
    if tokens.scope is None:
        tokens.scope = flow.scope
    return tokens


def _context(flow: _Flow, metadata: OAuthClientMetadata, storage: SourceTokens) -> OAuthContext:
    """The SDK's flow context, for its resource URL and token-request authentication rules."""
    return OAuthContext(
        server_url=flow.url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=None,
        callback_handler=None,
        protected_resource_metadata=flow.resource_metadata,
        oauth_metadata=flow.oauth_metadata,
        client_info=flow.client_info,
    )


def _origin(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def _key(row: ExternalOAuthFlow) -> str:
    """Associated data binding a flow's ciphertext to its source and state."""
    return f"oauth-flow:{row.source_id}:{row.state_hash}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
