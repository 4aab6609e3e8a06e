"""governance and logs: module/network requests, external sources, execution and activity logs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model column types: migrations must not change when models.py does.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EMPTY_OBJECT = sa.text("'{}'")


def _state(column: str, *values: str, default: str | None = None) -> sa.Column[Any]:
    kind = sa.Enum(*values, name=column, native_enum=False, create_constraint=True, length=32)
    return sa.Column(column, kind, server_default=default, nullable=False)


def _time(column: str, *, nullable: bool = False) -> sa.Column[Any]:
    default = None if nullable else sa.func.now()
    return sa.Column(column, sa.DateTime(timezone=True), server_default=default, nullable=nullable)


def _server_key(table: str, *, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["server_id"], ["servers.id"], name=f"fk_{table}_server_id_servers", ondelete=ondelete
    )


def _decision_columns(table: str) -> list[sa.schema.SchemaItem]:
    """The columns module and network requests share (the models' _Decision mixin)."""
    return [
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        _state("status", "pending", "approved", "rejected", default="pending"),
        _state("requested_by", "llm", "admin"),
        sa.Column("decision_note", sa.Text(), nullable=True),
        _time("decided_at", nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        _time("created_at"),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["admin_users.id"],
            name=f"fk_{table}_decided_by_id_admin_users",
            ondelete="SET NULL",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "module_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=True),
        sa.Column("module", sa.String(200), nullable=False),
        *_decision_columns("module_requests"),
        _server_key("module_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_module_requests"),
    )
    op.create_table(
        "network_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        *_decision_columns("network_requests"),
        sa.CheckConstraint("port BETWEEN 1 AND 65535", name="ck_network_requests_port_range"),
        _server_key("network_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_network_requests"),
    )
    op.create_table(
        "external_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        _state("transport", "streamable_http", "sse", default="streamable_http"),
        _state("auth_kind", "none", "bearer", "oauth", default="none"),
        sa.Column("auth_secret_key", sa.String(128), nullable=True),
        sa.Column("oauth_state_ciphertext", sa.LargeBinary(), nullable=True),
        _state("health", "unknown", "healthy", "unhealthy", default="unknown"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("last_checked_at", nullable=True),
        _time("created_at"),
        _server_key("external_sources"),
        sa.PrimaryKeyConstraint("id", name="pk_external_sources"),
        sa.UniqueConstraint("server_id", "name", name="uq_external_sources_server_id_name"),
    )
    op.create_table(
        "execution_logs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=True),
        sa.Column("tool_id", sa.Integer(), nullable=True),
        sa.Column("server_name", sa.String(64), nullable=False),
        sa.Column("tool_name", sa.String(64), nullable=False),
        _state("status", "ok", "error", "timeout"),
        sa.Column("arguments", JSON, server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("result", JSON, nullable=True),
        sa.Column("stdout", sa.Text(), server_default="", nullable=False),
        sa.Column("error", JSON, nullable=True),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=True),
        _time("created_at"),
        _server_key("execution_logs", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["tools.id"], name="fk_execution_logs_tool_id_tools", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_execution_logs"),
    )
    op.create_index("ix_execution_logs_created_at", "execution_logs", ["created_at"])
    op.create_index(
        "ix_execution_logs_tool_id_created_at", "execution_logs", ["tool_id", "created_at"]
    )
    op.create_index(
        "ix_execution_logs_server_id_created_at", "execution_logs", ["server_id", "created_at"]
    )
    op.create_table(
        "activity_log",
        sa.Column("id", BIG_ID, nullable=False),
        _state("actor_kind", "admin", "llm", "system"),
        sa.Column("actor_name", sa.String(100), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_kind", sa.String(32), nullable=True),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.Column("details", JSON, server_default=EMPTY_OBJECT, nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_activity_log"),
    )
    op.create_index("ix_activity_log_created_at", "activity_log", ["created_at"])
    op.create_index(
        "ix_activity_log_target_kind_target_id", "activity_log", ["target_kind", "target_id"]
    )


def downgrade() -> None:
    for table in (
        "activity_log",
        "execution_logs",
        "external_sources",
        "network_requests",
        "module_requests",
    ):
        op.drop_table(table)
