"""scale: the catalog generation, and indexes for scans that should not grow with history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

* ``catalog_state``: one row whose ``generation`` imports bump, so processes holding account
  names in memory read them again, and ``risks_refreshed_at``.
* ``account_risks``: each account's risk flags as of the last refresh, ordered by
  ``(flag_count, renewal_on)``, for at-risk lists over a large book.
* ``meetings (occurred_at, recap_logged_at)`` replaces ``(occurred_at)``: the missed-recap window
  is answered from the index without reading meetings that had their recap.
* ``meetings (am_id, occurred_at)`` replaces ``(am_id)``: an AM's meetings in a period.
* ``step_completions (account_id, playbook, step_id, completed_at)`` replaces ``(account_id,
  playbook, step_id)``: the ticks of an account's current stage, read from the index only.
* ``nudge_items (item_key)``: which due nudges were already sent, without a scan.
* ``objections (status)``: the open ones, without reading the closed ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, new index, its columns, the index it replaces and that one's columns)
REPLACED = (
    ("meetings", "ix_meetings_recap_window", ["occurred_at", "recap_logged_at"],
     "ix_meetings_occurred_at", ["occurred_at"]),
    ("meetings", "ix_meetings_am_occurred", ["am_id", "occurred_at"],
     "ix_meetings_am_id", ["am_id"]),
    ("step_completions", "ix_step_completions_current",
     ["account_id", "playbook", "step_id", "completed_at"],
     "ix_step_completions_lookup", ["account_id", "playbook", "step_id"]),
)  # fmt: skip
ADDED = (
    ("nudge_items", "ix_nudge_items_item_key", ["item_key"]),
    ("objections", "ix_objections_status", ["status"]),
)


def upgrade() -> None:
    catalog = op.create_table(
        "catalog_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("risks_refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_state")),
    )
    op.bulk_insert(catalog, [{"id": 1, "generation": 1}])
    op.create_table(
        "account_risks",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("flag_count", sa.Integer(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("renewal_on", sa.Date(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_risks_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_risks")),
    )
    op.create_index("ix_account_risks_order", "account_risks", ["flag_count", "renewal_on"])
    for table, name, columns, old, _ in REPLACED:
        op.create_index(name, table, columns)
        op.drop_index(old, table_name=table)
    for table, name, columns in ADDED:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _ in ADDED:
        op.drop_index(name, table_name=table)
    for table, name, _, old, old_columns in REPLACED:
        op.create_index(old, table, old_columns)
        op.drop_index(name, table_name=table)
    op.drop_index("ix_account_risks_order", table_name="account_risks")
    op.drop_table("account_risks")
    op.drop_table("catalog_state")
