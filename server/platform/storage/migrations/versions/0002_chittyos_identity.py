"""chittyos identity (ChittyID sequences and records)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chitty_id_sequences",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=4), nullable=False),
        sa.Column("last_issued", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "entity_type"),
    )
    op.create_table(
        "chitty_ids",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("chitty_id", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=4), nullable=False),
        sa.Column("entity_metadata", sa.JSON(), nullable=False),
        sa.Column("session_context", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "chitty_id"),
    )


def downgrade() -> None:
    op.drop_table("chitty_ids")
    op.drop_table("chitty_id_sequences")
