"""passthrough tools: the external source serving a tool and the tool's name there

Both columns are added in place. `external_source_id` has no foreign key: SQLite adds one only by
rebuilding `tools`, and dropping the old table would fire the ON DELETE actions of every row that
points at it (versions, execution logs). Removing a source deletes its tools in the service.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tools", sa.Column("external_source_id", sa.Integer(), nullable=True))
    op.add_column("tools", sa.Column("remote_name", sa.String(128), nullable=True))
    op.create_index("ix_tools_external_source_id", "tools", ["external_source_id"])


def downgrade() -> None:
    op.drop_index("ix_tools_external_source_id", "tools")
    op.drop_column("tools", "remote_name")
    op.drop_column("tools", "external_source_id")
