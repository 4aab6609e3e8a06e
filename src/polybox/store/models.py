"""The store's tables. The same schema runs on SQLite and PostgreSQL; migrations build it.

Relationships are loaded explicitly in async code (`selectinload`, or `awaitable_attrs`).
Deletes cascade in the database (`ON DELETE`), so bulk deletes and plain SQL behave like the ORM;
execution logs keep their denormalised names when the server or tool they ran is deleted.
"""

from __future__ import annotations

from datetime import datetime
from secrets import token_hex
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from polybox.store.base import Base, CreatedAt, Timestamps, UpdatedAt
from polybox.store.enums import (
    ActorKind,
    AdminRole,
    ExecutionStatus,
    InstallState,
    OAuthTokenKind,
    Requester,
    RequestStatus,
    ServerStatus,
    SourceAuth,
    SourceHealth,
    SourceTransport,
    StopReason,
    ToolKind,
    ToolStatus,
    VersionAuthor,
    WorkspaceStatus,
)
from polybox.store.types import BigIntId, JSONType, state_enum

_EMPTY_LIST = text("'[]'")
_EMPTY_OBJECT = text("'{}'")

# --- core (revision 0001): people, tokens, settings, servers, tools, secrets ------------------


class AdminUser(CreatedAt, Base):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, encoded with its params
    role: Mapped[AdminRole] = mapped_column(
        state_enum(AdminRole, "role"), default=AdminRole.ADMIN, server_default=AdminRole.ADMIN
    )
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_login_at: Mapped[datetime | None]


class ApiToken(CreatedAt, Base):
    """An admin-issued bearer token; only its hash is stored, `prefix` identifies it in the UI."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(default=list, server_default=_EMPTY_LIST)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    created_by: Mapped[AdminUser | None] = relationship()


class Setting(UpdatedAt, Base):
    """A runtime setting changed from the admin UI (startup settings live in config.py)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class Server(Timestamps, Base):
    """A named group of tools sharing secrets, an egress allow-list and an import allow-list."""

    __tablename__ = "servers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ServerStatus] = mapped_column(
        state_enum(ServerStatus, "status"),
        default=ServerStatus.STOPPED,
        server_default=ServerStatus.STOPPED,
    )
    allowed_hosts: Mapped[list[str]] = mapped_column(default=list, server_default=_EMPTY_LIST)
    allowed_modules: Mapped[list[str]] = mapped_column(default=list, server_default=_EMPTY_LIST)
    # Scopes its warm workers (forge/worker_scopes.py): random and never reused, unlike the id.
    # Nullable only because SQLite cannot add a NOT NULL column in place (revision 0009).
    sandbox_key: Mapped[str] = mapped_column(
        String(32), nullable=True, unique=True, index=True, default=lambda: token_hex(16)
    )

    tools: Mapped[list[Tool]] = relationship(
        back_populates="server", cascade="all, delete-orphan", passive_deletes=True
    )
    secrets: Mapped[list[ServerSecret]] = relationship(
        back_populates="server", cascade="all, delete-orphan", passive_deletes=True
    )


class Tool(Timestamps, Base):
    """A tool of a server. `current_version` is what is edited; `approved_version` is what runs."""

    __tablename__ = "tools"
    __table_args__ = (UniqueConstraint("server_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ToolStatus] = mapped_column(
        state_enum(ToolStatus, "status"), default=ToolStatus.DRAFT, server_default=ToolStatus.DRAFT
    )
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    kind: Mapped[ToolKind] = mapped_column(
        state_enum(ToolKind, "kind"), default=ToolKind.CODE, server_default=ToolKind.CODE
    )
    # tools <-> tool_versions is a cycle: these two keys are added after both tables exist.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("tool_versions.id", ondelete="SET NULL", use_alter=True)
    )
    approved_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("tool_versions.id", ondelete="SET NULL", use_alter=True)
    )
    input_schema: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=_EMPTY_OBJECT)
    output_schema: Mapped[dict[str, Any] | None]
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=_EMPTY_OBJECT)
    review_note: Mapped[str | None] = mapped_column(Text)
    # Passthrough tools (revision 0004): the external source that serves them, and their name
    # there. No foreign key: SQLite adds one only by rebuilding `tools`, which would fire the
    # ON DELETE actions of every row pointing at it; removing a source deletes its tools itself
    # (forge/external/sources.py), and deleting the server deletes both.
    external_source_id: Mapped[int | None] = mapped_column(index=True)
    remote_name: Mapped[str | None] = mapped_column(String(128))

    server: Mapped[Server] = relationship(back_populates="tools")
    versions: Mapped[list[ToolVersion]] = relationship(
        back_populates="tool",
        foreign_keys="ToolVersion.tool_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ToolVersion.number",
    )
    current_version: Mapped[ToolVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    approved_version: Mapped[ToolVersion | None] = relationship(
        foreign_keys=[approved_version_id], post_update=True
    )


class ToolVersion(CreatedAt, Base):
    """An immutable snapshot of a tool's code and schemas; `number` counts from 1 per tool."""

    __tablename__ = "tool_versions"
    __table_args__ = (UniqueConstraint("tool_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id", ondelete="CASCADE"))
    number: Mapped[int]
    code: Mapped[str] = mapped_column(Text)
    code_sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    input_schema: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=_EMPTY_OBJECT)
    output_schema: Mapped[dict[str, Any] | None]
    author: Mapped[VersionAuthor] = mapped_column(state_enum(VersionAuthor, "author"))

    tool: Mapped[Tool] = relationship(back_populates="versions", foreign_keys=[tool_id])


