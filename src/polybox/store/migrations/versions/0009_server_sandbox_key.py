"""servers.sandbox_key: a random key per server that scopes its warm workers, never reused

SQLite hands the id of a deleted server to the next one, so the pool must not scope workers by
id. The column is added in place (nullable: SQLite adds NOT NULL only by rebuilding `servers`,
whose ON DELETE actions would fire) and every existing server gets its own random key.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("servers", sa.Column("sandbox_key", sa.String(32), nullable=True))
    servers = sa.table("servers", sa.column("id", sa.Integer), sa.column("sandbox_key"))
    connection = op.get_bind()
    for (server_id,) in connection.execute(sa.select(servers.c.id)).all():
        connection.execute(
            servers.update()
            .where(servers.c.id == server_id)
            .values(sandbox_key=secrets.token_hex(16))
        )
    op.create_index("ix_servers_sandbox_key", "servers", ["sandbox_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_servers_sandbox_key", "servers")
    op.drop_column("servers", "sandbox_key")
