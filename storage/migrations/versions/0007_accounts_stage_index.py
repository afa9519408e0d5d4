"""accounts by stage: the overdue-step scan reads only the accounts a step can be overdue on

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

* ``accounts (stage, stage_entered_at)``: for each required step of a stage, the accounts in
  that stage that entered it before the step's deadline, without reading the whole table once
  per step (the daily nudge scan, `bot.services.nudge_scan.overdue_steps`).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_accounts_stage_entered", "accounts", ["stage", "stage_entered_at"])


def downgrade() -> None:
    op.drop_index("ix_accounts_stage_entered", table_name="accounts")
