"""snippet_runs: who ran which C# snippet on which .NET version, how it ended, for how long

The code itself is kept for `dotnet_snippet_code_retention_days`, then erased (NULL).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model column types: migrations must not change when models.py does.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    actor_kind = sa.Enum(
        "admin", "llm", "system", name="actor_kind", native_enum=False, create_constraint=True,
        length=32,
    )  # fmt: skip
    op.create_table(
        "snippet_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("actor_kind", actor_kind, nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("version", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_snippet_runs"),
    )
    op.create_index("ix_snippet_runs_created_at", "snippet_runs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_snippet_runs_created_at", table_name="snippet_runs")
    op.drop_table("snippet_runs")
