"""mcos change numbers: a counter per user, stamped on tasks, memories and preferences

Revision ID: 0010
Revises: 0009

Incremental state (`GET /api/state?cursor=`) selects changes by these numbers
instead of by time (see server/surfaces/mcos/stores/user_changes.py). Rows written before
this migration carry 0, which every cursor is at or past.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_STAMPED = ("mcos_tasks", "mcos_memories", "mcos_preferences")
_INDEXED = (("mcos_tasks", "ix_mcos_tasks_change"), ("mcos_memories", "ix_mcos_memories_change"))


def upgrade() -> None:
    op.create_table(
        "mcos_user_changes",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id"),
    )
    for table in _STAMPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False))
    for table, index in _INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(index, ["tenant_id", "owner_id", "change_seq"], unique=False)


def downgrade() -> None:
    for table, index in _INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
    for table in _STAMPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("change_seq")
    op.drop_table("mcos_user_changes")
