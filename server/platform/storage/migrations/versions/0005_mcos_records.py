"""mcos tasks, pinned memories and preferences

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mcos_tasks",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("due_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("completed_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id", "id"),
    )
    with op.batch_alter_table("mcos_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mcos_tasks_due", ["tenant_id", "owner_id", "due_at_ms", "created_at_ms", "id"], unique=False
        )
        batch_op.create_index("ix_mcos_tasks_updated", ["tenant_id", "owner_id", "updated_at_ms"], unique=False)

    op.create_table(
        "mcos_task_tags",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id", "tag", "task_id"),
    )

    op.create_table(
        "mcos_memories",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id", "id"),
        sa.UniqueConstraint("tenant_id", "owner_id", "key", name="uq_mcos_memories_key"),
    )
    with op.batch_alter_table("mcos_memories", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mcos_memories_updated", ["tenant_id", "owner_id", "updated_at_ms", "id"], unique=False
        )

    op.create_table(
        "mcos_preferences",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("work_hours", sa.String(length=11), nullable=False),
        sa.Column("preferred_airlines", sa.JSON(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id"),
    )


def downgrade() -> None:
    op.drop_table("mcos_preferences")
    with op.batch_alter_table("mcos_memories", schema=None) as batch_op:
        batch_op.drop_index("ix_mcos_memories_updated")

    op.drop_table("mcos_memories")
    op.drop_table("mcos_task_tags")
    with op.batch_alter_table("mcos_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_mcos_tasks_updated")
        batch_op.drop_index("ix_mcos_tasks_due")

    op.drop_table("mcos_tasks")
