"""churn and sponsor indexes: large at-risk lists counted without reading every listed account

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

* ``accounts (churned_on)``: a head's or ops' at-risk list counts the snapshot's rows, less those
  whose account has churned since (a range of this index), instead of checking every listed
  account's churn date (tens of thousands of rows at 50,000 accounts).
* ``accounts (exec_sponsor_id)``: the objections a person sponsors, looked up by index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_accounts_churned_on", "accounts", ["churned_on"])
    op.create_index("ix_accounts_exec_sponsor_id", "accounts", ["exec_sponsor_id"])


def downgrade() -> None:
    op.drop_index("ix_accounts_exec_sponsor_id", table_name="accounts")
    op.drop_index("ix_accounts_churned_on", table_name="accounts")
