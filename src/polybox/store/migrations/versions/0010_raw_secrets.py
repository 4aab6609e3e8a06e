"""server_secrets.raw: the admin's explicit exception, a secret handed to tool code in clear

Every other secret reaches the Box only as a per-call stand-in that the egress broker swaps for
the value (sandbox/standins.py). Existing secrets become stand-ins (raw false).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "server_secrets",
        sa.Column("raw", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("server_secrets", "raw")
