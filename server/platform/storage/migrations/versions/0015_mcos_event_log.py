"""mcos event log, and how far tombstone retention has gone per user

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mcos_user_events",
        sa.Column("seq", _ROW_ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("mcos_user_events", schema=None) as batch_op:
        batch_op.create_index("ix_mcos_user_events_owner", ["tenant_id", "owner_id", "seq"], unique=False)
        batch_op.create_index("ix_mcos_user_events_at", ["at_ms"], unique=False)
    with op.batch_alter_table("mcos_user_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forgotten_seq", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("forgotten_before_ms", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("mcos_user_changes", schema=None) as batch_op:
        batch_op.drop_column("forgotten_before_ms")
        batch_op.drop_column("forgotten_seq")
    with op.batch_alter_table("mcos_user_events", schema=None) as batch_op:
        batch_op.drop_index("ix_mcos_user_events_at")
        batch_op.drop_index("ix_mcos_user_events_owner")
    op.drop_table("mcos_user_events")