class ServerSecret(Timestamps, Base):
    """A secret of a server. `ciphertext` is nonce + AEAD ciphertext; NULL until a value is set."""

    __tablename__ = "server_secrets"
    __table_args__ = (UniqueConstraint("server_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Handed to tool code in clear (local computation, e.g. signing); otherwise only a stand-in
    # enters the Box and the egress broker fills the value in (revision 0010).
    raw: Mapped[bool] = mapped_column(default=False, server_default=false())

    server: Mapped[Server] = relationship(back_populates="secrets")


# --- governance and logs (revision 0002) ------------------------------------------------------


class _Decision:
    """What an allow-list request shares: who asked, why, and the admin's decision."""

    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[RequestStatus] = mapped_column(
        state_enum(RequestStatus, "status"),
        default=RequestStatus.PENDING,
        server_default=RequestStatus.PENDING,
    )
    requested_by: Mapped[Requester] = mapped_column(state_enum(Requester, "requested_by"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL")
    )


class ModuleRequest(_Decision, CreatedAt, Base):
    """A request to allow an import; `server_id` NULL asks for every server.

    Once approved, `package` (the distribution, default the module's name) is installed in the
    background: `install_state` says how far it got, with the version or why it failed.
    """

    __tablename__ = "module_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    module: Mapped[str] = mapped_column(String(200))
    package: Mapped[str | None] = mapped_column(String(200))
    install_state: Mapped[InstallState | None] = mapped_column(
        state_enum(InstallState, "install_state")
    )
    installed_version: Mapped[str | None] = mapped_column(String(64))
    install_error: Mapped[str | None] = mapped_column(Text)


class NetworkRequest(_Decision, CreatedAt, Base):
    """A request to add `host[:port]` to a server's egress allow-list."""

    __tablename__ = "network_requests"
    __table_args__ = (CheckConstraint("port BETWEEN 1 AND 65535", name="port_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int | None]


class ExternalSource(CreatedAt, Base):
    """A remote MCP server whose tools a server passes through."""

    __tablename__ = "external_sources"
    __table_args__ = (UniqueConstraint("server_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    transport: Mapped[SourceTransport] = mapped_column(
        state_enum(SourceTransport, "transport"),
        default=SourceTransport.STREAMABLE_HTTP,
        server_default=SourceTransport.STREAMABLE_HTTP,
    )
    auth_kind: Mapped[SourceAuth] = mapped_column(
        state_enum(SourceAuth, "auth_kind"), default=SourceAuth.NONE, server_default=SourceAuth.NONE
    )
    auth_secret_key: Mapped[str | None] = mapped_column(String(128))  # a ServerSecret key
    oauth_state_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    health: Mapped[SourceHealth] = mapped_column(
        state_enum(SourceHealth, "health"),
        default=SourceHealth.UNKNOWN,
        server_default=SourceHealth.UNKNOWN,
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    last_checked_at: Mapped[datetime | None]


class ExternalOAuthFlow(CreatedAt, Base):
    """An admin's OAuth authorisation of a source, between its start and the browser's return.

    Found by the SHA-256 of its `state` (the value itself is only in the admin's browser), used
    once (deleted when the browser comes back) and only until `expires_at`. `ciphertext` holds
    the PKCE verifier, the client registration and the discovered metadata, encrypted.
    """

    __tablename__ = "external_oauth_flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("external_sources.id", ondelete="CASCADE"), index=True
    )
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime]


class ExecutionLog(CreatedAt, Base):
    """One tool call. Names are copied so the log outlives the server and tool it ran."""

    __tablename__ = "execution_logs"
    __table_args__ = (
        Index("ix_execution_logs_created_at", "created_at"),
        Index("ix_execution_logs_tool_id_created_at", "tool_id", "created_at"),
        Index("ix_execution_logs_server_id_created_at", "server_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id", ondelete="SET NULL"))
    tool_id: Mapped[int | None] = mapped_column(ForeignKey("tools.id", ondelete="SET NULL"))
    server_name: Mapped[str] = mapped_column(String(64))
    tool_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[ExecutionStatus] = mapped_column(state_enum(ExecutionStatus, "status"))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=_EMPTY_OBJECT)
    result: Mapped[Any | None] = mapped_column(JSONType)
    stdout: Mapped[str] = mapped_column(Text, default="", server_default="")
    error: Mapped[dict[str, Any] | None]  # {"type": ..., "message": ...}
    duration_ms: Mapped[float]
    client_id: Mapped[str | None] = mapped_column(String(255))


class ActivityLog(CreatedAt, Base):
    """Who changed what: the audit trail of admin, LLM and system actions."""

    __tablename__ = "activity_log"
    __table_args__ = (
        Index("ix_activity_log_created_at", "created_at"),
        Index("ix_activity_log_target_kind_target_id", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    actor_kind: Mapped[ActorKind] = mapped_column(state_enum(ActorKind, "actor_kind"))
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=_EMPTY_OBJECT)


class SnippetRun(CreatedAt, Base):
    """One C# snippet run on one version (a comparison is one row per version).

    `code` is the snippet as the client sent it, erased (NULL) after
    `dotnet_snippet_code_retention_days`; its SHA-256 stays, so repeated code is still
    recognisable. `owner` is the MCP caller: its client id when known, else its name.
    """

    __tablename__ = "snippet_runs"
    __table_args__ = (Index("ix_snippet_runs_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    actor_kind: Mapped[ActorKind] = mapped_column(state_enum(ActorKind, "actor_kind"))
    owner: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(32))
    duration_ms: Mapped[float]
    code_hash: Mapped[str] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(Text)


# --- admin sessions (revision 0003) ----------------------------------------------------------


class AdminSession(CreatedAt, Base):
    """One refresh token of an admin's login session.

    A login starts a family; each refresh marks its token used and adds the next one to the
    family. Revoking a session sets `revoked_at` on every row of the family. Only the token's
    SHA-256 is stored.
    """

    __tablename__ = "admin_sessions"
    __table_args__ = (
        Index("ix_admin_sessions_family_id", "family_id"),
        Index("ix_admin_sessions_admin_id", "admin_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"))
    family_id: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))


# --- OAuth authorization server (revision 0005) ---------------------------------------------


class OAuthClient(CreatedAt, Base):
    """An MCP client registered dynamically (RFC 7591).

    `info` is the registered metadata as the SDK models it, without the secret; a confidential
    client's secret is kept encrypted (`secret_ciphertext`), since the token endpoint compares it.
    """

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_name: Mapped[str | None] = mapped_column(String(200))
    info: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=_EMPTY_OBJECT)
    secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)


class _Grant:
    """What an authorization request asked for and carries to its code."""

    scopes: Mapped[list[str]] = mapped_column(default=list, server_default=_EMPTY_LIST)
    code_challenge: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(Text)
    redirect_uri_explicit: Mapped[bool] = mapped_column(default=True, server_default=true())
    resource: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]


class OAuthPendingRequest(_Grant, CreatedAt, Base):
    """An authorization request waiting on the consent page; `id` is the page's `request`."""

    __tablename__ = "oauth_pending_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    state: Mapped[str | None] = mapped_column(Text)

    client: Mapped[OAuthClient] = relationship()


class OAuthCode(_Grant, CreatedAt, Base):
    """An authorization code (SHA-256 only): single use; tokens issued for it share `family_id`."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"))
    family_id: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class OAuthToken(CreatedAt, Base):
    """An access or refresh token (SHA-256 only), bound to its client, subject and resource.

    The tokens of one grant share `family_id`: refreshing marks the refresh token used and adds
    the next pair; a used refresh token or code presented again revokes the whole family.
    """

    __tablename__ = "oauth_tokens"
    __table_args__ = (Index("ix_oauth_tokens_family_id", "family_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OAuthTokenKind] = mapped_column(state_enum(OAuthTokenKind, "kind"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"))
    family_id: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(default=list, server_default=_EMPTY_LIST)
    resource: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    client: Mapped[OAuthClient] = relationship()
    subject: Mapped[AdminUser] = relationship()


class OidcIdentity(CreatedAt, Base):
    """An account's identity at the upstream OpenID Connect provider.

    (issuer, subject) is the provider's stable, unique name for a person (OpenID Connect Core
    §5.7); email and username may change or be reused, so sign-ins are matched on this pair only.
    """

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(320))
    last_login_at: Mapped[datetime | None]

    admin: Mapped[AdminUser] = relationship()


# --- .NET workspaces (revision 0011) ---------------------------------------------------------


class Workspace(CreatedAt, Base):
    """One .NET workspace: a long-lived Box holding one project, owned by the client that made it.

    `instance` labels the polybox installation whose process holds the Box, so start-up
    reconciliation and cleanup never touch another instance's rows. The row outlives the Box, so
    a call to a stopped workspace can say when and why it stopped.
    """

    __tablename__ = "workspaces"
    __table_args__ = (Index("ix_workspaces_instance_owner_status", "instance", "owner", "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # dotnet8-webapi-3fa2c1
    instance: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(16))
    project: Mapped[str] = mapped_column(String(128))
    box_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[WorkspaceStatus] = mapped_column(state_enum(WorkspaceStatus, "status"))
    stop_reason: Mapped[StopReason | None] = mapped_column(state_enum(StopReason, "stop_reason"))
    last_used_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    ports: Mapped[list[int]] = mapped_column(JSONType, default=list, server_default=_EMPTY_LIST)
