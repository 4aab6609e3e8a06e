"""OAuth authorization server: registered clients, pending consents, codes and tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model column types: migrations must not change when models.py does.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EMPTY_LIST = sa.text("'[]'")
EMPTY_OBJECT = sa.text("'{}'")


def _time(column: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(column, sa.DateTime(timezone=True), nullable=nullable)


def _created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _grant_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("scopes", JSON, server_default=EMPTY_LIST, nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("redirect_uri_explicit", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
        _time("expires_at"),
    ]


def _client_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["client_pk"],
        ["oauth_clients.id"],
        name=f"fk_{table}_client_pk_oauth_clients",
        ondelete="CASCADE",
    )


def _subject_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["subject_id"],
        ["admin_users.id"],
        name=f"fk_{table}_subject_id_admin_users",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "oauth_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("client_name", sa.String(200), nullable=True),
        sa.Column("info", JSON, server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_clients"),
        sa.UniqueConstraint("client_id", name="uq_oauth_clients_client_id"),
    )
    op.create_table(
        "oauth_pending_requests",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=True),
        *_grant_columns(),
        _created_at(),
        _client_fk("oauth_pending_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_pending_requests"),
    )
    op.create_table(
        "oauth_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        _time("used_at", nullable=True),
        *_grant_columns(),
        _created_at(),
        _client_fk("oauth_codes"),
        _subject_fk("oauth_codes"),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_codes"),
        sa.UniqueConstraint("code_hash", name="uq_oauth_codes_code_hash"),
    )
    op.create_table(
        "oauth_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "access",
                "refresh",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("scopes", JSON, server_default=EMPTY_LIST, nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
        _time("expires_at"),
        _time("used_at", nullable=True),
        _time("revoked_at", nullable=True),
        _created_at(),
        _client_fk("oauth_tokens"),
        _subject_fk("oauth_tokens"),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_oauth_tokens_token_hash"),
    )
    op.create_index("ix_oauth_tokens_family_id", "oauth_tokens", ["family_id"])


def downgrade() -> None:
    op.drop_table("oauth_tokens")
    op.drop_table("oauth_codes")
    op.drop_table("oauth_pending_requests")
    op.drop_table("oauth_clients")
