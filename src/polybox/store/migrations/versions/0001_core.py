"""core: admins, API tokens, settings, servers, tools and their versions, server secrets

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model column types: migrations must not change when models.py does.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EMPTY_LIST = sa.text("'[]'")
EMPTY_OBJECT = sa.text("'{}'")


def _state(column: str, *values: str, default: str | None = None) -> sa.Column[Any]:
    kind = sa.Enum(*values, name=column, native_enum=False, create_constraint=True, length=32)
    return sa.Column(column, kind, server_default=default, nullable=False)


def _time(column: str, *, nullable: bool = False) -> sa.Column[Any]:
    default = None if nullable else sa.func.now()
    return sa.Column(column, sa.DateTime(timezone=True), server_default=default, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "admin_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        _state("role", "admin", "mcp", default="admin"),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        _time("last_login_at", nullable=True),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_admin_users"),
        sa.UniqueConstraint("username", name="uq_admin_users_username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("scopes", JSON, server_default=EMPTY_LIST, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _time("expires_at", nullable=True),
        _time("last_used_at", nullable=True),
        _time("revoked_at", nullable=True),
        _time("created_at"),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["admin_users.id"],
            name="fk_api_tokens_created_by_id_admin_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=True),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    op.create_table(
        "servers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        _state("status", "stopped", "running", default="stopped"),
        sa.Column("allowed_hosts", JSON, server_default=EMPTY_LIST, nullable=False),
        sa.Column("allowed_modules", JSON, server_default=EMPTY_LIST, nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_servers"),
        sa.UniqueConstraint("name", name="uq_servers_name"),
    )
    # tools and tool_versions point at each other. SQLite declares the version keys inline (it
    # checks them only on use); PostgreSQL adds them once both tables exist.
    op.create_table(
        "tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        _state("status", "draft", "pending_review", "approved", "rejected", default="draft"),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        _state("kind", "code", "passthrough", default="code"),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("approved_version_id", sa.Integer(), nullable=True),
        sa.Column("input_schema", JSON, server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("output_schema", JSON, nullable=True),
        sa.Column("annotations", JSON, server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("review_note", sa.Text(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        *(_version_key(column) for column in ("current_version_id", "approved_version_id")),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_tools_server_id_servers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tools"),
        sa.UniqueConstraint("server_id", "name", name="uq_tools_server_id_name"),
    )
    op.create_table(
        "tool_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("input_schema", JSON, server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("output_schema", JSON, nullable=True),
        _state("author", "llm", "admin", "import", "rollback"),
        _time("created_at"),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["tools.id"], name="fk_tool_versions_tool_id_tools", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tool_versions"),
        sa.UniqueConstraint("tool_id", "number", name="uq_tool_versions_tool_id_number"),
    )
    if op.get_context().dialect.supports_alter:
        for column in ("current_version_id", "approved_version_id"):
            op.create_foreign_key(
                f"fk_tools_{column}_tool_versions",
                "tools",
                "tool_versions",
                [column],
                ["id"],
                ondelete="SET NULL",
            )
    op.create_table(
        "server_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name="fk_server_secrets_server_id_servers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_server_secrets"),
        sa.UniqueConstraint("server_id", "key", name="uq_server_secrets_server_id_key"),
    )


def _version_key(column: str) -> sa.ForeignKeyConstraint:
    """Inline on SQLite; omitted from CREATE TABLE where ALTER can add it (use_alter)."""
    return sa.ForeignKeyConstraint(
        [column],
        ["tool_versions.id"],
        name=f"fk_tools_{column}_tool_versions",
        ondelete="SET NULL",
        use_alter=True,
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    if op.get_context().dialect.supports_alter:
        for column in ("current_version_id", "approved_version_id"):
            op.drop_constraint(f"fk_tools_{column}_tool_versions", "tools", type_="foreignkey")
    op.drop_table("tool_versions")
    op.drop_table("tools")
    op.drop_table("servers")
    op.drop_table("settings")
    op.drop_table("api_tokens")
    op.drop_table("admin_users")
