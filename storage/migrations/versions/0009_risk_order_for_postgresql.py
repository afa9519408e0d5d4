"""risk order for PostgreSQL: a head's at-risk page read in order from the snapshot's index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

* ``account_risks (flag_count DESC, renewal_on)`` replaces ``(flag_count, renewal_on)``: the
  at-risk list is sorted most reasons first, then the soonest renewal with none last. In that
  order (PostgreSQL puts NULLs last in an ascending column) PostgreSQL reads the first page
  from the index instead of sorting every listed account (about 50 ms at 50,000 accounts);
  SQLite reads the reasons in order from it as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_account_risks_order", table_name="account_risks")
    op.create_index(
        "ix_account_risks_order",
        "account_risks",
        [sa.column("flag_count").desc(), sa.column("renewal_on")],
    )


def downgrade() -> None:
    op.drop_index("ix_account_risks_order", table_name="account_risks")
    op.create_index("ix_account_risks_order", "account_risks", ["flag_count", "renewal_on"])
