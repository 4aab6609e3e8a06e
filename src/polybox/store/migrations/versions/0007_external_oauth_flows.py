"""external OAuth flows: an admin's authorisation of a source between start and callback

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_oauth_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["external_sources.id"],
            name="fk_external_oauth_flows_source_id_external_sources",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_external_oauth_flows"),
        sa.UniqueConstraint("state_hash", name="uq_external_oauth_flows_state_hash"),
    )
    op.create_index("ix_external_oauth_flows_source_id", "external_oauth_flows", ["source_id"])


def downgrade() -> None:
    op.drop_index("ix_external_oauth_flows_source_id", "external_oauth_flows")
    op.drop_table("external_oauth_flows")
