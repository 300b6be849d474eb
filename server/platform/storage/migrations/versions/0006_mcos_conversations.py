"""mcos conversations: message ids, tool calls, archiving

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mcos_messages",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("tool_calls", sa.JSON(), nullable=False),
        sa.Column("incomplete", sa.Boolean(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("archived_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("mcos_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mcos_messages_conversation", ["tenant_id", "owner_id", "conversation_id", "seq"], unique=False
        )
        batch_op.create_index("ix_mcos_messages_owner", ["tenant_id", "owner_id", "seq"], unique=False)
        batch_op.create_index("ix_mcos_messages_archived", ["archived_at_ms"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mcos_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_mcos_messages_archived")
        batch_op.drop_index("ix_mcos_messages_owner")
        batch_op.drop_index("ix_mcos_messages_conversation")
    op.drop_table("mcos_messages")
