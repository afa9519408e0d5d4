"""objection walkthrough: what each step records, drafts, follow-up tasks

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

* ``objections.category`` becomes ``objections.kind`` (legitimate or phantom), values kept.
* ``objections.status`` may also be ``draft``: a walkthrough started with nothing recorded yet.
* New nullable ``objections`` columns for what the steps record: the contact, whether they
  decide, whether they backed it with data, the channel, the proposed kind, the restatement and
  whether the client confirmed it, the answers, when and to whom it was escalated, the outcome
  and what was agreed. Existing rows keep NULLs there. ``version`` counts changes, so
  two people saving the same step at once cannot both succeed.
* ``objection_steps.details`` (JSON) keeps what each recorded step was given.
* New table ``account_tasks``: follow-ups on an account's checklist outside its stage playbook.

Downgrade deletes drafts and the follow-up tasks; everything else recorded is dropped with its
column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("open", "escalated", "resolved")


def _status(*values: str) -> sa.Enum:
    return sa.Enum(
        *values, name="objectionstatus", native_enum=False, create_constraint=True, length=20
    )


def _new_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("contact_name", sa.String(length=120), nullable=True),
        sa.Column("decision_maker", sa.Boolean(), nullable=True),
        sa.Column("backed_by_data", sa.Boolean(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("proposed_kind", sa.String(length=20), nullable=True),
        sa.Column("restatement", sa.Text(), nullable=True),
        sa.Column("client_confirmed", sa.Boolean(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_to_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("agreement", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
    )


def upgrade() -> None:
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_objections_objectionstatus"), type_="check")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=20),
            type_=_status("draft", *STATUSES),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "category",
            new_column_name="kind",
            existing_type=sa.String(length=40),
            type_=sa.String(length=20),
            existing_nullable=True,
        )
        for column in _new_columns():
            batch_op.add_column(column)
        batch_op.create_foreign_key(
            batch_op.f("fk_objections_escalated_to_id_users"), "users", ["escalated_to_id"], ["id"]
        )
    with op.batch_alter_table("objection_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "account_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("objection_id", sa.Integer(), nullable=True),
        sa.Column("step_id", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("why", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_tasks_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["objections.id"],
            name=op.f("fk_account_tasks_objection_id_objections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_account_tasks_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_account_tasks_done_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tasks")),
        sa.UniqueConstraint(
            "account_id", "step_id", name=op.f("uq_account_tasks_account_id_step_id")
        ),
    )
    with op.batch_alter_table("account_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_tasks_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_tasks_objection_id"), ["objection_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("account_tasks")
    with op.batch_alter_table("objection_steps", schema=None) as batch_op:
        batch_op.drop_column("details")
    objections = sa.table("objections", sa.column("status", sa.String()))
    op.execute(objections.delete().where(objections.c.status == "draft"))
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_objections_escalated_to_id_users"), type_="foreignkey")
        for column in reversed(_new_columns()):
            batch_op.drop_column(column.name)
        batch_op.alter_column(
            "kind",
            new_column_name="category",
            existing_type=sa.String(length=20),
            type_=sa.String(length=40),
            existing_nullable=True,
        )
        batch_op.drop_constraint(op.f("ck_objections_objectionstatus"), type_="check")
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=20),
            type_=_status(*STATUSES),
            existing_nullable=False,
        )
