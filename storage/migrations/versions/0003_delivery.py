"""proactive delivery: the outbox claimed and retried, people's nudge settings and items

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUS = sa.Enum(
    "pending", "sent", "failed", name="outboxstatus", native_enum=False, create_constraint=True,
    length=20,
)  # fmt: skip
NEW_STATUS = sa.Enum(
    "pending", "sending", "sent", "parked", "dropped", name="outboxstatus", native_enum=False,
    create_constraint=True, length=20,
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=40), nullable=False, server_default="message")
        )
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "next_attempt_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("status", existing_type=OLD_STATUS, type_=sa.String(length=20))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_team_id_teams"), "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
    op.execute("UPDATE outbox SET status = 'parked' WHERE status = 'failed'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=20), type_=NEW_STATUS)
        batch_op.alter_column("kind", server_default=None)
        batch_op.alter_column("next_attempt_at", server_default=None)

    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nudge_time", sa.String(length=5), nullable=True),
        sa.Column("working_days", sa.String(length=40), nullable=True),
        sa.Column("muted", sa.JSON(), nullable=False),
        sa.Column("vacation_until", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_settings")),
    )  # fmt: skip
    op.create_table(
        "nudge_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_nudge_items_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_nudge_items_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_items")),
        sa.UniqueConstraint("user_id", "item_key", name=op.f("uq_nudge_items_user_id_item_key")),
    )  # fmt: skip
    with op.batch_alter_table("nudge_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nudge_items_account_id"), ["account_id"])


def downgrade() -> None:
    with op.batch_alter_table("nudge_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nudge_items_account_id"))
    op.drop_table("nudge_items")
    op.drop_table("user_settings")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=NEW_STATUS, type_=sa.String(length=20))
    op.execute("UPDATE outbox SET status = 'failed' WHERE status IN ('parked', 'dropped')")
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=20), type_=OLD_STATUS)
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_constraint(batch_op.f("fk_outbox_team_id_teams"), type_="foreignkey")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("team_id")
        batch_op.drop_column("kind")
