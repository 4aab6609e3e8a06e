"""workspaces: the .NET workspaces of each instance, kept after they stop to say when and why

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Frozen copies of the model column types: migrations must not change when models.py does.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _state(column: str, *values: str, nullable: bool) -> sa.Column[Any]:
    kind = sa.Enum(*values, name=column, native_enum=False, create_constraint=True, length=32)
    return sa.Column(column, kind, nullable=nullable)


def _time(column: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(column, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("instance", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("version", sa.String(8), nullable=False),
        sa.Column("template", sa.String(16), nullable=False),
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("box_id", sa.String(64), nullable=True),
        _state("status", "running", "stopped", "cleaned", nullable=False),
        _state("stop_reason", "client", "admin", "idle", "restart", "limit", nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        _time("last_used_at"),
        _time("stopped_at", nullable=True),
        sa.Column("ports", JSON, server_default=sa.text("'[]'"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
    )
    op.create_index(
        "ix_workspaces_instance_owner_status", "workspaces", ["instance", "owner", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_workspaces_instance_owner_status", table_name="workspaces")
    op.drop_table("workspaces")
