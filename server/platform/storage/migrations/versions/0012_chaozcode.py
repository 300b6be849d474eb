"""chaozcode: user accounts and their typed API keys (platform), usage, projects, events

Revision ID: 0012_chaozcode
Revises: 0011

`users` and `user_api_keys` are the platform's accounts (server/platform/accounts),
which ChaozCode uses first; the `chaozcode_*` tables are the surface's own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_chaozcode"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chaozcode_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("chaozcode_events", schema=None) as batch_op:
        batch_op.create_index("ix_chaozcode_events_owner", ["tenant_id", "owner_id", "created_at_ms"], unique=False)
        batch_op.create_index(batch_op.f("ix_chaozcode_events_subject"), ["subject"], unique=False)

    op.create_table(
        "chaozcode_projects",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "owner_id", "id"),
    )
    with op.batch_alter_table("chaozcode_projects", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chaozcode_projects_owner", ["tenant_id", "owner_id", "created_at_ms", "id"], unique=False
        )

    op.create_table(
        "chaozcode_usage",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("endpoint", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "day", "endpoint", "model"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "user_api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_type", sa.String(length=32), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    with op.batch_alter_table("user_api_keys", schema=None) as batch_op:
        batch_op.create_index("ix_user_api_keys_owner", ["tenant_id", "user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_user_api_keys_owner")

    op.drop_table("user_api_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_tenant_id"))

    op.drop_table("users")
    op.drop_table("chaozcode_usage")
    with op.batch_alter_table("chaozcode_projects", schema=None) as batch_op:
        batch_op.drop_index("ix_chaozcode_projects_owner")

    op.drop_table("chaozcode_projects")
    with op.batch_alter_table("chaozcode_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chaozcode_events_subject"))
        batch_op.drop_index("ix_chaozcode_events_owner")

    op.drop_table("chaozcode_events")
