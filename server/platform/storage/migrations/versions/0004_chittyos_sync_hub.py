"""chittyos sync hub (projects, work sessions, todos, topic conversations)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("metadata_json", sa.JSON(), nullable=False),
        sa.Column("files_worked", sa.JSON(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_sync_ms", sa.BigInteger(), nullable=False),
        sa.Column("todos_synced_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index("ix_projects_created", ["tenant_id", "created_at_ms", "id"], unique=False)

    op.create_table(
        "work_sessions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("project_id", sa.String(length=128), nullable=False),
        sa.Column("ai_platform", sa.String(length=64), nullable=False),
        sa.Column("machine_id", sa.String(length=128), nullable=False),
        sa.Column("metadata_json", sa.JSON(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_activity_ms", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("work_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_work_sessions_created", ["tenant_id", "created_at_ms", "id"], unique=False)
        batch_op.create_index("ix_work_sessions_activity", ["tenant_id", "last_activity_ms"], unique=False)

    op.create_table(
        "project_todos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=128), nullable=False),
        sa.Column("content", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("active_form", sa.String(length=500), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=False),
        sa.Column("added_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["projects.tenant_id", "projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "project_id", "content", name="uq_project_todos_content"),
    )

    op.create_table(
        "project_todo_sessions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=128), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("first_synced_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_synced_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "project_id"], ["projects.tenant_id", "projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "project_id", "session_id"),
    )

    op.create_table(
        "topic_conversations",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("subcategories", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("file", sa.String(length=1024), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_preview", sa.String(length=256), nullable=False),
        sa.Column("categorized_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("topic_conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_topic_conversations_category", ["tenant_id", "category", "categorized_at_ms"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("topic_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_topic_conversations_category")

    op.drop_table("topic_conversations")
    op.drop_table("project_todo_sessions")
    op.drop_table("project_todos")
    with op.batch_alter_table("work_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_work_sessions_activity")
        batch_op.drop_index("ix_work_sessions_created")

    op.drop_table("work_sessions")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index("ix_projects_created")

    op.drop_table("projects")
