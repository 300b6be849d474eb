"""vectors: embeddings of every vector namespace, and each namespace's change counter

Revision ID: 0013
Revises: 0012_chaozcode

The vector index (server/platform/vectors/index.py) keeps these rows as its
truth and follows them by change number, so every replica's in-memory index
converges and a restart rebuilds from them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012_chaozcode"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vectors",
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "tenant_id", "owner_id", "item_id"),
    )
    op.create_index("ix_vectors_change", "vectors", ["namespace", "change"])
    op.create_table(
        "vector_namespaces",
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("namespace"),
    )


def downgrade() -> None:
    op.drop_table("vector_namespaces")
    op.drop_index("ix_vectors_change", table_name="vectors")
    op.drop_table("vectors")
