"""passthrough tools: the external source serving a tool and the tool's name there

Both columns are added in place (no table rebuild on SQLite: rebuilding `tools` would fire the
ON DELETE actions of the rows that point at it).

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

_FK = "fk_tools_external_source_id_external_sources"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a key only inline, with its column
        op.execute(
            f"ALTER TABLE tools ADD COLUMN external_source_id INTEGER CONSTRAINT {_FK} "
            "REFERENCES external_sources (id) ON DELETE CASCADE"
        )
    else:
        op.add_column("tools", sa.Column("external_source_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            _FK, "tools", "external_sources", ["external_source_id"], ["id"], ondelete="CASCADE"
        )
    op.add_column("tools", sa.Column("remote_name", sa.String(128), nullable=True))
    op.create_index("ix_tools_external_source_id", "tools", ["external_source_id"])


def downgrade() -> None:
    op.drop_index("ix_tools_external_source_id", "tools")
    if op.get_bind().dialect.name != "sqlite":  # SQLite drops the column's constraint with it
        op.drop_constraint(_FK, "tools", type_="foreignkey")
    op.drop_column("tools", "remote_name")
    op.drop_column("tools", "external_source_id")
