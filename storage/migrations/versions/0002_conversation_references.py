"""conversation references, for messages nobody asked for (Teams)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("conversation_id", sa.String(length=400), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("service_url", sa.String(length=400), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dead_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_conversation_references_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_conversation_references_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_references")),
        sa.UniqueConstraint(
            "platform",
            "conversation_id",
            name=op.f("uq_conversation_references_platform_conversation_id"),
        ),
    )
    with op.batch_alter_table("conversation_references", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_references_team", ["team_id", "scope"])
        batch_op.create_index("ix_conversation_references_user", ["user_id", "scope"])


def downgrade() -> None:
    with op.batch_alter_table("conversation_references", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_references_user")
        batch_op.drop_index("ix_conversation_references_team")
    op.drop_table("conversation_references")
