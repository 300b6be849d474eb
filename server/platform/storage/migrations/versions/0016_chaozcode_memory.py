"""chaozcode memory spine: memories, their versions and tags

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _owned() -> list[sa.Column[str]]:
    return [
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "chaozcode_memories",
        *_owned(),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("vector_id", sa.String(length=40), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("importance", sa.String(length=16), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id", "id"),
    )
    with op.batch_alter_table("chaozcode_memories", schema=None) as batch_op:
        batch_op.create_index("ix_chaozcode_memories_deleted", ["deleted_at_ms"], unique=False)
    op.create_table(
        "chaozcode_memory_versions",
        *_owned(),
        sa.Column("memory_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("importance", sa.String(length=16), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id", "memory_id", "version"),
    )
    op.create_table(
        "chaozcode_memory_tags",
        *_owned(),
        sa.Column("memory_id", sa.String(length=128), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id", "memory_id", "tag"),
    )
    with op.batch_alter_table("chaozcode_memory_tags", schema=None) as batch_op:
        batch_op.create_index("ix_chaozcode_memory_tags_tag", ["tenant_id", "owner_id", "tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chaozcode_memory_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_chaozcode_memory_tags_tag")
    op.drop_table("chaozcode_memory_tags")
    op.drop_table("chaozcode_memory_versions")
    with op.batch_alter_table("chaozcode_memories", schema=None) as batch_op:
        batch_op.drop_index("ix_chaozcode_memories_deleted")
    op.drop_table("chaozcode_memories")
