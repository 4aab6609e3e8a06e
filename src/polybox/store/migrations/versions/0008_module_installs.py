"""module installs: the package an approved module request installs, and how that went

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("installing", "installed", "failed")


def upgrade() -> None:
    with op.batch_alter_table("module_requests") as table:
        table.add_column(sa.Column("package", sa.String(200), nullable=True))
        table.add_column(
            sa.Column(
                "install_state",
                sa.Enum(
                    *_STATES,
                    name="install_state",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=True,
            )
        )
        table.add_column(sa.Column("installed_version", sa.String(64), nullable=True))
        table.add_column(sa.Column("install_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("module_requests") as table:
        table.drop_constraint("install_state", type_="check")
        for column in ("install_error", "installed_version", "install_state", "package"):
            table.drop_column(column)
