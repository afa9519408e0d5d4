"""step ticks by time: the ticks made in a period, without reading every tick ever made

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

* ``step_completions (completed_at)``: the KPI "steps done late" of every team's week reads the
  ticks made that week, then checks each against earlier ticks of the same step through
  ``ix_step_completions_current``; before, it grouped every tick of every current stage.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_step_completions_completed_at", "step_completions", ["completed_at"])


def downgrade() -> None:
    op.drop_index("ix_step_completions_completed_at", table_name="step_completions")
